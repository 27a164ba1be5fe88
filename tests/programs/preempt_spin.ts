// A thread that spins and never yields cannot starve the others (tests/preempt.test.ts). Spinners, one
// more than there are processors, run while main sleeps 5 ms SLEEPS times and measures how late each
// wake-up is: preemption at the end of a slice (or because a sleeper is due) must hand the processor
// back within about a slice. Two kinds of spinner:
//   - loop: `while (!stop) count++` — a plain loop over a top-level flag (the safepoint at its head);
//   - fib:  `while (!stop) { fib(20); count++ }` — its time goes in a recursive function (the safepoint
//           at the function's entry; the loop alone would be checked only every ~20,000 calls).
// Built plainly (N:1: 2 spinners) or shared (M:N: processors() + 1 spinners).
// Prints, for each kind K: K_spinners=, K_late_max= and K_late_median= (ms past the 5 ms asked, over
// the SLEEPS sleeps), K_min_count= (the least any spinner counted) and K_exited= (spinners that ended).
import { spawn, join, sleep, now, print, processors } from "weft";

const SLEEPS = 20;
const NAP_MS: f64 = 5;
const SPINNERS_MAX = 64;

let stop = false;                                  // main raises it; the spinners read it every turn
let counts = new StaticArray<i64>(SPINNERS_MAX);   // spinner i writes counts[i] only

function loopSpinner(arg: usize): i32 {
  let i = <i32>arg;
  while (!stop) counts[i]++;
  return 1;
}

function fib(n: i32): i32 { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

let fibSink: i32 = 0;
function fibSpinner(arg: usize): i32 {
  let i = <i32>arg;
  while (!stop) { fibSink += fib(20); counts[i]++; }
  return 1;
}

function measure(kind: string, entry: (arg: usize) => i32): void {
  let spinners = processors() + 1;
  stop = false;
  for (let i = 0; i < spinners; i++) counts[i] = 0;
  let ids = new StaticArray<i32>(spinners);
  for (let i = 0; i < spinners; i++) ids[i] = spawn(entry, <usize>i);
  let lates = new StaticArray<f64>(SLEEPS);
  for (let s = 0; s < SLEEPS; s++) {
    let t0 = now();
    sleep(NAP_MS);
    lates[s] = now() - t0 - NAP_MS;
  }
  stop = true;
  let exited = 0;
  for (let i = 0; i < spinners; i++) if (join(ids[i]).ok) exited++;
  let least = counts[0];
  for (let i = 1; i < spinners; i++) least = min(least, counts[i]);
  lates.sort();
  print(kind + "_spinners=" + spinners.toString());
  print(kind + "_late_max=" + lates[SLEEPS - 1].toString());
  print(kind + "_late_median=" + lates[SLEEPS / 2].toString());
  print(kind + "_min_count=" + least.toString());
  print(kind + "_exited=" + exited.toString());
}

export function main(): i32 {
  measure("loop", loopSpinner);
  measure("fib", fibSpinner);
  return 0;
}
