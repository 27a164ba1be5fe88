// A program stopped from outside (tests/debug.test.ts): one thread computes without a call that
// switches; main waits for SIGTERM (the host sends it once the debugger is done), then tells the thread
// to stop. A pause finds the computing thread parked at a safepoint.
import { spawn, join, print, sigwait, sigprocmask, sigset, SIG_BLOCK, SIGTERM, SpawnOptions } from "weft";

let stop = false;
let sum: u32 = 0;
function crunch(): void { let x: u32 = 1; while (!stop) { x = x * 31 + 7; sum += x >> 3; } }
function spinner(arg: usize): i32 { crunch(); return 0; }

export function main(): i32 {
  sigprocmask(SIG_BLOCK, sigset(SIGTERM));
  let o = new SpawnOptions();
  o.name = "spinner";
  let t = spawn(spinner, 0, o);
  print("spinning");
  sigwait(sigset(SIGTERM));
  stop = true;
  join(t);
  print("stopped");
  return 0;
}
