// Main yields from deeper than the save area allows (the test runs this with saveAreaMax 4096): the core
// cannot keep main, and the run must end with an error naming main, not look like a clean exit.
import { yieldNow, spawn, print } from "weft";

function idle(arg: usize): i32 { return 0; }

function dive(depth: i32): i32 {
  if (depth == 0) { yieldNow(); return 1; }
  return dive(depth - 1) + 1;
}

export function main(): i32 {
  print("start");
  spawn(idle);                           // someone to switch to
  let r = dive(1000);
  print("resumed " + r.toString());
  return 0;
}
