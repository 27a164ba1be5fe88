// A trap in main ends the program (main is the process, as in POSIX): the run is an error that names
// main and the trap; what main printed before the trap is kept.
import { spawn, yieldNow, print } from "weft";

function worker(arg: usize): i32 {
  for (let i = 0; i < 3; i++) yieldNow();
  return 1;
}

export function main(): i32 {
  spawn(worker);
  yieldNow();
  print("before_trap");
  let values = new Array<i32>(2);
  let i = values.length + 5;
  print("value=" + values[i].toString());
  print("after_trap");
  return 0;
}
