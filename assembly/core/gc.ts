// Collections: when one runs, which processor runs it, how the others stop, and what the roots are. The
// mechanism (object lists, marks, sweeping) is the runtime's (runtime/gc.ts).
//
// Design note
// -----------
// When. Like Go's GOGC: a collection runs once the objects allocated since the last one pass
// `percent`% of the heap in use after it (heapAllocated(): objects and everything weft itself keeps —
// thread records, stacks, save areas —, since marking costs time in proportion to all of it), and never
// before MIN_TRIGGER bytes. gc() collects at once; so does an allocation the heap cannot serve, before it
// gives up with "out of memory". setGcPercent(-1) turns automatic collections off.
//
// Roots. Every thread's stack (the shadow stack AssemblyScript keeps: at every call it holds each managed
// value the caller still needs, in the caller's frame, so a suspended thread's objects are all in
// [stackPointer, stackTop) — a save area holds Wasm locals, and any managed one is also in its frame's
// slot, written when the local was set), each processor's own stack, the program's globals
// (__visit_globals), pinned objects, and what weft keeps for threads outside the compiler's sight: a
// thread's spawn argument, name, error and TLS values, the buffers of its I/O request, main's error, and
// (registered by lib/: gcAddRoots) the values in channel buffers, parked senders and select cases. Words
// of unknown type (an argument is a usize, a TLS value may be a number) count only if they point at an
// object (runtime/gc.ts, "What is an object"), so a number never corrupts anything; it may keep an object
// alive, never free one.
//
// Who collects (M:N). The processor whose allocation finds the budget spent (or whose program calls gc()).
// Every other processor must be stopped where it keeps nothing the roots do not show: at its loop's top
// (no thread), inside __new before allocating (its thread's values are in its frames), or spinning for a
// lock or a thread. A processor outside the mutator — returned to the host, or asleep for want of work
// — holds no thread and need not be waited for; it must not come back while the collection runs.
//
// Stop protocol. Each processor has a state word: SAFE (outside the mutator), RUNNING, PARKED.
//   1. The collector sets the runtime's stop word from 0 to 1 (compare-and-swap). A processor that loses
//      the race parks instead (step 3) and, once woken, finds its budget renewed.
//   2. It raises the tick request of every processor that runs a thread (preempt.ts), so that a thread
//      computing without allocating reaches its next safepoint, unwinds to its loop and stops there.
//   3. A processor at a checkpoint that sees the stop word: stores its stack pointer into its running
//      thread's record (if any) and its own record, then PARKED (seq-cst), bumps `arrivals` and wakes the
//      collector, and waits on the stop word until it is 0.
//   4. A processor leaving the mutator stores SAFE, then bumps `arrivals`. One entering stores RUNNING,
//      then reads the stop word; if it is set, it stores SAFE again and waits for 0. Ordering: the
//      collector's store of the stop word (step 1) comes before its reads of the states (step 5), and a
//      processor's store of RUNNING before its read of the stop word (sequentially consistent), so either
//      the collector sees RUNNING and waits, or the processor sees the stop word and stays out.
//   5. The collector waits until no other processor is RUNNING, then marks and sweeps.
//   6. It stores 0 in the stop word and wakes every waiter; each returns to RUNNING (step 4's entry).
// A thread that neither allocates nor reaches a safepoint (built with --no-safepoints, or with the
// ticker off) holds the collection up until it does.

import { Thread, STATE_RUNNABLE, STATE_RUNNING, STATE_BLOCKED, STATE_SLEEPING, TLS_HEADER } from "./layout";
import { SHARED_MEMORY } from "./atomics";
import { getStackPointer } from "./asyncify";
import { hostNow } from "./host";
import { currentThread, loopStackPointer } from "./scheduler";
import { threadAt, threadTableUsed } from "./table";
import { STACK_NONE } from "./stack";
import { IoRequest } from "./completion";
import { mainErrorMessage } from "./thread";
import { processorIndex, processors, PROCESSORS_MAX } from "./processor";
import { preemptRequestFor } from "./preempt";
import { heapAllocated, heapTryAlloc, heapMerge } from "../runtime/index";
import {
  gcSetSlowPath, gcReserve, gcMarkBegin, gcMark, gcMarkMaybe, gcMarkRange, gcMarkDrain, gcMarkPins, gcSweep, gcStopWord,
  gcStopRequested, gcFreedBytes, allocPending, allocBudget, SlowPath,
} from "../runtime/gc";

/** Default collection percentage (GOGC's default). weft run --gc-percent, run(..., { gcPercent }),
 *  setGcPercent() change it; -1 turns automatic collections off. */
// @ts-ignore: decorator
@inline export const GC_PERCENT_DEFAULT: i32 = 100;
/** No automatic collection before this many bytes of objects were allocated (4 MiB, Go's minimum heap
 *  goal): small programs never pause. Not configurable. */
// @ts-ignore: decorator
@inline const MIN_TRIGGER: usize = 4 << 20;
/** M:N: a processor adds its allocations to the shared count every FLUSH bytes (64 KiB: one atomic add
 *  per ~1,000 small objects, so the count's cache line is not fought over). Not configurable. */
// @ts-ignore: decorator
@inline const FLUSH: usize = 64 << 10;

// ╒═══ collection statistics (static; the host reads them at weft_gc_stats()) ═══╕
//   0 │ collections  u32  collections so far                                   │
//   4 │ percent      i32  the collection percentage (-1: automatic ones off)   │
//   8 │ pauseTotal   f64  ms the world was stopped, all collections            │
//  16 │ pauseLast    f64  ms of the last collection                            │
//  24 │ pauseMax     f64  ms of the longest                                    │
//  32 │ liveBytes    u32  bytes of objects the last collection kept            │
//  36 │ heapBytes    u32  bytes in use right after it (objects and weft's own)  │
//  40 │ freedTotal   f64  bytes of objects freed, all collections               │
//  48 │ allocated    u32  bytes of objects allocated since the last collection (M:N: flushed) │
//  52 │ trigger      u32  the next collection starts when `allocated` reaches it │
// ╘══════════════════════════════════════════════════════════════════════════════╛
// Access rule: written by the collector (allocated: atomic adds by every processor); read by anyone.
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
}
// @ts-ignore: decorator
@inline export const GC_STATS_SIZE: usize = 56;
if (offsetof<GcStats>() != GC_STATS_SIZE || offsetof<GcStats>("allocated") != 48) ERROR("core/gc.ts: GcStats no longer matches its drawing");

// @ts-ignore: decorator
@lazy const STATS: usize = memory.data(<i32>GC_STATS_SIZE, 16);
// @ts-ignore: decorator
@inline function stats(): GcStats { return changetype<GcStats>(STATS); }

// ╒═══ processor record (M:N; PROCESSORS_MAX of them, one heap block) ═══╕
//   0 │ state     i32    SAFE, RUNNING or PARKED; atomic                  │
//   4 │ from      usize  where the live part of its own stack starts     │
//     │                  (its loop's frames; or what it runs there)       │
//   8 │ top       usize  one past the top of its own stack                │
//  12 │ (reserved)                                                        │
// ╘═════════════════════════════════════════════════════════════════════╛
// `from` is written by the processor before it stops or leaves (steps 3, 4), read by the collector.
// @ts-ignore: decorator
@inline const PROC_SIZE: usize = 16;
// @ts-ignore: decorator
@inline const SAFE: i32 = 0;
// @ts-ignore: decorator
@inline const RUNNING: i32 = 1;
// @ts-ignore: decorator
@inline const PARKED: i32 = 2;

// Shared (moved into linear memory by a shared build):
let procs: usize = 0;            // the processor records (M:N)
let arrivals: i32 = 0;           // the word a waiting collector sleeps on (its address: ARRIVALS)
let installed: bool = false;     // the runtime has our slow path
let percentSet: bool = false;    // the host or the program chose the percentage
let collector: i32 = 0;          // M:N: the collecting processor's index + 1, 0 when none
// @ts-ignore: decorator
@lazy const ARRIVALS: usize = memory.data(4, 4);

/** Up to ROOT_SOURCES functions that mark roots the core cannot see (gcAddRoots). */
// @ts-ignore: decorator
@inline const ROOT_SOURCES: i32 = 8;
// @ts-ignore: decorator
@lazy const SOURCES: usize = memory.data(ROOT_SOURCES * 4, 16);
let sourceCount: i32 = 0;

// @ts-ignore: decorator
@inline function procAt(i: i32): usize { return procs + (<usize>i << 4); }

// ─── Setting up ───

/** Before the first thread: gives the runtime the slow path and sets the first trigger; M:N (processor
 *  0, before the others start): makes the processor records. False when out of memory. */
export function gcInit(): bool {
  if (installed) return true;
  installed = true;
  gcSetSlowPath(slowPath);
  if (!gcReserve()) return false;
  let s = stats();
  if (!percentSet) s.percent = GC_PERCENT_DEFAULT;
  s.trigger = <u32>MIN_TRIGGER;
  renewBudget();
  if (SHARED_MEMORY) {
    let bytes = <usize>PROCESSORS_MAX * PROC_SIZE;
    procs = heapTryAlloc(bytes);
    if (procs == 0) return false;
    memory.fill(procs, 0, bytes);                   // every processor SAFE until it enters
    store<usize>(procAt(0), __heap_base, 8);
  }
  return true;
}

/** M:N: processor `index` starts, on a stack whose top is `stackTop`. */
export function gcProcessorEnter(index: i32, stackTop: usize): void {
  if (SHARED_MEMORY && procs != 0) store<usize>(procAt(index), stackTop, 8);
  renewBudget();
}

/** Registers `f`, which marks roots weft keeps outside the core's sight (gcMarkMaybe on each), run at
 *  every collection. Idempotent; false if ROOT_SOURCES are taken. */
export function gcAddRoots(f: () => void): bool {
  let index = changetype<usize>(f);
  for (let i = 0; i < sourceCount; i++) if (load<usize>(SOURCES + (<usize>i << 2)) == index) return true;
  if (sourceCount == ROOT_SOURCES) return false;
  store<usize>(SOURCES + (<usize>sourceCount << 2), index);
  sourceCount++;
  return true;
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

/** Collects now (gc()). */
export function gcCollect(): void {
  if (!installed) return;
  flush();
  collect(false);
}

/** The statistics record (host: weft_gc_stats). */
export function gcStatsAddress(): usize { return STATS; }

// ─── The slow path (runtime/index.ts's __new and __collect) ───

function slowPath(why: i32): void {
  if (SHARED_MEMORY && gcStopRequested()) gcPark();
  let allocated = flush();
  let s = stats();
  if (why != SlowPath.BUDGET || (s.percent >= 0 && allocated >= s.trigger)) collect(why == SlowPath.NO_MEMORY);
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
  allocBudget = s.percent < 0 ? <usize>0xffffffff : (s.trigger > s.allocated ? <usize>(s.trigger - s.allocated) : 0);
}

/** The trigger after a collection that left the heap with `heapAllocated()` bytes in use. */
function setTrigger(): void {
  let s = stats();
  let base = max<usize>(<usize>s.heapBytes, MIN_TRIGGER);
  let percent = max<i32>(s.percent, 0);
  s.trigger = <u32>min<u64>(<u64>base * <u64>percent / 100, 0xffffffff);
  if (s.trigger < <u32>MIN_TRIGGER) s.trigger = <u32>MIN_TRIGGER;
  renewBudget();
}

// ─── A collection ───

/** A collection. `merge`: an allocation found no memory; free blocks are merged afterwards (heap.ts). */
function collect(merge: bool): void {
  if (SHARED_MEMORY) {
    let stop = gcStopWord();
    if (atomic.cmpxchg<u32>(stop, 0, 1) != 0) { gcPark(); return; }   // step 1: someone else collects
    collector = processorIndex + 1;
    stopOthers();                                                       // steps 2 and 5
  }
  let start = hostNow();
  let mine = liveStackStart();
  gcMarkBegin();
  markRoots(mine);
  gcMarkDrain();
  let live = gcSweep();
  if (merge) heapMerge();
  let pause = hostNow() - start;
  let s = stats();
  s.collections++;
  s.pauseLast = pause;
  s.pauseTotal += pause;
  if (pause > s.pauseMax) s.pauseMax = pause;
  s.liveBytes = <u32>live;
  s.freedTotal += <f64>gcFreedBytes();
  s.heapBytes = <u32>heapAllocated();
  if (SHARED_MEMORY) atomic.store<u32>(STATS + offsetof<GcStats>("allocated"), 0); else s.allocated = 0;
  setTrigger();
  if (SHARED_MEMORY) {
    release();                                                          // step 6
  }
}

/** Step 6: the world goes on. */
function release(): void {
  collector = 0;
  let stop = gcStopWord();
  atomic.store<u32>(stop, 0);
  atomic.notify(stop);
}

/** After a trap on this processor (sys/abi.ts, weft_trap_begin): a collection it was running is given up,
 *  so that the others do not wait for it for ever. Nothing was freed that was reachable: a mark left
 *  half done is forgotten (the next collection takes a new epoch), a sweep left half done keeps what it
 *  had not reached yet. */
export function gcTrapped(): void {
  if (SHARED_MEMORY && collector == processorIndex + 1) release();
}

/** Steps 2 and 5: asks every running processor to stop and waits until none runs. */
function stopOthers(): void {
  let me = processorIndex;
  let n = processors();
  for (let i = 0; i < n; i++) if (i != me && atomic.load<i32>(procAt(i)) == RUNNING) preemptRequestFor(i);
  for (let i = 0; i < n; i++) {
    if (i == me) continue;
    let at = procAt(i);
    let spins = 0;
    while (atomic.load<i32>(at) == RUNNING) {
      if (++spins < 1000) continue;
      let seen = atomic.load<i32>(ARRIVALS);
      if (atomic.load<i32>(at) != RUNNING) break;
      atomic.wait<i32>(ARRIVALS, seen, 1000000);         // 1 ms at most: a lost notify costs no more
      preemptRequestFor(i);
    }
  }
}

// ─── Checkpoints and the mutator's edges (M:N; nothing in N:1) ───

/** A place where this processor may stop for a collection (the loop's top, lock and thread spins). */
// @ts-ignore: decorator
@inline export function gcCheckpoint(): void {
  if (SHARED_MEMORY && gcStopRequested()) gcPark();
}

/** Step 3: parks this processor until the collection is over. */
export function gcPark(): void {
  if (!SHARED_MEMORY || procs == 0) return;
  if (collector == processorIndex + 1) abort("gcPark: the collecting processor reached a checkpoint (a switch inside a collection)");
  let at = procAt(processorIndex);
  store<usize>(at, liveStackStart(), 4);
  atomic.store<i32>(at, PARKED);
  arrive();
  waitForEnd(at);
}

/** Where the live part of this processor's own stack starts. The running thread (if any) runs on a
 *  stack of its own: its stack pointer goes into its record, the way a switch leaves it, and the
 *  processor's part starts at its loop's frames. A thread that had moved to the processor's stack (its
 *  own overflowed: core/stack.ts) keeps the record's stack pointer, and the processor's part starts here. */
function liveStackStart(): usize {
  let sp = getStackPointer();
  let tp = currentThread;
  if (tp == 0) return sp;
  let t = changetype<Thread>(tp);
  if (sp < t.stackBase || sp > t.stackTop) return sp;
  t.stackPointer = sp;
  return loopStackPointer();
}

/** Step 4: this processor leaves the mutator (its loop returns to the host, or it goes to sleep). */
export function gcMutatorLeave(): void {
  if (!SHARED_MEMORY || procs == 0) return;
  let at = procAt(processorIndex);
  store<usize>(at, getStackPointer(), 4);
  atomic.store<i32>(at, SAFE);
  if (gcStopRequested()) arrive();
}

/** Step 4: this processor enters the mutator (its loop starts, or it woke up); waits out a collection. */
export function gcMutatorEnter(): void {
  if (!SHARED_MEMORY || procs == 0) return;
  let at = procAt(processorIndex);
  atomic.store<i32>(at, RUNNING);
  if (gcStopRequested()) {
    store<usize>(at, getStackPointer(), 4);
    atomic.store<i32>(at, SAFE);
    arrive();
    waitForEnd(at);
  }
}

function arrive(): void {
  atomic.add<i32>(ARRIVALS, 1);
  atomic.notify(ARRIVALS);
}

/** Waits until the stop word is 0, then is RUNNING again (step 4's entry, as often as it takes). */
function waitForEnd(at: usize): void {
  let stop = gcStopWord();
  while (true) {
    let seen = atomic.load<u32>(stop);
    if (seen != 0) { atomic.wait<u32>(stop, seen, -1); continue; }
    atomic.store<i32>(at, RUNNING);
    if (!gcStopRequested()) return;
    atomic.store<i32>(at, PARKED);
    arrive();
  }
}

// ─── Roots ───

/** `mine`: where the live part of the collector's own stack starts (liveStackStart). */
function markRoots(mine: usize): void {
  __visit_globals(0);
  gcMarkPins();
  gcMarkMaybe(mainErrorMessage());
  markThreads();
  markProcessorStacks(mine);
  for (let i = 0; i < sourceCount; i++) call_indirect<void>(load<u32>(load<usize>(SOURCES + (<usize>i << 2))));
}

/** Each thread's record fields, TLS values, I/O buffers and, while it lives, its stack. */
function markThreads(): void {
  for (let slot: u32 = 1, used = threadTableUsed(); slot < used; slot++) {
    let tp = threadAt(slot);
    if (tp == 0) continue;
    let t = changetype<Thread>(tp);
    gcMarkMaybe(t.arg);
    gcMarkMaybe(t.name);
    gcMarkMaybe(t.error);
    let tls = t.tls;
    if (tls != 0) {
      for (let k: u32 = 0, n = load<u32>(tls); k < n; k++) gcMarkMaybe(load<usize>(tls + TLS_HEADER + (<usize>k << 2)));
    }
    let io = t.io;
    if (io != 0) {
      gcMarkMaybe(changetype<IoRequest>(io).ptr);
      gcMarkMaybe(changetype<IoRequest>(io).ptr2);
    }
    let state = t.state;
    let live = state == STATE_RUNNABLE || state == STATE_RUNNING || state == STATE_BLOCKED || state == STATE_SLEEPING;
    let sp = t.stackPointer;
    if (live && t.stackBase != STACK_NONE && sp >= t.stackBase && sp <= t.stackTop) gcMarkRange(sp, t.stackTop);
  }
}

/** Each processor's own stack: its loop's frames, or what it ran there when it stopped. */
function markProcessorStacks(mine: usize): void {
  if (!SHARED_MEMORY) { gcMarkRange(mine, __heap_base); return; }
  let me = processorIndex;
  for (let i = 0, n = processors(); i < n; i++) {
    let at = procAt(i);
    let top = load<usize>(at, 8);
    if (top == 0) continue;                                     // never entered
    let from = i == me ? mine : load<usize>(at, 4);
    if (from != 0 && from <= top) gcMarkRange(from, top);
  }
}
