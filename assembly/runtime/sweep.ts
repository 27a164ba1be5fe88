// Sweeping, lazily: once marking is over, every processor's list becomes its list to sweep, and objects
// are taken off it a batch at a time — by the processor that owns it, in its allocations' slow path (no
// lock: nobody else touches a processor's lists while it runs), or by a collector while every processor
// is stopped (core/gc.ts). What carries the epoch goes back on the live list; the rest is freed into the
// sweeping processor's heap (its cache, M:N). Objects made meanwhile go straight on the live list: they
// are not swept before the next marking.
//
// Sweeping on demand (shared builds). A processor's cache class that runs dry while its list still has
// objects to sweep is filled by sweeping on (gcSweepDemand, from heap.ts) before any block comes from the
// global lists: a block freed by a sweep is then handed out while the sweep's load of its header still
// has it in the core's cache, where one taken from a global list was last touched a collection ago.
// The periodic batches (core/gc.ts, SWEEP_BATCH_SHARED) go on as well; a sweep that has not ended when
// the next collection is due is finished in that collection's first pause (core/gc.ts, begin). The
// demand sweeps' time counts in the statistics' sweep time (`spentNs`, with the batches' own; two looks at
// the clock a sweep of 64-512 objects).
//
// Access rule: TO_SWEEP[i] is processor i's (the collector's while the world is stopped); `pending` and
// the counters are atomic.

import { OBJECT_OVERHEAD } from "rt/common";
import { heapFree, heapCapacity, HEADER } from "./heap";
import { LISTS, LISTS_MAX, gcEpoch, gcListsUsed, gcOwnList } from "./gc";

// @ts-ignore: decorator
@lazy const TO_SWEEP: usize = memory.data(<i32>LISTS_MAX * sizeof<usize>(), 16);

@unmanaged class SweepState {
  pending: u32;      // lists not yet swept to the end
  live: u32;         // block bytes of objects kept, this sweep
  freed: u32;        // block bytes freed, this sweep
  objects: u32;      // objects kept, this sweep
  spentNs: u64;      // ns spent sweeping, this sweep: batches (gcSweepSpent) and sweeps on demand
}
// @ts-ignore: decorator
@lazy const SWEEP: usize = memory.data(offsetof<SweepState>(), 16);

/** Marking is over (the world is stopped): every live list becomes a list to sweep. */
export function gcSweepBegin(): void {
  let pending: u32 = 0;
  for (let i: u32 = 0, n = gcListsUsed(); i < n; i++) {
    let head = LISTS + (<usize>i << alignof<usize>());
    let list = load<usize>(head);
    store<usize>(TO_SWEEP + (<usize>i << alignof<usize>()), list);
    store<usize>(head, 0);
    if (list != 0) pending++;
  }
  let s = changetype<SweepState>(SWEEP);
  s.live = 0;
  s.freed = 0;
  s.objects = 0;
  s.spentNs = 0;
  atomic.store<u32>(SWEEP + offsetof<SweepState>("pending"), pending);
}

/** Objects a demand sweep takes at least, and at most: enough that its counters' atomic adds are spread
 *  over many objects, and few enough that an allocation waits a few microseconds at most. */
// @ts-ignore: decorator
@inline const DEMAND_LEAST: i32 = 64;
// @ts-ignore: decorator
@inline const DEMAND_MOST: i32 = 512;

/** The host's clock (ms), for timing the demand sweeps: the same import as core/host.ts's hostNow, which
 *  the runtime may not import (tests/layout.test.ts), nor reach through a pointer (the core handing it
 *  a function to call, as for the slow path, broke M:N runs: calls in the middle of an allocation lost
 *  threads' TLS destructors and records). */
// @ts-ignore: decorator
@external("weft", "now")
declare function clockNow(): f64;

/** A cache class (its list head at `wanted`) of this processor ran dry: if its list is being swept,
 *  sweeps on until the class has a block again (see "Sweeping on demand"). */
export function gcSweepDemand(wanted: usize): void {
  let i = gcOwnList();
  if (load<usize>(TO_SWEEP + (<usize>i << alignof<usize>())) == 0) return;   // nothing owed: not sweeping, or done
  let start = clockNow();
  gcSweepList(i, DEMAND_MOST, wanted);
  gcSweepSpent(clockNow() - start);
}

/** Adds `ms` to this sweep's time: atomically, where processors sweep at once. */
export function gcSweepSpent(ms: f64): void {
  let ns = <u64>(ms * 1e6);
  let at = SWEEP + offsetof<SweepState>("spentNs");
  if (isDefined(WEFT_SHARED_MEMORY)) atomic.add<u64>(at, ns); else store<u64>(at, load<u64>(at) + ns);
}

/** Sweeps up to `budget` objects of list `i` (its owner, or with the world stopped); true when that list
 *  is swept to the end. `wanted`: a cache class's list head; the sweep stops once that holds a block
 *  (after DEMAND_LEAST objects). */
export function gcSweepList(i: u32, budget: i32, wanted: usize = 0): bool {
  let at = TO_SWEEP + (<usize>i << alignof<usize>());
  let p = load<usize>(at);
  if (p == 0) return true;
  let head = LISTS + (<usize>i << alignof<usize>());
  let epoch = gcEpoch();
  let live: u32 = 0, freed: u32 = 0, objects: u32 = 0;
  while (p != 0 && budget-- > 0) {
    let info = p - OBJECT_OVERHEAD;
    let next = <usize>load<u32>(info, 4);
    let bytes = <u32>(heapCapacity(info) + HEADER);
    if (load<u32>(info) == epoch) {
      store<u32>(info, <u32>load<usize>(head), 4);   // back on the live list
      store<usize>(head, p);
      live += bytes;
      objects++;
    } else {
      // Tests build with WEFT_GC_POISON (weft build's `poisonFreed`): a freed object's bytes are
      // scrambled, so that anything still using it fails at once instead of when the block is reused.
      if (isDefined(WEFT_GC_POISON)) memory.fill(info + 4, 0xab, heapCapacity(info) - 4);
      heapFree(info);
      freed += bytes;
    }
    p = next;
    store<usize>(at, p);                            // the list is whole at every step
    if (wanted != 0 && budget < DEMAND_MOST - DEMAND_LEAST && load<usize>(wanted) != 0) break;
  }
  let s = SWEEP;
  counterAdd(s + offsetof<SweepState>("live"), live);
  counterAdd(s + offsetof<SweepState>("freed"), freed);
  counterAdd(s + offsetof<SweepState>("objects"), objects);
  if (p != 0) return false;
  counterAdd(s + offsetof<SweepState>("pending"), -1);
  return true;
}

/** Adds to one of the sweep's counters: atomically where processors share them, plainly in N:1. */
// @ts-ignore: decorator
@inline function counterAdd(at: usize, delta: u32): void {
  if (isDefined(WEFT_SHARED_MEMORY)) atomic.add<u32>(at, delta); else store<u32>(at, load<u32>(at) + delta);
}

/** Sweeps every list to the end (with the world stopped). */
export function gcSweepAll(): void {
  for (let i: u32 = 0, n = gcListsUsed(); i < n; i++) gcSweepList(i, i32.MAX_VALUE);
}

/** Lists not yet swept to the end (0: the sweep is over). */
export function gcSweepPending(): u32 { return atomic.load<u32>(SWEEP + offsetof<SweepState>("pending")); }

/** This sweep's figures so far: block bytes kept and freed, objects kept. */
export function gcSweptLive(): u32 { return atomic.load<u32>(SWEEP + offsetof<SweepState>("live")); }
export function gcSweptFreed(): u32 { return atomic.load<u32>(SWEEP + offsetof<SweepState>("freed")); }
export function gcSweptObjects(): u32 { return atomic.load<u32>(SWEEP + offsetof<SweepState>("objects")); }
/** Milliseconds this sweep took so far, on every processor. */
export function gcSweptMs(): f64 { return <f64>atomic.load<u64>(SWEEP + offsetof<SweepState>("spentNs")) / 1e6; }
