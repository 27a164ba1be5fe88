// A debugger's stop (tests/debug.test.ts): two counting threads have each run once when main calls
// debugBreak(); the debugger steps them one at a time; then every thread goes on to its end.
import { spawn, join, yieldNow, debugBreak, print, SpawnOptions } from "weft";

let a = 0;
let b = 0;
function countA(arg: usize): i32 { for (let i = 0; i < 5; i++) { a++; yieldNow(); } return a; }
function countB(arg: usize): i32 { for (let i = 0; i < 5; i++) { b++; yieldNow(); } return b; }

function named(name: string): SpawnOptions { let o = new SpawnOptions(); o.name = name; return o; }

function stopHere(): void { debugBreak(); }

export function main(): i32 {
  let ta = spawn(countA, 0, named("a"));
  let tb = spawn(countB, 0, named("b"));
  yieldNow();
  print("before a=" + a.toString() + " b=" + b.toString());
  stopHere();
  print("after a=" + a.toString() + " b=" + b.toString());
  join(ta);
  join(tb);
  print("end a=" + a.toString() + " b=" + b.toString());
  return 0;
}
