// signal_latency (bench/signals.js): how long a signal the host raises takes to reach its handler.
// Main blocks everything and waits in sigwait for the host's orders; a waiter, blocked in a futex wait,
// takes SIGUSR1; a spinner, started on SIGHUP and never blocking, takes SIGUSR2. Each handler prints the
// clock as it starts ("h1 <ms>", "h2 <ms>"); main prints the clock 32 times first so that the host can
// line its own clock up with it ("clock <ms>"). SIGTERM ends the run.
import {
  spawn, join, print, now, sleep, futexWait, futexWake, sigaction, sigprocmask, sigwait, sigset, sigbit, SIG_BLOCK, SIG_SETMASK,
  SIGUSR1, SIGUSR2, SIGHUP, SIGTERM,
} from "weft";

const WORD: usize = memory.data(16, 16);
const STOP: usize = memory.data(16, 16);

function onUsr1(sig: i32): void { print("h1 " + now().toString()); }
function onUsr2(sig: i32): void { print("h2 " + now().toString()); }

function waiter(arg: usize): i32 {
  while (atomic.load<i32>(STOP) == 0) futexWait(WORD, 0);
  return 0;
}

function spinner(arg: usize): i32 {
  let x: u32 = 1;
  while (atomic.load<i32>(STOP) == 0) x = x * 1664525 + 1013904223;
  return <i32>(x & 1);
}

export function main(): i32 {
  sigaction(SIGUSR1, onUsr1);
  sigaction(SIGUSR2, onUsr2);
  sigprocmask(SIG_SETMASK, sigset(SIGUSR1, SIGUSR2, SIGHUP, SIGTERM));
  sigprocmask(SIG_SETMASK, sigset(SIGUSR2, SIGHUP, SIGTERM));  // what the waiter inherits: it takes SIGUSR1
  let w = spawn(waiter);
  sigprocmask(SIG_SETMASK, sigset(SIGUSR1, SIGHUP, SIGTERM));  // the spinner takes SIGUSR2
  let s = 0;
  sigprocmask(SIG_BLOCK, sigset(SIGUSR1, SIGUSR2));
  for (let i = 0; i < 32; i++) { print("clock " + now().toString()); sleep(1); }
  print("ready");
  while (true) {
    let sig = sigwait(sigset(SIGHUP, SIGTERM));
    if (sig == SIGTERM) break;
    sigprocmask(SIG_SETMASK, sigset(SIGUSR1, SIGHUP, SIGTERM));
    s = spawn(spinner);
    sigprocmask(SIG_BLOCK, sigset(SIGUSR1, SIGUSR2));
    print("spinning");
  }
  atomic.store<i32>(STOP, 1);
  atomic.store<i32>(WORD, 1);
  futexWake(WORD, 1);
  join(w);
  if (s > 0) join(s);
  return 0;
}
