// Main joins a thread that waits on a futex nobody wakes: the run must end as a deadlock whose report
// names every blocked thread, its state and what it waits on. A helper thread finishes first.
import { spawn, join, yieldNow, print, futexWait, SpawnOptions } from "weft";

const WORD: usize = memory.data(16, 16);

function stuck(arg: usize): i32 {
  futexWait(WORD, 0);
  print("stuck woke");
  return 1;
}

function helper(arg: usize): i32 {
  yieldNow();
  return <i32>arg * 2;
}

export function main(): i32 {
  let options = new SpawnOptions();
  options.name = "stuck-one";
  let s = spawn(stuck, 0, options);
  let h = spawn(helper, 21);
  print("word=0x" + WORD.toString(16));
  print("stuck_id=" + s.toString());
  print("helper=" + join(h).value.toString());
  join(s);
  print("joined");
  return 0;
}
