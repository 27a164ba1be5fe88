// preempt_latency_p99 (bench/preempt.js): how late a sleeper wakes while CPU-bound threads spin. SPINNERS
// threads count in a loop and never yield; main sleeps NAP_MS SLEEPS times and records how much later
// than asked each sleep ended. Prints `preempt_latency_p99 <ms>` and `preempt_latency_p50 <ms>`, and
// `spins=<n>` (the spinners' count, so that they are seen to have run).
import { spawn, join, sleep, now, print } from "weft";

const SPINNERS = 2;
const SLEEPS = 200;
const NAP_MS: f64 = 2;

let stop = false;
let spins: i64 = 0;

function spinner(arg: usize): i32 {
  while (!stop) spins++;
  return 0;
}

export function main(): i32 {
  let ids = new StaticArray<i32>(SPINNERS);
  for (let i = 0; i < SPINNERS; i++) ids[i] = spawn(spinner, <usize>i);
  let lates = new StaticArray<f64>(SLEEPS);
  for (let s = 0; s < SLEEPS; s++) {
    let t0 = now();
    sleep(NAP_MS);
    lates[s] = now() - t0 - NAP_MS;
  }
  stop = true;
  for (let i = 0; i < SPINNERS; i++) join(ids[i]);
  lates.sort();
  print("preempt_latency_p99 " + lates[(SLEEPS * 99 + 99) / 100 - 1].toString());
  print("preempt_latency_p50 " + lates[SLEEPS / 2].toString());
  print("spins=" + spins.toString());
  return 0;
}
