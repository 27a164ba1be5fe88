// 50 threads each make one system call; the test's host answers each with the caller's own thread id,
// late and in reverse order. Prints `answered=` and `mismatched=` (answers that reached the wrong thread).
import { spawn, join, self, ioDelay, print } from "weft";

let answered = 0, mismatched = 0;

function worker(_: usize): i32 {
  let r = ioDelay(1);
  answered++;
  if (r != self()) mismatched++;
  return 0;
}

export function main(): i32 {
  let ids = new StaticArray<i32>(50);
  for (let i = 0; i < 50; i++) ids[i] = spawn(worker, 0);
  for (let i = 0; i < 50; i++) join(ids[i]);
  print("answered=" + answered.toString());
  print("mismatched=" + mismatched.toString());
  return 0;
}
