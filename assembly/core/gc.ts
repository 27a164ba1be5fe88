// Collections: when one runs, how its work is spread, and what it reports. The mechanism (object lists,
// marks, the barrier, sweeping) is the runtime's (runtime/gc.ts, runtime/sweep.ts); the roots are
// gcroots.ts's; stopping the other processors (M:N) is gcstop.ts's.
//
// Design note
// -----------
// When. Like Go's GOGC: a collection starts once the objects allocated since the last one began pass
// `percent`% of the heap in use (heapAllocated(): objects and everything weft keeps — thread records,
// stacks, save areas —, since marking costs time in proportion to all of it), and never before
// MIN_TRIGGER bytes. The heap in use is taken when the last sweep ended (less what was allocated since
// the collection began), and taken again when allocation reaches that trigger (less the same): threads made meanwhile move the goal up (due()),
// so a program that starts 100,000 threads does not collect again and again for nothing while it does.
// gc() collects at once, to the end; so does an allocation the heap cannot serve, before it gives up
// with "out of memory". setGcPercent(-1) turns automatic ones off.
//
// Pauses. A collection that stopped the program until it had marked everything would pause it for as
// long as marking the whole heap takes: measured ~1.3 s with 100,000 parked threads each holding a few
// objects. So a collection goes in phases, and the program runs between its pauses:
//   1. Begin (a pause): a new epoch; the barrier is on (runtime/gc.ts, gcShade).
//   2. Marking slices (pauses of at most MARK_SLICE_MS, every MARK_EVERY bytes the program allocates):
//      the globals and pins, each thread's record and stack in turn (gcroots.ts), each root source, and
//      the fields of what was marked. A thread that runs meanwhile is noted (gcroots.ts, gcThreadRuns).
//   3. Remark (the pause that ends marking): the roots that have no barrier are looked at again — the
//      globals, every processor's own stack, the threads running now and those noted in step 2 — and
//      marking finishes. Then every list becomes a list to sweep.
//   4. Sweeping, lazily: each processor sweeps its own list a batch at a time in its allocations' slow
//      path, and on processors also whenever a class of its heap cache runs dry (runtime/sweep.ts,
//      "Sweeping on demand"); when the last list is done, the trigger for the next collection is set.
//      A collection due while lists are left sweeps them first, in its begin pause.
// If the program allocates faster than slices mark (allocation since the begin passes twice the
// trigger), the next slice marks to the end, whatever it takes: the heap stays bounded.
// In N:1 a pause is simply work done inside an allocation; in M:N every pause stops the world
// (gcstop.ts), and only the processor that found the pause due does the work.

import { Thread, STATE_RUNNING } from "./layout";
import { SHARED_MEMORY, atomicCas } from "./atomics";
import { hostNow } from "./host";
import { processorIndex } from "./processor";
import { tracing, tracePause } from "./trace";
import { threadTableUsed } from "./table";
import { stopInit, stopProcessorEnter, stopTheWorld, startTheWorld, stopAbandoned, gcPark, liveStackStart } from "./gcstop";
import { markGlobalRoots, markThread, threadInSlot, rootSources, markRootSource, markRunningAndDirty, gcThreadRuns } from "./gcroots";
import { heapAllocated, heapMerge } from "../runtime/index";
import {
  gcSetSlowPath, gcReserve, gcMarkBegin, gcMarkSome, gcMarkDrain, gcStopRequested, gcPhase, gcSetPhase, Phase,
  allocPending, allocBudget, SlowPath,
} from "../runtime/gc";
import { gcSweepBegin, gcSweepList, gcSweepAll, gcSweepPending, gcSweptLive, gcSweptFreed, gcSweepSpent, gcSweptMs } from "../runtime/sweep";

export { gcAddRoots, gcThreadRuns } from "./gcroots";
export { gcCheckpoint, loopCheckpoint, gcPark, gcMutatorEnter, gcMutatorLeave, stopHeldHere } from "./gcstop";

/** Default collection percentage (GOGC's default). weft run --gc-percent, run(..., { gcPercent }),
 *  setGcPercent() change it; -1 turns automatic collections off. */
// @ts-ignore: decorator
@inline export const GC_PERCENT_DEFAULT: i32 = 100;
/** No automatic collection before this many bytes of objects were allocated, and at least this many
 *  between two. 1 MiB, a core's L2 cache here: a program that keeps little and allocates much (strings
 *  per request) reuses blocks that are still in the cache, and its sweeps walk objects that are too.
 *  bench/programs/gc_churn.ts, builds alternating in one process (7 runs each, medians): 1.26 s at 1 MiB
 *  against 2.14 s at 4 MiB (Go's minimum heap goal), 582 collections against 242; 2 MiB 1.60 s against
 *  3.18 s; 512 KiB 1.24 s (its heap in use passes that). gc_trees.ts, whose live tree keeps the goal
 *  above either, moved by the noise alone (1.04-1.11x). The goal counts threads' records (due()), so a
 *  small minimum does not make a program with many threads collect often. Not configurable. */
// @ts-ignore: decorator
@inline const MIN_TRIGGER: usize = 1 << 20;
/** M:N: a processor adds its allocations to the shared count, and takes its slow path, every FLUSH bytes
 *  (64 KiB: one atomic add per ~1,000 small objects, so the count's cache line is not fought over). */
// @ts-ignore: decorator
@inline const FLUSH: usize = 64 << 10;
/** The longest a marking slice runs (ms). 1: a pause the program hardly notices (a tick is 1 ms too),
 *  and ~5,000-20,000 objects' worth of marking each. Not configurable. */
// @ts-ignore: decorator
@inline const MARK_SLICE_MS: f64 = 1;
/** Bytes of objects the program allocates between two marking slices. 64 KiB: a slice marks several
 *  times what the program allocates meanwhile, so marking catches up. Not configurable. */
// @ts-ignore: decorator
@inline const MARK_EVERY: usize = 64 << 10;
/** Objects a slow path sweeps while sweeping is under way, and how often it comes (N:1: every
 *  SWEEP_EVERY bytes allocated; M:N: every FLUSH). 2,048 per 32 KiB: ~0.1 ms of sweeping per ~500 new
 *  objects, so sweeping ends well before the next collection is due. Not configurable. */
// @ts-ignore: decorator
@inline const SWEEP_BATCH: i32 = 2048;
/** The same on processors, where sweeping is mostly done on demand (runtime/sweep.ts, "Sweeping on
 *  demand"): a cache class that runs dry sweeps on, so what a sweep frees is handed out while it is still
 *  in the core's cache. 256 per 64 KiB keeps a sweep going while the program allocates what it needs,
 *  instead of freeing a whole collection's garbage into the global lists at once. */
// @ts-ignore: decorator
@inline const SWEEP_BATCH_SHARED: i32 = 256;
// @ts-ignore: decorator
@inline const SWEEP_EVERY: usize = 32 << 10;
/** Units of marking work between two looks at the clock in a slice. */
// @ts-ignore: decorator
@inline const MARK_CLOCK_EVERY: i32 = 128;

// ╒═══ collection statistics (static; the host reads them at weft_gc_stats()) ═══╕
//   0 │ collections  u32  collections finished (their marking done)            │
//   4 │ percent      i32  the collection percentage (-1: automatic ones off)   │
//   8 │ pauseTotal   f64  ms the program was paused by collections, in all     │
//  16 │ pauseLast    f64  ms of the last pause                                 │
//  24 │ pauseMax     f64  ms of the longest                                    │
//  32 │ liveBytes    u32  bytes of objects the last finished sweep kept        │
//  36 │ heapBytes    u32  bytes in use when it finished (objects and weft's)   │
//  40 │ freedTotal   f64  bytes of objects freed, in all                       │
//  48 │ allocated    u32  bytes of objects allocated since the last collection began │
//  52 │ trigger      u32  the next one begins when `allocated` reaches it       │
//  56 │ markLast     f64  ms the last collection spent marking (its pauses)     │
//  64 │ sweepLast    f64  ms it spent sweeping (in slow paths and pauses)       │
//  72 │ pauses       u32  pauses so far (begins, slices, remarks, full collections) │
//  76 │ phase        u32  0 idle, 1 marking, 2 sweeping                        │
// ╘══════════════════════════════════════════════════════════════════════════════╛
// Access rule: written by the collector, `allocated` by atomic adds from every processor, `sweepLast`
// and `liveBytes` when the sweep ends; read by anyone.
@unmanaged export class GcStats {
  collections: u32;
  percent: i32;
  pauseTotal: f64;
  pauseLast: f64;
  pauseMax: f64;
  liveBytes: u32;
  heapBytes: u32;
  freedTotal: f64;
  allocated: u32;
  trigger: u32;
  markLast: f64;
  sweepLast: f64;
  pauses: u32;
  phase: u32;
}
// @ts-ignore: decorator
@inline export const GC_STATS_SIZE: usize = 80;
if (offsetof<GcStats>() != GC_STATS_SIZE || offsetof<GcStats>("allocated") != 48 || offsetof<GcStats>("phase") != 76) {
  ERROR("core/gc.ts: GcStats no longer matches its drawing");
}

// @ts-ignore: decorator
@lazy const STATS: usize = memory.data(<i32>GC_STATS_SIZE, 16);
// @ts-ignore: decorator
@inline function stats(): GcStats { return changetype<GcStats>(STATS); }

// Shared (moved into linear memory by a shared build):
let installed: bool = false;     // the runtime has our slow path
let percentSet: bool = false;    // the host or the program chose the percentage
let cursor: u32 = 0;             // marking: the next thread-table slot to visit
let nextSource: i32 = 0;         // marking: the next root source to run
let globalsDone: bool = false;   // marking: the globals and pins were marked
let sliceDue: usize = 0;         // marking: `allocated` at which the next slice is due
let markSpent: f64 = 0;          // ms of marking in this collection's pauses
let sweepFreed: f64 = 0;         // bytes freed by sweeps before this one's lazy part (pauses)

// ─── Setting up ───

/** Before the first thread: gives the runtime the slow path and sets the first trigger; M:N (processor
 *  0, before the others start): makes the processor records. False when out of memory. */
export function gcInit(): bool {
  if (installed || isDefined(WEFT_GC_OFF)) return true;
  installed = true;
  gcSetSlowPath(slowPath);
  if (!gcReserve() || !stopInit()) return false;
  let s = stats();
  if (!percentSet) s.percent = GC_PERCENT_DEFAULT;
  s.trigger = <u32>MIN_TRIGGER;
  renewBudget();
  return true;
}

/** M:N: processor `index` starts, on a stack whose top is `stackTop`. */
export function gcProcessorEnter(index: i32, stackTop: usize): void {
  stopProcessorEnter(index, stackTop);
  renewBudget();
}

// ─── The API ───

/** Sets the collection percentage; returns the previous one. -1 turns automatic collections off. */
export function gcSetPercent(percent: i32): i32 {
  let s = stats();
  let old = s.percent;
  s.percent = percent < 0 ? -1 : percent;
  percentSet = true;
  if (installed) setTrigger();
  return old;
}

/** Collects now, to the end (gc()). */
export function gcCollect(): void {
  if (!installed) return;
  flush();
  fullCollection(false);
  renewBudget();
}

/** The statistics record (host: weft_gc_stats). */
export function gcStatsAddress(): usize { return STATS; }

/** After a trap on this processor (sys/abi.ts, weft_trap_begin): a pause it was in is given up, so that
 *  the others do not wait for it for ever. Nothing reachable is freed for it: marking left half done
 *  goes on at the next slice (its marks stand), a sweep keeps its place in each list. */
export function gcTrapped(): void { stopAbandoned(); }

// ─── The slow path (runtime/index.ts's __new and __collect) ───

function slowPath(why: i32): void {
  if (SHARED_MEMORY && gcStopRequested()) gcPark();
  let allocated = flush();
  if (why == SlowPath.NO_MEMORY) fullCollection(true);
  else if (why == SlowPath.ASKED) fullCollection(false);
  else {
    let phase = gcPhase();
    if (phase == Phase.SWEEPING) {
      sweepOwn();
      if (gcPhase() == Phase.SWEEPING && due(allocated)) begin();
    } else if (phase == Phase.MARKING) {
      if (allocated >= sliceDue) slice();
    } else if (due(allocated)) begin();
  }
  renewBudget();
}

/** Adds this processor's allocations to the shared count; returns the count. */
function flush(): usize {
  let bytes = allocPending;
  allocPending = 0;
  let at = STATS + offsetof<GcStats>("allocated");
  if (SHARED_MEMORY) return <usize>atomic.add<u32>(at, <u32>bytes) + bytes;
  let total = <usize>load<u32>(at) + bytes;
  store<u32>(at, <u32>total);
  return total;
}

/** How much this processor may allocate before its next slow path. */
function renewBudget(): void {
  if (SHARED_MEMORY) { allocBudget = FLUSH; return; }
  let s = stats();
  let phase = gcPhase();
  if (phase == Phase.MARKING) allocBudget = MARK_EVERY;
  else if (phase == Phase.SWEEPING) allocBudget = SWEEP_EVERY;
  else allocBudget = s.percent < 0 ? <usize>0xffffffff : (s.trigger > s.allocated ? <usize>(s.trigger - s.allocated) : 0);
}

/** Whether a collection is due, `allocated` bytes of objects after the last one began. The trigger was
 *  set from the heap in use when the last sweep ended; since then the program may have made threads, whose
 *  records and stacks marking must visit too. So once `allocated` passes the trigger, it is measured again
 *  against the heap in use now, less the objects allocated since (what the last collection left, and what
 *  weft holds now): a collection begins only if it passes that as well, else the trigger moves up to it.
 *  As Go's pacer (1.18 on) counts goroutine stacks in the heap goal: a collection's cost is in proportion
 *  to everything it visits, and so is the allocation that pays for it. Never later than the heap's
 *  growth allows: an allocation that finds no memory collects at once (slowPath, NO_MEMORY). */
function due(allocated: usize): bool {
  let s = stats();
  if (s.percent < 0 || allocated < <usize>s.trigger) return false;
  let heap = heapAllocated();
  let base = heap > allocated ? heap - allocated : 0;
  let goal = goalFor(base);
  if (<usize>allocated >= <usize>goal) return true;
  s.trigger = goal;
  return false;
}

/** The trigger for a heap of `base` bytes in use: percent% of it, never below MIN_TRIGGER. */
function goalFor(base: usize): u32 {
  let percent = max<i32>(stats().percent, 0);
  let goal = <u32>min<u64>(<u64>max<usize>(base, MIN_TRIGGER) * <u64>percent / 100, 0xffffffff);
  return goal < <u32>MIN_TRIGGER ? <u32>MIN_TRIGGER : goal;
}

/** The trigger after a sweep that left the heap with `heapBytes` in use: from that, less the objects
 *  allocated since this collection began, as due() measures. On processors a sweep goes on while the
 *  program allocates (runtime/sweep.ts, "Sweeping on demand") and may end late in the cycle, when the heap
 *  holds much of the next collection's garbage: counted in, it raised the trigger by as much (the churn
 *  bench's peak heap on 2 processors went 10.6 → 15.3 MB). */
function setTrigger(): void {
  let s = stats();
  let heap = <usize>s.heapBytes;
  let since = <usize>atomic.load<u32>(STATS + offsetof<GcStats>("allocated"));
  s.trigger = goalFor(heap > since ? heap - since : 0);
  renewBudget();
}

// ─── Pauses ───

/** A pause that took from `start` to now. */
function paused(start: f64): f64 {
  let now = hostNow();
  let pause = now - start;
  let s = stats();
  s.pauses++;
  s.pauseLast = pause;
  s.pauseTotal += pause;
  if (pause > s.pauseMax) s.pauseMax = pause;
  if (tracing()) tracePause(start, now);
  return now;
}

/** Step 1, in a pause of its own: sweeps what is left of the last collection, then begins marking and
 *  does a first slice. */
function begin(): void {
  if (!stopTheWorld()) return;                    // another processor paused first: it did the work
  let start = hostNow();
  if (gcPhase() != Phase.MARKING) {
    if (gcPhase() == Phase.SWEEPING) sweepRest();
    startMarking();
  }
  let end = markFor(start + MARK_SLICE_MS);
  markSpent += end - start;
  paused(start);
  startTheWorld();
}

/** Step 2: a marking slice (the last one does the remark). */
function slice(): void {
  if (!stopTheWorld()) return;
  let start = hostNow();
  if (gcPhase() == Phase.MARKING) {
    // Behind the program: mark to the end rather than let the heap grow without bound.
    let s = stats();
    let unbounded = <usize>s.allocated > (<usize>s.trigger << 1);
    let end = markFor(unbounded ? Infinity : start + MARK_SLICE_MS);
    markSpent += end - start;
  }
  paused(start);
  startTheWorld();
}

/** gc(), and an allocation that found no memory (`merge`: then free blocks are merged, runtime/heap.ts):
 *  a whole collection in one pause. */
function fullCollection(merge: bool): void {
  if (!stopTheWorld()) return;
  let start = hostNow();
  if (gcPhase() == Phase.SWEEPING) sweepRest();
  if (gcPhase() == Phase.IDLE) startMarking();
  let marked = markFor(Infinity);
  markSpent += marked - start;
  sweepRest();
  if (merge) heapMerge();
  paused(start);
  startTheWorld();
}

function startMarking(): void {
  let s = stats();
  gcMarkBegin();
  cursor = 1;
  nextSource = 0;
  globalsDone = false;
  markSpent = 0;
  s.allocated = 0;
  sliceDue = MARK_EVERY;
  gcSetPhase(Phase.MARKING);
  s.phase = Phase.MARKING;
}

/** Marks until `deadline` (ms, hostNow) or the end of marking, which it then finishes (the remark,
 *  step 3) and hands over to sweeping. Returns the time. */
function markFor(deadline: f64): f64 {
  let now = hostNow();
  while (true) {
    for (let units = 0; units < MARK_CLOCK_EVERY; units++) {
      if (!gcMarkSome(64)) continue;
      // Threads first, while the heap behind them is still mostly unmarked: what a thread moves from the
      // heap to its stack after this is then found by the remark (gcroots.ts), or by the barrier.
      if (cursor < threadTableUsed()) {
        let tp = threadInSlot(cursor++);
        // A running thread's stack changes under us: the remark looks at it. Not only if it still runs
        // then: it may switch out before the remark and not run again, so it goes on the dirty list
        // (its switch-in, which would have put it there, came before marking began).
        if (tp != 0) {
          let running = changetype<Thread>(tp).state == STATE_RUNNING;
          markThread(tp, !running);
          if (running) gcThreadRuns(changetype<Thread>(tp));
        }
        continue;
      }
      if (nextSource < rootSources()) { markRootSource(nextSource++); continue; }
      if (!globalsDone) { markGlobalRoots(); globalsDone = true; continue; }
      remark();
      return hostNow();
    }
    now = hostNow();
    if (now >= deadline) {
      sliceDue = <usize>stats().allocated + MARK_EVERY;
      return now;
    }
  }
  return now;
}

/** Step 3. */
function remark(): void {
  let mine = liveStackStart();
  markGlobalRoots();
  markRunningAndDirty(mine);
  gcMarkDrain();
  gcSweepBegin();
  gcSetPhase(Phase.SWEEPING);
  let s = stats();
  s.phase = Phase.SWEEPING;
  s.collections++;
  sweepFreed = 0;
  if (gcSweepPending() == 0) sweepDone();
}

/** Step 4: this processor sweeps a batch of its own list (timed). */
function sweepOwn(): void {
  let start = hostNow();
  let list = SHARED_MEMORY ? <u32>processorIndex : 0;
  let finished = gcSweepList(list, SHARED_MEMORY ? SWEEP_BATCH_SHARED : SWEEP_BATCH);
  gcSweepSpent(hostNow() - start);
  if (finished && gcSweepPending() == 0) sweepDone();
}

/** With the world stopped: sweeps every list to the end. */
function sweepRest(): void {
  if (gcPhase() != Phase.SWEEPING) return;
  let start = hostNow();
  gcSweepAll();
  gcSweepSpent(hostNow() - start);
  sweepDone();
}

/** The last list is swept: the figures, and the trigger for the next collection. Once per collection,
 *  by whichever processor saw the last list end (the phase changes by compare-and-swap). */
function sweepDone(): void {
  let phaseWord = STATS + offsetof<GcStats>("phase");
  if (atomicCas(phaseWord, Phase.SWEEPING, Phase.IDLE) != Phase.SWEEPING) return;
  gcSetPhase(Phase.IDLE);
  let s = stats();
  s.liveBytes = gcSweptLive();
  s.freedTotal += <f64>gcSweptFreed();
  s.heapBytes = <u32>heapAllocated();
  s.markLast = markSpent;
  s.sweepLast = gcSweptMs();
  setTrigger();
}
