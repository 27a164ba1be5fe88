// When collections come (core/gc.ts, "When"): the goal counts everything marking visits, the threads'
// records and stacks too, measured when the trigger is reached — not only the heap the last sweep left.
//   1. few threads: garbage collects once 1 MiB (the least trigger) of objects were made;
//   2. after a gc(), THREADS threads start and park: the heap in use grows by `roots` bytes of weft's own
//      records and stacks. Garbage of a third of that size is then made: no collection may begin (the goal is
//      the heap in use now, roots included);
//   3. garbage goes on: a collection begins before the objects made since the last one pass the heap in
//      use less them (percent 100), whatever the threads hold.
// Prints `key=value`; main returns 0 when every step held (the test reads the figures too).
import { spawn, join, yieldNow, print, gc, heapStats, Channel } from "weft";

const THREADS = 30000;
const DEPTH = 24;
const gate = new Channel<i32>(THREADS);
let sink: i32 = 0;
const WAITING = memory.data(4, 4);                 // threads parked so far (they run on every processor)

/** A thread that takes some stack, then parks until main lets it go. */
function parked(depth: usize): i32 {
  return deep(<i32>depth);
}
function deep(n: i32): i32 {
  if (n > 0) return deep(n - 1) + 1;
  atomic.add<i32>(WAITING, 1);
  return gate.recv();
}

/** About `bytes` of garbage (the blocks' headers and rounding add a little more). */
function litter(bytes: usize): void {
  for (let made: usize = 0; made < bytes; made += 256) {
    let b = new ArrayBuffer(256);
    sink += b.byteLength;
  }
}

function collections(): u32 { return heapStats().collections; }

export function main(): i32 {
  // 1. Few threads.
  let c0 = collections();
  litter(12 << 20);
  let step1 = collections() - c0;
  print("step1_collections=" + step1.toString());

  // 2. Many parked threads, then garbage of a third of their size.
  gc();
  let before = heapStats().inUseBytes;
  let ids = new StaticArray<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(parked, DEPTH);
  while (atomic.load<i32>(WAITING) < THREADS) yieldNow();
  let roots = heapStats().inUseBytes - before;
  print("roots=" + roots.toString());
  let c2 = collections();
  litter(roots / 3);
  let step2 = collections() - c2;
  print("step2_collections=" + step2.toString());

  // 3. More garbage: a collection must come, and the heap stay bounded.
  let peak: usize = 0;
  let c3 = collections();
  for (let i = 0; i < 8; i++) {
    litter(roots / 2);
    let s = heapStats();
    if (s.inUseBytes > peak) peak = s.inUseBytes;
  }
  let step3 = collections() - c3;
  print("step3_collections=" + step3.toString());
  print("peak_over_before=" + (peak - before).toString());

  for (let i = 0; i < THREADS; i++) gate.send(0);
  for (let i = 0; i < THREADS; i++) if (join(ids[i]).value != DEPTH) return 1;
  return step1 >= 1 && step2 == 0 && step3 >= 1 ? 0 : 1;
}
