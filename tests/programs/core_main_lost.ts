// Main yields from deeper than the save area allows (the test runs this with saveAreaMax 4096): the core
// cannot keep main, and the run must end with an error naming main, not look like a clean exit.
import { yieldNow, spawn, print } from "weft";

// Someone to switch to whenever main yields. A thread that returned at once would not do: a tick during
// main's dive (kept however deep: a tick is not the thread's doing) may run it to its end, and a yield
// with nobody else to run does not switch, so main went on and printed "resumed 1001".
function idle(arg: usize): i32 {
  while (true) yieldNow();
  return 0;
}

function dive(depth: i32): i32 {
  if (depth == 0) { yieldNow(); return 1; }
  return dive(depth - 1) + 1;
}

export function main(): i32 {
  print("start");
  spawn(idle);
  let r = dive(1000);
  print("resumed " + r.toString());
  return 0;
}
