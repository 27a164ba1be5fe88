// Live locals by name (tests/backtrace.test.ts): a thread parked two calls down, whose frames hold locals
// of each type that are live across its wait; a dump then shows them, read from its save area with the
// frame layouts an unoptimised build keeps (host/kernel/locals.ts).
import { spawn, sleep, yieldNow, print, dumpThreads } from "weft";

let stop = false;

function inner(depth: i32, label: i32): void {
  let twice = depth * 2;
  let big: i64 = <i64>1 << 40;
  let ratio: f64 = 0.5 + <f64>depth;
  while (!stop) sleep(5);
  print("after=" + twice.toString() + "," + big.toString() + "," + ratio.toString() + "," + label.toString());
}

function outer(arg: usize): i32 {
  let seven = 7 + <i32>arg;
  inner(3, 11);
  return seven;
}

export function main(): i32 {
  let t = spawn(outer, 0);
  for (let i = 0; i < 5; i++) yieldNow();
  dumpThreads();
  stop = true;
  sleep(20);
  return t > 0 ? 0 : 1;
}
