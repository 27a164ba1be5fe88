// Fair-share groups (tests/preempt.test.ts): group A (weight 3) holds one CPU-bound thread; group B
// (weight 1) two, of weights 1 and 3. Over RUN_MS each counts turns of the same kernel, so a thread's
// share of the processor is its count over the total. Configured: A 3/4 = 0.75; B 1/4 of which 1/4 and
// 3/4: 0.0625 and 0.1875. Main sleeps meanwhile (group 0, weight 1: it wants no CPU).
// With groups in use the fair-share choice is made at every tick (about every millisecond), so a share
// can be off by about a tick over the run: for b1, 1 / (0.0625 × RUN_MS) ≈ 1%.
// Prints share_a=, share_b1=, share_b3= (measured), error= (the worst |measured - configured| /
// configured), cpu_a=, cpu_b1=, cpu_b3= (sampled cpuTime, ms), group_a_cpu=, group_b_cpu=
// (groupCpuTime, ms), group_a=, group_b= (the ids), elapsed= (ms), sink= (the kernels' result, kept so
// that they are not optimised away).
import { spawn, join, sleep, now, print, groupCreate, groupCpuTime, cpuTime, SpawnOptions } from "weft";

const RUN_MS: f64 = 1500;

let stop = false;
let counts = new StaticArray<i64>(3);
let cpus = new StaticArray<f64>(3);
let sink: u32 = 0;

// One turn of work: ~1 µs of integer mixing, so a count is a measure of CPU time.
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
  cpus[i] = cpuTime();
  return 1;
}

function options(name: string, group: i32, weight: i32): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  o.group = group;
  o.weight = weight;
  return o;
}

export function main(): i32 {
  let a = groupCreate(3);
  let b = groupCreate(1);
  let ids = new StaticArray<i32>(3);
  ids[0] = spawn(worker, 0, options("a", a, 1));
  ids[1] = spawn(worker, 1, options("b1", b, 1));
  ids[2] = spawn(worker, 2, options("b3", b, 3));
  let t0 = now();
  sleep(RUN_MS);
  stop = true;
  let elapsed = now() - t0;
  for (let i = 0; i < 3; i++) join(ids[i]);
  let total = <f64>(counts[0] + counts[1] + counts[2]);
  let configured: f64[] = [0.75, 0.0625, 0.1875];
  let names: string[] = ["a", "b1", "b3"];
  let worst: f64 = 0;
  for (let i = 0; i < 3; i++) {
    let share = <f64>counts[i] / total;
    worst = max(worst, Math.abs(share - configured[i]) / configured[i]);
    print("share_" + names[i] + "=" + share.toString());
    print("cpu_" + names[i] + "=" + cpus[i].toString());
  }
  print("error=" + worst.toString());
  print("group_a=" + a.toString());
  print("group_b=" + b.toString());
  print("group_a_cpu=" + groupCpuTime(a).toString());
  print("group_b_cpu=" + groupCpuTime(b).toString());
  print("elapsed=" + elapsed.toString());
  print("sink=" + sink.toString());
  return 0;
}
