// The heap under a limit, in a shared build: each of THREADS threads (on whichever processors take
// them) takes 48-byte blocks with heapTryAlloc until it says 0, links them, then all free theirs, and a
// second round does the same. Near the limit a refill of fresh memory can no longer carve a whole batch
// (runtime/index.ts, FRESH_BATCH) and must take single blocks: the heap must still fill to the limit,
// give every block back, and fill again as far.
// tests/mn.test.ts builds it without safepoints, so that threads switch only in the barrier's waits,
// and whatever those allocate (save areas, waiters) must be in place before the first fill: a thread
// whose first switch comes after it finds no memory for its save area and dies (the others then wait
// for it at the barrier forever). A thread that arrives last at a barrier does not park, so the warm-up
// goes on until every filler has parked at least once (has its save area): two fixed rounds were not
// enough — on 2 processors under load, one thread was last at both now and then (2 runs in ~700 with
// four runs at once on Node 26: "thread 2 died: out of memory: no room for the thread's save area").
// Each processor frees into its own cache (runtime/heap.ts, "Processor caches"), which holds at most
// CACHE_MAX blocks of a class and which only an allocation on that processor takes from: a processor
// that runs no filler in a round (the kernel kept it off its core while the others took its threads)
// keeps up to CACHE_MAX blocks from that round's count.
// Prints `filled=` (1: round one's blocks took the heap to within one block of the limit,
// which a refill that carved only whole batches would not) and `again=` (1: round
// two got exactly as many: every block came back to where the next allocation finds it; "cached":
// as many but for at most CACHE_MAX on each other processor; 0: fewer or more than that).
import { spawn, joinInto, JoinResult, Barrier, print, processors } from "weft";
import { heapTryAlloc, heapFree, heapTop } from "weft/assembly/runtime/index";
import { currentThread } from "weft/assembly/core/scheduler";
import { Thread } from "weft/assembly/core/layout";

const THREADS = 4;
const LIMIT = 16 << 20;                      // tests/mn.test.ts runs this with memoryLimit = LIMIT
const BLOCK_STEP = 64;                       // a 48-byte block and its 16-byte header
const CACHE_MAX = (32 << 10) / 48;           // runtime/heap.ts, cacheMax: 32 KiB of a class, in 48-byte blocks

let rounds = new Barrier(THREADS);
let counts = new StaticArray<i32>(THREADS * 2);
const UNPARKED: usize = memory.data(4, 4);  // fillers that have not parked yet, this warm-up round

/** Warm-up: rounds of the barrier until every filler has parked in it (its save area is kept across
 *  switches, made at the barrier's depth) — the futex table and the save areas exist before the heap is
 *  full. Each round: every filler arrives (1), says whether it has parked (2), all read the count once
 *  every report is in (3), and the last to arrive at 4 clears it for the next round (the others clear
 *  nothing, and nobody adds to it before every filler has passed 1 again). */
// @ts-ignore: decorator
@inline function warmUp(): void {
  while (true) {
    rounds.wait();                                                         // 1
    if (changetype<Thread>(currentThread).saveArea == 0) atomic.add<u32>(UNPARKED, 1);  // 2
    rounds.wait();
    let again = atomic.load<u32>(UNPARKED) != 0;                           // 3
    if (rounds.wait()) atomic.store<u32>(UNPARKED, 0);                     // 4
    if (!again) return;
  }
}

function filler(index: usize): i32 {
  warmUp();
  for (let round = 0; round < 2; round++) {
    let head: usize = 0, n = 0;
    while (true) {
      let block = heapTryAlloc(48);
      if (block == 0) break;
      store<usize>(block, head);
      head = block;
      n++;
    }
    rounds.wait();                           // every thread has filled before any frees
    while (head != 0) { let next = load<usize>(head); heapFree(head); head = next; }
    counts[<i32>index * 2 + round] = n;
    rounds.wait();
  }
  return 0;
}

const FILLED = "filled=1", AGAIN = "again=1", AGAIN_CACHED = "again=cached", NOT_AGAIN = "again=0";

export function main(): i32 {
  let ids = new StaticArray<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(filler, <usize>i);
  let result = new JoinResult();
  for (let i = 0; i < THREADS; i++) joinInto(ids[i], result);
  let first = 0, second = 0;
  for (let i = 0; i < THREADS; i++) { first += counts[i * 2]; second += counts[i * 2 + 1]; }
  // The heap is full of free 48-byte blocks now: a string of another size would find no room, so the
  // lines of a passing run were made before the fill (a failing one may then die making its own: the
  // test fails either way).
  let filled = first > 0 && LIMIT - heapTop() < BLOCK_STEP;
  print(filled ? FILLED : "filled=0 blocks " + first.toString() + " top " + heapTop().toString());
  // (Literals: building a string could find no room now.)
  let off = abs(second - first);
  print(off == 0 ? AGAIN : off <= CACHE_MAX * (processors() - 1) ? AGAIN_CACHED : NOT_AGAIN);
  return 0;
}
