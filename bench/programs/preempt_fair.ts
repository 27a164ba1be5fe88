// fair_share_error (bench/preempt.js): group A (weight 3) holds one CPU-bound thread; group B (weight 1)
// two, of weights 1 and 3. Over RUN_MS each counts turns of the same kernel (~1 µs), so a thread's share
// of the processor is its count over the total. Configured: A 0.75; B's 0.0625 and 0.1875. Prints
// `fair_share_error <worst |measured - configured| / configured>` and `fair_share_a`, `fair_share_b1`,
// `fair_share_b3` (the measured shares).
// The default slice (10 ms) is used. The fair-share choice is made at the end of a slice, so a share can
// be off by up to about a slice over the run: for b1, 10 / (0.0625 × RUN_MS) = 8%. The measure is work
// done, not the scheduler's own accounting: time the host takes from this process (a loaded machine)
// counts against whichever thread was running.
import { spawn, join, sleep, print, groupCreate, SpawnOptions } from "weft";

const RUN_MS: f64 = 2000;

let stop = false;
let counts = new StaticArray<i64>(3);
let sink: u32 = 0;

function kernel(seed: u32): u32 {
  let x = seed;
  for (let i = 0; i < 256; i++) x = (x ^ (x >> 13)) * 0x5bd1e995 + <u32>i;
  return x;
}

function worker(arg: usize): i32 {
  let i = <i32>arg;
  let x: u32 = <u32>i;
  while (!stop) { x = kernel(x); counts[i]++; }
  sink += x;
  return 0;
}

function options(group: i32, weight: i32): SpawnOptions {
  let o = new SpawnOptions();
  o.group = group;
  o.weight = weight;
  return o;
}

export function main(): i32 {
  let a = groupCreate(3), b = groupCreate(1);
  let ids = new StaticArray<i32>(3);
  ids[0] = spawn(worker, 0, options(a, 1));
  ids[1] = spawn(worker, 1, options(b, 1));
  ids[2] = spawn(worker, 2, options(b, 3));
  sleep(RUN_MS);
  stop = true;
  for (let i = 0; i < 3; i++) join(ids[i]);
  let total = <f64>(counts[0] + counts[1] + counts[2]);
  let configured: f64[] = [0.75, 0.0625, 0.1875];
  let names: string[] = ["a", "b1", "b3"];
  let worst: f64 = 0;
  for (let i = 0; i < 3; i++) {
    let share = <f64>counts[i] / total;
    worst = max(worst, Math.abs(share - configured[i]) / configured[i]);
    print("fair_share_" + names[i] + " " + share.toString());
  }
  print("fair_share_error " + worst.toString());
  print("sink=" + sink.toString());
  return 0;
}
