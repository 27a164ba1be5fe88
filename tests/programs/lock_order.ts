// A lock-order inversion (tests/seed.test.ts): one thread locks a then b, the other b then a, each after
// a different number of yields. In the default order their critical sections do not overlap; in some
// interleavings each holds its first mutex while it waits for the other's, and the two deadlock.
import { spawn, join, yieldNow, print, Mutex, SpawnOptions } from "weft";

const a = new Mutex(), b = new Mutex();

function ab(arg: usize): i32 {
  for (let k = 0; k < 2; k++) yieldNow();
  a.lock(); yieldNow(); b.lock();
  b.unlock(); a.unlock();
  return 0;
}

function ba(arg: usize): i32 {
  for (let k = 0; k < 4; k++) yieldNow();
  b.lock(); yieldNow(); a.lock();
  a.unlock(); b.unlock();
  return 0;
}

function named(name: string): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  return o;
}

export function main(): i32 {
  let first = spawn(ab, 0, named("ab")), second = spawn(ba, 0, named("ba"));
  join(first);
  join(second);
  print("both done");
  return 0;
}
