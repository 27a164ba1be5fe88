// A thread dump (tests/dump.test.ts): threads blocked on a mutex, asleep, joining and runnable, then
// dumpThreads(); with `ready` printed, a host may ask for one too (weft run --dump-on SIGQUIT).
import { spawn, join, sleep, print, yieldNow, dumpThreads, Mutex, SpawnOptions, sigwait, sigprocmask, sigset, SIG_BLOCK, SIGTERM } from "weft";

const lock = new Mutex();
function holder(arg: usize): i32 { lock.lock(); sleep(100); lock.unlock(); return 0; }
function waiter(arg: usize): i32 { lock.lock(); lock.unlock(); return 0; }
function spinner(arg: usize): i32 { for (let i = 0; i < 1000; i++) yieldNow(); return 0; }

function named(name: string): SpawnOptions { let o = new SpawnOptions(); o.name = name; return o; }

export function main(): i32 {
  let h = spawn(holder, 0, named("holder"));
  sleep(5);
  let w = spawn(waiter, 0, named("waiter"));
  let s = spawn(spinner, 0, named("spinner"));
  sleep(5);
  dumpThreads();
  join(h); join(w); join(s);
  sigprocmask(SIG_BLOCK, sigset(SIGTERM));
  print("ready");
  sigwait(sigset(SIGTERM));         // a host's --dump-on SIGQUIT dumps meanwhile; SIGTERM ends it
  return 0;
}
