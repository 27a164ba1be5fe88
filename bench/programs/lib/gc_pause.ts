// gc_pause_p99_ms: `threads` threads parked (each holding a small object graph: an object with an array
// of 4 strings), while one thread allocates garbage; every collection's pause is recorded, and the p99 of
// them printed (ms). Used by gc_pause.ts (100,000 threads) and gc_pause_1k.ts (1,000).
import { spawn, join, yieldNow, print, heapStatsInto, HeapStats, Channel } from "weft";

class Holding {
  parts: Array<string> = new Array<string>();
  constructor(n: i32) { for (let i = 0; i < 4; i++) this.parts.push("part " + n.toString() + "." + i.toString()); }
}

let release = new Channel<i32>(0);
let broken = 0;

function holder(n: usize): i32 {
  let h = new Holding(<i32>n);
  release.recv();                                   // parked, holding h
  if (h.parts[3] != "part " + (<i32>n).toString() + ".3") broken++;
  return 0;
}

export function pauses(threads: i32, collections: i32, name: string): i32 {
  let ids = new StaticArray<i32>(threads);
  for (let i = 0; i < threads; i++) ids[i] = spawn(holder, i);
  yieldNow();
  let samples = new Array<f64>();
  let markSum = 0.0, sweepSum = 0.0, cycles = 0, missed = 0;
  let stats = new HeapStats();
  heapStatsInto(stats);
  let pausesSeen = stats.pauses, cyclesSeen = stats.collections;
  while (cycles < collections) {
    // Every pause is sampled: the program looks after each 50 allocations, and a pause comes at most every
    // 64 KiB allocated (core/gc.ts, MARK_EVERY); a look that finds two pauses counts one as missed.
    for (let i = 0; i < 50; i++) { let s = "garbage " + i.toString(); if (s.length == 0) broken++; }
    heapStatsInto(stats);
    if (stats.pauses != pausesSeen) {
      if (stats.pauses - pausesSeen > 1) missed += <i32>(stats.pauses - pausesSeen - 1);
      pausesSeen = stats.pauses;
      samples.push(stats.pauseLastMs);
    }
    if (stats.collections != cyclesSeen) {
      cyclesSeen = stats.collections;
      cycles++;
      markSum += stats.markLastMs;
      sweepSum += stats.sweepLastMs;
    }
  }
  release.close();
  for (let i = 0; i < threads; i++) join(ids[i]);
  samples.sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
  let p99 = samples[min<i32>(samples.length - 1, <i32>Math.ceil(<f64>samples.length * 0.99) - 1)];
  print(name + " " + p99.toString());
  print(name + "_max " + samples[samples.length - 1].toString());
  print(name + "_mark_mean " + (markSum / cycles).toString());
  print(name + "_sweep_mean " + (sweepSum / cycles).toString());
  print(name + "_pauses " + samples.length.toString());
  print(name + "_missed " + missed.toString());
  return broken == 0 ? 0 : 1;
}
