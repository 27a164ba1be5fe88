// A debugger's stop on processors (tests/debug.test.ts): two threads count and yield until main says
// stop; main calls debugBreak() once both have counted, while they go on. Stopped, both are parked on
// some processor's queue; a step runs one of them exactly one turn while the other stays put.
import { spawn, join, yieldNow, debugBreak, print, SpawnOptions } from "weft";

let a = 0;
let b = 0;
let done = false;
function countA(arg: usize): i32 { while (!done) { a++; yieldNow(); } return a; }
function countB(arg: usize): i32 { while (!done) { b++; yieldNow(); } return b; }

function named(name: string): SpawnOptions { let o = new SpawnOptions(); o.name = name; return o; }

export function main(): i32 {
  let ta = spawn(countA, 0, named("a"));
  let tb = spawn(countB, 0, named("b"));
  while (a == 0 || b == 0) yieldNow();
  debugBreak();
  done = true;
  let ra = join(ta);
  let rb = join(tb);
  print("counted " + (ra.value > 0 && rb.value > 0 ? "both" : "not both"));
  return 0;
}
