// A trap ends only the thread that trapped: join returns its error, the other threads finish, and main
// prints their results. Three ways to trap: unreachable(), an out-of-bounds index, a division by zero.
import { spawn, join, yieldNow, print, SpawnOptions } from "weft";

function hitsUnreachable(arg: usize): i32 {
  yieldNow();
  if (arg < 100) unreachable();
  return 1;
}

function indexesOutOfBounds(arg: usize): i32 {
  let a = new Array<i32>(3);
  yieldNow();
  return a[<i32>arg];                     // arg = 7: out of range
}

function dividesByZero(arg: usize): i32 {
  yieldNow();
  let zero = <i32>arg - 5;                // arg = 5
  return 100 / zero;
}

function worker(arg: usize): i32 {
  let sum = 0;
  for (let i = 1; i <= 10; i++) { sum += i * <i32>arg; yieldNow(); }
  return sum;
}

function named(name: string): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  return o;
}

function describe(key: string, id: i32): void {
  let r = join(id);
  print(key + "_code=" + r.code.toString());
  print(key + "_ok=" + (r.ok ? "1" : "0"));
  print(key + "_error=" + (r.error === null ? "none" : r.error!));
  print(key + "_name=" + (r.name === null ? "none" : r.name!));
}

export function main(): i32 {
  let w1 = spawn(worker, 1, named("good-1"));
  let u = spawn(hitsUnreachable, 3, named("bad-unreachable"));
  let o = spawn(indexesOutOfBounds, 7, named("bad-index"));
  let d = spawn(dividesByZero, 5, named("bad-divide"));
  let w2 = spawn(worker, 2, named("good-2"));
  print("ids=" + u.toString() + "," + o.toString() + "," + d.toString());
  describe("unreachable", u);
  describe("index", o);
  describe("divide", d);
  print("good=" + join(w1).value.toString() + "," + join(w2).value.toString());
  // The dead threads' slots are reusable: spawn and join again.
  print("after=" + join(spawn(worker, 3)).value.toString());
  return 0;
}
