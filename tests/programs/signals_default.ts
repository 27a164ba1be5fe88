// A signal with no handler ends the program as Linux's default action does: raise(SIGTERM) from a thread
// while another sleeps; "after" is never printed, and the run ends "signaled" with exit code 143.
import { spawn, sleep, print, raise, SIGTERM } from "weft";

function sleeper(arg: usize): i32 { sleep(60000); print("sleeper woke"); return 0; }

export function main(): i32 {
  spawn(sleeper);
  sleep(5);
  print("before");
  raise(SIGTERM);
  print("after");
  return 0;
}
