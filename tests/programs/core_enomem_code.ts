// Spawning beyond the memory cap (the test runs this with memoryLimit 8 MiB), checked without allocating
// anything after spawn fails: main returns spawn's error negated (12 for -ENOMEM), or 99 if fewer than
// 1,000 threads could be spawned. core_enomem.ts goes on to print, join and spawn again.
import { spawn, join, SpawnOptions } from "weft";

const MAX = 200000;

function worker(arg: usize): i32 {
  return <i32>arg & 0xff;
}

export function main(): i32 {
  let options = new SpawnOptions();
  options.stackSize = 1 << 30;           // 1 GiB: spawn must not reserve it
  join(spawn(worker, 1));                // main switches once and keeps its save area, while memory lasts
  let count = 0;
  let failure = 0;
  while (count < MAX) {
    let id = spawn(worker, <usize>count, options);
    if (id < 0) { failure = id; break; }
    count++;
  }
  return count > 1000 ? -failure : 99;
}
