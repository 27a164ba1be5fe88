// Priorities under preemption (tests/preempt.test.ts): a priority-7 spinner and a priority-0 thread that
// only counts run for RUN_MS while main (raised to 7, so that its wake-ups are not themselves delayed by
// aging) sleeps. The high one gets nearly all of the processor; aging still lets the low one run now and
// then (preempt.ts: every AGING_MS a waiting thread moves up a level).
// Prints low_count= (the low thread's turns of its loop), low_first_ms= (when it first ran, ms after the
// spawn; -1: never), high_cpu= and low_cpu= (cpuTime, sampled, ms; each thread reads its own as it ends),
// elapsed= (ms), main_priority= (getPriority after setPriority(0, 7)), high_spins=, and high_switches=,
// low_switches= (threadStats: turns on the processor).
import { spawn, join, sleep, now, print, setPriority, getPriority, cpuTime, threadStats, SpawnOptions } from "weft";

const RUN_MS: f64 = 500;

let stop = false;
let start: f64 = 0;
let lowCount: i64 = 0;
let lowFirst: f64 = -1;
let highSpins: i64 = 0;
let highCpu: f64 = -1;
let lowCpu: f64 = -1;
let highSwitches: u32 = 0;
let lowSwitches: u32 = 0;

function high(arg: usize): i32 {
  while (!stop) highSpins++;
  highCpu = cpuTime();
  highSwitches = threadStats()!.switches;
  return 1;
}

function low(arg: usize): i32 {
  while (!stop) {
    if (lowCount == 0) lowFirst = now() - start;
    lowCount++;
  }
  lowCpu = cpuTime();
  lowSwitches = threadStats()!.switches;
  return 1;
}

function at(priority: i32, name: string): SpawnOptions {
  let o = new SpawnOptions();
  o.priority = priority;
  o.name = name;
  return o;
}

export function main(): i32 {
  setPriority(0, 7);
  start = now();
  let h = spawn(high, 0, at(7, "high"));
  let l = spawn(low, 0, at(0, "low"));
  sleep(RUN_MS);
  stop = true;
  let elapsed = now() - start;
  join(h);
  join(l);
  print("main_priority=" + getPriority().toString());
  print("low_count=" + lowCount.toString());
  print("low_first_ms=" + lowFirst.toString());
  print("high_cpu=" + highCpu.toString());
  print("low_cpu=" + lowCpu.toString());
  print("high_spins=" + highSpins.toString());
  print("high_switches=" + highSwitches.toString());
  print("low_switches=" + lowSwitches.toString());
  print("elapsed=" + elapsed.toString());
  return 0;
}
