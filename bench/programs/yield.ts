// yield_d1 / yield_d10: two threads switch back and forth; ns per switch when the switch happens at call
// depth 1 (the thread's entry calls yield) and at depth 10 (nine calls deeper).
import { spawn, join, yieldNow, now, print } from "weft";

const SWITCHES = 2_000_000;

function atDepth1(n: usize): i32 {
  for (let i: usize = 0; i < n; i++) yieldNow();
  return 0;
}

function descend(depth: i32, n: usize): i32 {
  if (depth > 1) return descend(depth - 1, n) + 1;
  for (let i: usize = 0; i < n; i++) yieldNow();
  return 0;
}

function atDepth10(n: usize): i32 { return descend(9, n); }

function measure(entry: (n: usize) => i32): f64 {
  let t0 = now();
  let a = spawn(entry, SWITCHES / 2), b = spawn(entry, SWITCHES / 2);
  join(a); join(b);
  return (now() - t0) * 1e6 / <f64>SWITCHES;
}

export function main(): i32 {
  measure(atDepth1);                          // warm up
  print("yield_d1 " + measure(atDepth1).toString());
  print("yield_d10 " + measure(atDepth10).toString());
  return 0;
}
