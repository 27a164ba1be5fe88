// A thread running when a collection begins, whose stack alone holds an object, switches out while the
// collection marks and does not run again until it has ended (core/gc.ts, markFor; gcroots.ts): its
// stack was not visited while it ran, so the remark must look at it. The collector's build scrambles
// what it frees (the test builds with poisonFreed): an object freed under the parked thread reads back
// wrong, or traps. Prints `key=value`; main returns 0 when the object read back intact.
import { spawn, join, yieldNow, print, gc, heapStatsInto, HeapStats, Channel } from "weft";
import { Item } from "./lib/item";

// Live objects enough that marking takes more than one 1 ms pause: ~150,000 strings.
const ballast = new Array<Array<string>>();
const go = new Channel<i32>();
let parked = false;
let attempts = 0;
let sink = 0;

function holder(_: usize): i32 {
  let s = new HeapStats();
  for (let attempt = 0; attempt < 50; attempt++) {
    attempts++;
    let x = new Item(attempt);                       // on this thread's stack, and nowhere else
    heapStatsInto(s);
    let collections = s.collections, pauses = s.pauses;
    // Garbage until a collection begins, here, while this thread runs.
    while (s.pauses == pauses) {
      sink += ("litter " + sink.toString()).length;
      heapStatsInto(s);
    }
    if (s.collections != collections) continue;      // marked to the end in its first pause: again
    parked = true;                                   // marking is under way; switch out until it ended
    go.recv();
    return x.intact() ? 0 : 1;
  }
  return 2;                                          // no collection was caught in the middle
}

export function main(): i32 {
  for (let i = 0; i < 1500; i++) {
    let row = new Array<string>();
    for (let j = 0; j < 100; j++) row.push("ballast " + i.toString() + "." + j.toString());
    ballast.push(row);
  }
  let t = spawn(holder, 0);
  while (!parked) yieldNow();
  gc();                                              // the collection under way marks to the end and sweeps
  gc();                                              // and one more: what the first freed is reused
  go.send(1);
  let r = join(t);
  print("attempts=" + attempts.toString());
  print("held=" + (r.error !== null ? "trapped: " + (r.error as string) : r.value == 0 ? "intact" : r.value == 1 ? "broken" : "no collection caught"));
  return r.error === null && r.value == 0 ? 0 : 1;
}
