// printThreadStats (tests/preempt.test.ts): a table with a header and a line per thread, then the groups.
// Threads: main; "stats-napper" (asleep when the table is printed); "stats-busy" (group 1, weight 3,
// CPU-bound for ~20 ms while the others sleep, so switched in once; finished but not yet joined).
// Prints the table between `--- table` and `--- end`.
import { spawn, join, sleep, now, print, printThreadStats, groupCreate, SpawnOptions } from "weft";

let spins: i64 = 0;
let busyDone = false;                     // busy's last step: main prints the table only after it

function busy(arg: usize): i32 {
  let t0 = now();
  while (now() - t0 < 20) spins++;
  busyDone = true;
  return 0;
}

function napper(arg: usize): i32 { sleep(200); return 0; }

function named(name: string, group: i32, weight: i32): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  o.group = group;
  o.weight = weight;
  return o;
}

export function main(): i32 {
  let g = groupCreate(3);
  let n = spawn(napper, 0, named("stats-napper", -1, 1));
  let b = spawn(busy, 0, named("stats-busy", g, 3));
  sleep(60);                              // napper goes to sleep, then busy runs alone and finishes
  while (!busyDone) sleep(1);             // (later only if the kernel kept the run off its core)
  print("--- table");
  printThreadStats();
  print("--- end");
  join(b);
  join(n);
  print("spins=" + spins.toString());
  return 0;
}
