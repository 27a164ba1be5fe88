// mn_speedup_2: compute-bound threads (no switches while they compute); the suite runs this program on one
// processor and on two and reports the ratio of the times. Prints `mn_compute_ms <elapsed>`.
import { spawn, join, now, print } from "weft";

const THREADS = 8;
const STEPS = 40_000_000;
let sink: u64 = 0;

/** 1M steps of xorshift. A function of its own, called again and again: V8 replaces a function's code
 *  only between calls (no on-stack replacement for Wasm), so a single long loop would run unoptimised. */
function chunk(x: u64): u64 {
  for (let i = 0; i < 1_000_000; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
  return x;
}

function work(seed: usize): i32 {
  let x: u64 = <u64>seed + 0x9e3779b97f4a7c15;
  for (let i = 0; i < STEPS / 1_000_000; i++) x = chunk(x);
  return <i32>(x & 1);
}

export function main(): i32 {
  let t0 = now();
  let ids = new StaticArray<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(work, i);
  let bits = 0;
  for (let i = 0; i < THREADS; i++) bits += join(ids[i]).value;
  sink += <u64>bits;
  print("mn_compute_ms " + (now() - t0).toString());
  return 0;
}
