// Stopping the world (M:N): how a collector gets every other processor to stand still, and how they come
// back. Each pause of a collection (a marking slice, the remark, a full collection; core/gc.ts) is one
// stop. N:1 needs none of it: a collection runs on the only processor, inside an allocation.
//
// Design note
// -----------
// Where a processor may stop: where it keeps nothing the roots do not show (core/gcroots.ts) — at its
// loop's top (no thread), inside __new before allocating (its thread's values are in its frames), or
// spinning for a lock or a thread. A processor outside the mutator — returned to the host, or asleep for
// want of work — holds no thread and need not be waited for; it must not come back while the world is
// stopped.
//
// Stop protocol. Each processor has a state word: SAFE (outside the mutator), RUNNING, PARKED.
//   1. The collector sets the runtime's stop word from 0 to 1 (compare-and-swap). A processor that loses
//      the race parks instead (step 3).
//   2. It raises the tick request of every processor that runs a thread (preempt.ts), so that a thread
//      computing without allocating reaches its next safepoint, unwinds to its loop and stops there.
//   3. A processor at a checkpoint that sees the stop word: stores where the live part of its stack starts
//      (and its running thread's stack pointer into the thread's record, as a switch would), then PARKED
//      (seq-cst), bumps `arrivals` and wakes the collector, and waits on the stop word until it is 0.
//   4. A processor leaving the mutator stores SAFE, then bumps `arrivals`. One entering stores RUNNING,
//      then reads the stop word; if it is set, it stores SAFE again and waits for 0. Ordering: the
//      collector's store of the stop word (step 1) comes before its reads of the states (step 5), and a
//      processor's store of RUNNING before its read of the stop word (sequentially consistent), so either
//      the collector sees RUNNING and waits, or the processor sees the stop word and stays out.
//   5. The collector waits until no other processor is RUNNING; the world is stopped.
//   6. Done, it stores 0 in the stop word and wakes every waiter; each returns to RUNNING (step 4).
// A thread that neither allocates nor reaches a safepoint (built with --no-safepoints, or with the
// ticker off) holds a stop up until it does.
//
// A fork's stop (core/fork.ts, "Shared builds") is the same protocol with the stop word at 2, asked for
// by a processor's host between two calls of its loop. Only the loop's top parks for it (loopCheckpoint):
// a processor there runs no thread, and every thread's frames are in its save area, so no operation of
// the runtime's is half done anywhere (one parked in __new or in a lock spin may be inside one: a channel's
// lock held, say). The other checkpoints go on past it, and a collector that finds a fork's stop gives up
// its pause rather than park inside __new. The stopper waits until every other processor is outside the
// mutator or parked with no thread.
//
// ╒═══ processor record (M:N; PROCESSORS_MAX of them, one heap block) ═══╕
//   0 │ state     i32    SAFE, RUNNING or PARKED; atomic                  │
//   4 │ from      usize  where the live part of its own stack starts     │
//     │                  (its loop's frames; or what it runs there)       │
//   8 │ top       usize  one past the top of its own stack                │
//  12 │ thread    usize  the thread it ran when it stopped, or 0          │
// ╘═════════════════════════════════════════════════════════════════════╛
// `from` and `thread` are written by the processor before it stops or leaves (steps 3, 4), read by the
// collector while the world is stopped; `top` once, when the processor enters.

import { Thread } from "./layout";
import { SHARED_MEMORY, atomicWait } from "./atomics";
import { getStackPointer } from "./asyncify";
import { currentThread, loopStackPointer } from "./scheduler";
import { processorIndex, processors, PROCESSORS_MAX } from "./processor";
import { preemptRequestFor } from "./preempt";
import { handOffRequeue } from "./handoff";
import { heapTryAlloc } from "../runtime/index";
import { gcStopWord, gcStopRequested, stopRequested } from "../runtime/gc";

// @ts-ignore: decorator
@inline const PROC_SIZE: usize = 16;
// @ts-ignore: decorator
@inline const SAFE: i32 = 0;
// @ts-ignore: decorator
@inline const RUNNING: i32 = 1;
// @ts-ignore: decorator
@inline const PARKED: i32 = 2;

// Shared (moved into linear memory by a shared build):
let procs: usize = 0;            // the processor records
let stopper: i32 = 0;            // the processor holding the world stopped: its index + 1; 0 when none
// @ts-ignore: decorator
@lazy const ARRIVALS: usize = memory.data(4, 4);

// @ts-ignore: decorator
@inline function procAt(i: i32): usize { return procs + (<usize>i << 4); }

/** M:N, processor 0 before the others start: makes the records. False when out of memory. */
export function stopInit(): bool {
  if (!SHARED_MEMORY || procs != 0) return true;
  let bytes = <usize>PROCESSORS_MAX * PROC_SIZE;
  let block = heapTryAlloc(bytes);
  if (block == 0) return false;
  memory.fill(block, 0, bytes);                     // every processor SAFE until it enters
  store<usize>(block, __heap_base, 8);             // processor 0 runs on the static stack
  procs = block;
  return true;
}

/** Processor `index` starts, on a stack whose top is `stackTop`. */
export function stopProcessorEnter(index: i32, stackTop: usize): void {
  if (SHARED_MEMORY && procs != 0) store<usize>(procAt(index), stackTop, 8);
}

/** Where the live part of this processor's own stack starts. The running thread (if any) runs on a
 *  stack of its own: its stack pointer goes into its record, the way a switch leaves it, and the
 *  processor's part starts at its loop's frames. A thread that had moved to the processor's stack (its
 *  own overflowed: core/stack.ts) keeps the record's stack pointer, and the processor's part starts here. */
export function liveStackStart(): usize {
  let sp = getStackPointer();
  let tp = currentThread;
  if (tp == 0) return sp;
  let t = changetype<Thread>(tp);
  if (sp < t.stackBase || sp > t.stackTop) return sp;
  t.stackPointer = sp;
  return loopStackPointer();
}

// ─── The collector's side ───

/** Steps 1, 2 and 5: stops every other processor. False if another processor holds the world stopped:
 *  for a collection (this one has then waited it out, parked, and nothing is stopped now), or for a fork
 *  (this one gives its pause up at once, and reaches its loop's top later). N:1: always true. */
export function stopTheWorld(): bool {
  if (!SHARED_MEMORY || procs == 0) return true;
  let held = atomic.cmpxchg<u32>(gcStopWord(), 0, 1);
  if (held != 0) {
    if (held == 1) gcPark();                          // a fork's stop (2): not here, inside __new
    return false;
  }
  stopOthers(false);
  return true;
}

/** A fork's stop: from this processor's host between two calls of its loop (it is outside the mutator).
 *  Returns once no other processor runs a thread: each waits at its loop's top or is outside the mutator. */
export function forkStopTheWorld(): void {
  if (!SHARED_MEMORY || procs == 0) return;
  let stop = gcStopWord();
  while (true) {                                      // a collection's stop first runs to its end
    let seen = atomic.cmpxchg<u32>(stop, 0, 2);
    if (seen == 0) break;
    atomicWait(stop, <i32>seen, 1000000);
  }
  handOffRequeue();                                   // this one's slot too, as loopPark does the others'
  stopOthers(true);
}

/** Steps 2 and 5, for a collection or (`fork`) a fork's stop. */
function stopOthers(fork: bool): void {
  stopper = processorIndex + 1;
  let me = processorIndex;
  let n = processors();
  for (let i = 0; i < n; i++) if (i != me && atomic.load<i32>(procAt(i)) == RUNNING) preemptRequestFor(i);
  for (let i = 0; i < n; i++) {
    if (i == me) continue;
    let at = procAt(i);
    let spins = 0;
    while (!stoppedFor(at, fork)) {
      if (++spins < 1000) continue;
      let seen = atomic.load<i32>(ARRIVALS);
      if (stoppedFor(at, fork)) break;
      atomicWait(ARRIVALS, seen, 1000000);         // 1 ms at most: a lost notify costs no more
      preemptRequestFor(i);
    }
  }
}

/** Whether the processor at `at` is stopped: for a collection, not RUNNING; for a fork, outside the
 *  mutator or parked with no thread (at its loop's top). */
// @ts-ignore: decorator
@inline function stoppedFor(at: usize, fork: bool): bool {
  let state = atomic.load<i32>(at);
  return fork ? state == SAFE || (state == PARKED && load<usize>(at, 12) == 0) : state != RUNNING;
}

/** A fork's child, before any of its processors runs: no stop, every processor outside the mutator. */
export function stopForkReset(): void {
  if (!SHARED_MEMORY || procs == 0) return;
  atomic.store<u32>(gcStopWord(), 0);
  stopper = 0;
  atomic.store<i32>(ARRIVALS, 0);
  for (let i = 0; i < PROCESSORS_MAX; i++) {
    let at = procAt(i);
    atomic.store<i32>(at, SAFE);
    store<usize>(at, 0, 12);
  }
}

/** Step 6: the world goes on. */
export function startTheWorld(): void {
  if (!SHARED_MEMORY || procs == 0) return;
  stopper = 0;
  let stop = gcStopWord();
  atomic.store<u32>(stop, 0);
  atomic.notify(stop);
}

/** After a trap on this processor (sys/abi.ts, weft_trap_begin): if it held the world stopped, the others
 *  go on rather than wait for ever (core/gc.ts says what a collection left half done means). */
export function stopAbandoned(): bool {
  if (!SHARED_MEMORY || stopper != processorIndex + 1) return false;
  startTheWorld();
  return true;
}

/** With the world stopped: processor `i`'s record (its live stack part, its thread). */
export function stoppedFrom(i: i32): usize { return load<usize>(procAt(i), 4); }
export function stoppedTop(i: i32): usize { return procs != 0 ? load<usize>(procAt(i), 8) : 0; }
export function stoppedThread(i: i32): usize { return load<usize>(procAt(i), 12); }

// ─── Checkpoints and the mutator's edges ───

/** A place where this processor may stop for a collection (lock and thread spins). */
// @ts-ignore: decorator
@inline export function gcCheckpoint(): void {
  if (SHARED_MEMORY && gcStopRequested()) gcPark();
}

/** The loop's top, where a processor runs no thread: it stops for a collection or a fork. */
// @ts-ignore: decorator
@inline export function loopCheckpoint(): void {
  if (SHARED_MEMORY && stopRequested()) loopPark();
}

/** The loop's top while a stop is asked. The processor holding a fork's stop runs its loop only for a
 *  debugger's step (host/kernel/debug.ts): it goes on. Any other parks; for a fork's stop, with the
 *  threads of its hand-off slot put on its queue first, where the stopping processor sees them (a step
 *  takes its thread out of a queue). */
export function loopPark(): void {
  if (stopper == processorIndex + 1) return;
  if (atomic.load<u32>(gcStopWord()) == 2) handOffRequeue();
  gcPark();
}

/** Whether this processor holds the world stopped. */
export function stopHeldHere(): bool { return SHARED_MEMORY && procs != 0 && stopper == processorIndex + 1; }

/** Step 3: parks this processor until the world goes on. */
export function gcPark(): void {
  if (!SHARED_MEMORY || procs == 0) return;
  if (stopper == processorIndex + 1) abort("gcPark: the collecting processor reached a checkpoint (a switch inside a collection)");
  let at = procAt(processorIndex);
  store<usize>(at, liveStackStart(), 4);
  store<usize>(at, currentThread, 12);
  atomic.store<i32>(at, PARKED);
  arrive();
  waitForEnd(at);
}

/** Step 4: this processor leaves the mutator (its loop returns to the host, or it goes to sleep). */
export function gcMutatorLeave(): void {
  if (!SHARED_MEMORY || procs == 0) return;
  let at = procAt(processorIndex);
  store<usize>(at, getStackPointer(), 4);
  store<usize>(at, 0, 12);
  atomic.store<i32>(at, SAFE);
  if (stopRequested()) arrive();
}

/** Step 4: this processor enters the mutator (its loop starts, or it woke up); waits out a stop. */
export function gcMutatorEnter(): void {
  if (!SHARED_MEMORY || procs == 0) return;
  let at = procAt(processorIndex);
  atomic.store<i32>(at, RUNNING);
  if (stopRequested() && stopper != processorIndex + 1) {   // (its own stop: a debugger's step)
    store<usize>(at, getStackPointer(), 4);
    store<usize>(at, 0, 12);
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
    if (seen != 0) { atomicWait(stop, <i32>seen, -1); continue; }
    atomic.store<i32>(at, RUNNING);
    if (!stopRequested()) return;
    atomic.store<i32>(at, PARKED);
    arrive();
  }
}
