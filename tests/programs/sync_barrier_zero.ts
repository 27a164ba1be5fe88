// new Barrier(0) is a programming error: the constructor aborts with a message naming the barrier.
import { print } from "weft";
import { Barrier } from "weft/assembly/lib/sync/index";

export function main(): i32 {
  print("before");
  let b = new Barrier(0);
  print("after=" + b.threads().toString());
  return 0;
}
