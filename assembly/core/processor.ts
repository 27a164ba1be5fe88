// Processors: the kernel threads that run weft threads. N:1 has one (the calling JS thread); a shared
// build (M:N, `weft build --shared`) runs one instance of the module per Worker over one shared memory,
// and each instance is a processor.
//
// Design note
// -----------
// What is per processor and what is shared. Wasm globals are per instance, so a processor's own state
// lives in globals: the running thread, its TLS block, Asyncify's state, the stack pointer, the scratch
// save area (scheduler.ts), and this file's index. Everything the processors share — the run queue, the
// timer heap, the futex table, the thread table, the program's own top-level variables — a shared build
// moves into linear memory (host/compiler/passes/shared.ts lists the per-processor globals; every other mutable one moves).
//
// Locks. Each run queue has a lock of its own (runqueue.ts): spawn, the loop's pop and a channel's wake
// push and pop under a queue's lock only, and a thread born detached ends with none (scheduler.ts,
// leaveProcessor; table.ts, tableRemove). One more spin lock (schedLock) guards the rest — the timer
// heap, the futex table, join and detach, the idle and deadlock bookkeeping — and the state changes made
// under them; it is held for a few dozen instructions and never across a switch. Lock order: schedLock, then a queue lock.
// A processor that finds a lock held spins, then sleeps on the lock word until its holder drops it
// (spinLockContended): where processors, the I/O owner and other programs share fewer cores, the kernel
// preempts holders, and a spinner would burn the holder's time slice.
// In an N:1 build the locks compile to nothing (atomics.ts, SHARED_MEMORY).
//
// A thread on two processors. A thread that parks is visible to wakers (in a wait queue, or runnable)
// before its processor has finished unwinding it, so another processor may pop it while its frames are
// still being saved. Thread.onCpu is 1 from the moment a processor switches the thread in until that
// processor has stored its save area (or released its frames); a processor that pops a thread waits for
// onCpu to be 0 before resuming it, and join waits for it before freeing the record.
//
// Idle processors. A processor with nothing to run first spins a little, reading the queues' counts
// (work handed back and forth comes again within microseconds); then, under schedLock, it marks itself
// asleep (its flag, then idleCount), looks at the queues once more, and sleeps in memory.atomic.wait32
// on its own word (until the earliest timer, if any); the last look includes its I/O completion ring, and
// pending I/O does not keep a processor awake. A thread made runnable is pushed first; then the
// pusher reads `spinning` and `idleCount`, and if nobody spins and somebody sleeps, it takes a sleeper
// off by exchanging its flag to 0, bumps its word and notifies it — no lock. Both sides store, then
// load (sequentially consistent atomics), so either the pusher sees the sleeper or the sleeper's last
// look sees the thread: no wake-up is lost. When a processor would go idle and every other one is idle
// already (their asleep flags), with no timers, no thread can ever run again: the program is deadlocked,
// and every processor returns RUN_DEADLOCK. That check is made under schedLock, and only processors that
// ran no thread can be idle, so it cannot be fooled by a push in flight.
//
// I/O completions. The I/O host is another kernel thread (host/kernel/shared-io.ts). It is a pusher too:
//   1. it writes the request's result and appends its address to the ring of the processor that
//      submitted it (completion.ts), storing the ring's tail;
//   2. then it reads that processor's asleep flag and, if set, wakes it as wakeProcessor does (exchange
//      the flag to 0, take it off idleCount, bump its word, notify) — the addresses come from
//      weft_processor_idle (sys/abi.ts).
// The sleeper's last look reads the ring's tail (ioRingHasWork) after marking itself: either the host sees
// the flag or the sleeper sees the entry. While any processor's host holds a request (ioInFlight, counted
// when a submit says "pending", uncounted when the completion is drained) nobody declares a deadlock.
//
// 1:1. The same machinery with one thread per processor: spawn adds a processor (the host starts a Worker
// for it, `processor_start`), the thread is pinned to it (Thread.pinned), makeRunnable puts a pinned
// thread on its own processor's queue and wakes that processor, nobody steals, and a processor whose
// thread finished retires (the loop returns RUN_RETIRED and the host ends its Worker).
//
// ╒═══ processor records (one heap block) ═══════════════════════════════════════════╕
//   0 │ lock      i32                   the scheduler lock                         │
//  64 │ idleCount i32                   processors marked asleep (atomic)          │
//  68 │ spinning  i32                   processors spinning for work (atomic)      │
//  72 │ inFlight  i32                   I/O requests the hosts hold, all processors (atomic) │
// 128 │ words     i32 × PROCESSORS_MAX  processor i sleeps on word i; bumped to wake it │
//     │ asleep    i32 × PROCESSORS_MAX  1 while processor i is marked asleep (atomic) │
//     │ turns     i32 × PROCESSORS_MAX  1: processor i's host wants a turn soon (atomic) │
// ╘═════════════════════════════════════════════════════════════════════════════════╛

import { SHARED_MEMORY, atomicWait } from "./atomics";
import { heapTryAlloc } from "../runtime/index";
import { runQueueWorkFor } from "./runqueue";
import { ioRingHasWork } from "./completion";
import { gcCheckpoint, gcMutatorEnter, gcMutatorLeave } from "./gc";
import { hostSignalsRaised } from "./signal";

// PROCESSORS_MAX (most processors a run may have) is in layout.ts, which every file imports first: the
// static blocks sized by it (preempt.ts, gc.ts) need it while this file may still be compiling.
import { PROCESSORS_MAX } from "./layout";
export { PROCESSORS_MAX };

/** This processor's index (0 in N:1). Per processor. */
export let processorIndex: i32 = 0;

// Shared (moved into linear memory by a shared build):
let processorCount: i32 = 1;      // processors started (1:1: grows with every spawn)
let schedLock: i32 = 0;           // address of the lock word (0 until the first processor made it)
let words: usize = 0;             // the processors' wake words
let asleep: usize = 0;            // the processors' flags: 1 while it sleeps in idleWait
let turns: usize = 0;             // the processors' turn flags: 1 asks its loop to return to its host
let idleCount: usize = 0;         // address of the count of processors marked asleep
let spinning: usize = 0;          // address of the count of processors looking for work before they sleep
let inFlight: usize = 0;          // address of the count of I/O requests every processor's host holds
let retired: i32 = 0;             // 1:1: processors whose thread finished (they are gone)
let deadlocked: bool = false;     // set once: every processor then returns RUN_DEADLOCK
let oneToOne: bool = false;       // the 1:1 model: a processor per thread, no stealing

/** How many times a processor that found nothing to run looks at the queues before it sleeps (~1-3 µs).
 *  Waking a sleeping processor costs a system call on both sides (~5-50 µs, DESIGN.md); in a program
 *  that hands work back and forth (skynet, channels), work comes again within microseconds, and a
 *  spinning processor takes it without anyone calling notify. But a spinner burns a core that the I/O
 *  owner, the other processors or other programs may need: an HTTP server on 2 processors of a 2-core
 *  machine spent ~15% less CPU a request with 512 looks than with 4,096 (weft's CPU per request over
 *  Node's, medians of five alternating `node bench/http.js --mn --quick` runs: 1.11 against 1.31), and
 *  skynet_1m_p2 and the cross-processor ping-pong did not move beyond their noise. Not configurable. */
// @ts-ignore: decorator
@inline const SPIN_LOOKS: i32 = 512;

/** How many times a processor finding a lock held reads it before it sleeps on it (~0.1-0.3 ms). A lock
 *  is held for a few dozen instructions, unless its holder was preempted by the kernel (then for a time
 *  slice, milliseconds). Sleeping sooner costs the spinner a system call where a hold is merely long:
 *  4,096 looks made mn_ring's pass 1.5× and mn_pingpong's 1.2× as long on 2 processors. Not configurable. */
// @ts-ignore: decorator
@inline const LOCK_SPINS: i32 = 1 << 16;

/** How long a processor sleeps on a held lock before it looks for a collection waiting for it (ns); the
 *  drop of the lock wakes it sooner. Not configurable. */
// @ts-ignore: decorator
@inline const LOCK_SLEEP_NS: i64 = 200_000;

/** The first processor, before anything runs: makes the shared records for `count` processors (1:1:
 *  count 1, and processors are added as threads are spawned). */
export function processorsInit(count: i32, model1to1: bool): bool {
  if (count < 1 || count > PROCESSORS_MAX) return false;
  processorCount = count;
  oneToOne = model1to1;
  let bytes = 128 + (<usize>(3 * PROCESSORS_MAX) << 2);
  let block = heapTryAlloc(bytes);
  if (block == 0) return false;
  memory.fill(block, 0, bytes);
  schedLock = <i32>block;
  idleCount = block + 64;
  spinning = block + 68;
  inFlight = block + 72;
  words = block + 128;
  asleep = words + (<usize>PROCESSORS_MAX << 2);
  turns = asleep + (<usize>PROCESSORS_MAX << 2);
  return true;
}

/** Whether this run is 1:1 (a processor per thread). */
export function isOneToOne(): bool { return oneToOne; }

/** 1:1, with the lock held: the index of a new processor for a new thread, or -1 past PROCESSORS_MAX. */
export function processorAdd(): i32 {
  if (processorCount >= PROCESSORS_MAX) return -1;
  return processorCount++;
}

/** 1:1, with the lock held: this processor's thread finished; it leaves the run. */
export function processorRetire(): void { retired++; }

/** Each processor, once, with its index (the first processor after processorsInit). */
export function processorEnter(index: i32): void { processorIndex = index; }

/** How many processors the program runs on (1 in N:1). */
export function processors(): i32 { return processorCount; }

/** The index of the processor running the caller (0 in N:1): threads migrate, so it may change at any
 *  switch. */
export function processorId(): i32 { return processorIndex; }

/** Takes the scheduler lock (a no-op in N:1). */
// @ts-ignore: decorator
@inline export function schedLockTake(): void {
  if (SHARED_MEMORY) {
    let lock = <usize>schedLock;
    if (atomic.cmpxchg<i32>(lock, 0, 1) != 0) spinLockContended(lock);
  }
}

/** Releases the scheduler lock. */
// @ts-ignore: decorator
@inline export function schedLockDrop(): void {
  if (SHARED_MEMORY) spinLockDrop(<usize>schedLock);
}

/** Returns once the scheduler lock has been seen free: whoever held it when this was called has dropped
 *  it (a lock-free reap waits so for readers of the record it frees; table.ts, tableRemove). */
export function schedLockPassed(): void {
  if (SHARED_MEMORY) while (atomic.load<i32>(<usize>schedLock) != 0) gcCheckpoint();
}

/** Takes a held lock (the scheduler's, a run queue's, the thread table's): spins on a load for a while
 *  (LOCK_SPINS), then sleeps on the lock word. A lock word is 0 (free), 1 (held) or 2 (held, and somebody
 *  may sleep on it): a sleeper stores 2 by exchange and takes the lock if the exchange read 0; the
 *  holder's drop (spinLockDrop) exchanges 0 in and notifies one sleeper if it read 2. Sleeping matters
 *  where processors outnumber free cores: a holder the kernel preempted keeps its lock for a time slice
 *  (milliseconds), which a spinner would burn. */
export function spinLockContended(lock: usize): void {
  for (let i = 0; i < LOCK_SPINS; i++) {
    if (atomic.load<i32>(lock) == 0 && atomic.cmpxchg<i32>(lock, 0, 1) == 0) return;
    gcCheckpoint();                           // its holder may be stopped for a collection (core/gc.ts)
  }
  while (atomic.xchg<i32>(lock, 2) != 0) {
    atomicWait(lock, 2, LOCK_SLEEP_NS);
    gcCheckpoint();
  }
}

/** Drops a lock taken with cmpxchg(0, 1) or spinLockContended: wakes one sleeper if any may sleep. */
// @ts-ignore: decorator
@inline export function spinLockDrop(lock: usize): void {
  if (atomic.xchg<i32>(lock, 0) == 2) atomic.notify(lock, 1);
}

/** After a thread was pushed onto a queue (no lock needed; `pinned` is its Thread.pinned): wakes its own
 *  processor if it is pinned (1:1); else, if no processor spins for work, wakes one that sleeps. */
// @ts-ignore: decorator
@inline export function wakeIdleProcessor(pinned: i32): void {
  if (SHARED_MEMORY) {
    if (pinned != 0) wakeProcessor(pinned - 1);
    else if (atomic.load<i32>(spinning) == 0 && atomic.load<i32>(idleCount) > 0) wakeOne();
  }
}

/** After a thread was put on processor `index`'s queue: makes sure it looks. */
export function wakeFor(index: i32): void {
  wakeProcessor(index);
}

/** With the lock held, when this processor found nothing to run: drops the lock and looks for new work
 *  for a while (SPIN_LOOKS); takes the lock again. True if a queue it may take from has a thread. */
export function spinForWork(): bool {
  atomic.add<i32>(spinning, 1);
  schedLockDrop();
  let found = false;
  for (let i = 0; i < SPIN_LOOKS; i++) {
    if (runQueueWorkFor(false) || ioRingHasWork()) { found = true; break; }
  }
  // The last spinner to find work wakes a sleeper if there is one: more work may follow, and pushers
  // woke nobody while it spun.
  if (atomic.sub<i32>(spinning, 1) == 1 && found && atomic.load<i32>(idleCount) > 0) wakeOne();
  schedLockTake();
  return found;
}

/** Wakes processor `i` if it is marked asleep: whoever exchanges its flag from 1 takes it off the count
 *  (no lock). */
export function wakeProcessor(i: i32): void {
  let flag = asleep + (<usize>i << 2);
  if (atomic.load<i32>(flag) == 0 || atomic.xchg<i32>(flag, 0) == 0) return;
  atomic.sub<i32>(idleCount, 1);
  let word = words + (<usize>i << 2);
  atomic.add<i32>(word, 1);
  atomic.notify(word, 1);
}

/** The index of a processor marked asleep, or -1. A hint: it may wake meanwhile, but a thread pushed on
 *  its queue and then wakeFor(index) is seen either way ("Idle processors"). */
export function sleepingProcessor(): i32 {
  for (let i = 0, n = processorCount; i < n; i++) {
    if (atomic.load<i32>(asleep + (<usize>i << 2)) != 0) return i;
  }
  return -1;
}

function wakeOne(): void {
  for (let i = 0, n = processorCount; i < n; i++) {
    if (atomic.load<i32>(asleep + (<usize>i << 2)) != 0) { wakeProcessor(i); return; }
  }
}

/** With the lock held: wakes every idle processor (the program ended, or deadlocked). */
export function wakeAllProcessors(): void {
  if (!SHARED_MEMORY) return;
  for (let i = 0, n = processorCount; i < n && atomic.load<i32>(idleCount) > 0; i++) wakeProcessor(i);
}

/** With the lock held, when this processor found nothing to run: true if every other processor sleeps
 *  too and nothing is timed — nothing can ever run again. */
export function allOthersIdle(): bool {
  return othersAsleep() + retired == processorCount - 1;
}

/** 1:1, with the lock held, on a processor whose thread just finished (counted in `retired`): every
 *  processor is asleep or gone. */
export function allIdleOrRetired(): bool {
  return othersAsleep() + retired == processorCount;
}

/** How many processors other than this one are marked asleep, by their flags. Not idleCount: a waker
 *  exchanges a sleeper's flag to 0 and only then takes it off the count, so a waker the kernel preempts
 *  between the two leaves the count holding a processor that has left idleWait — this one, which would
 *  then count itself and see a deadlock while the waker runs threads. A flag is set only under the lock,
 *  so a processor whose flag is 0 but which is about to sleep takes the lock and looks again. */
function othersAsleep(): i32 {
  let marked = 0;
  for (let i = 0, n = processorCount; i < n; i++) {
    if (i != processorIndex && atomic.load<i32>(asleep + (<usize>i << 2)) != 0) marked++;
  }
  return marked;
}

/** fork's child in a shared build (core/fork.ts), before its processors run: no lock held, nobody asleep
 *  or spinning, and one request in flight: the forker's, which the child's host completes with 0. */
export function processorForkReset(): void {
  if (!SHARED_MEMORY || schedLock == 0) return;
  let block = <usize>schedLock;
  memory.fill(block, 0, 128 + (<usize>(2 * PROCESSORS_MAX) << 2));
  atomic.store<i32>(inFlight, 1);
  deadlocked = false;
  if (oneToOne) { processorCount = 1; retired = 0; }   // 1:1: the forker's processor, the first
}

export function markDeadlocked(): void { deadlocked = true; }
export function isDeadlocked(): bool { return deadlocked; }

/** With the lock held: marks this processor asleep and, unless a thread it may take is queued after
 *  all, sleeps on its word until woken or `timeoutMs` passes (< 0: no limit); releases the lock while
 *  asleep and takes it again before returning. */
export function idleWait(timeoutMs: f64): void {
  let i = processorIndex;
  let word = words + (<usize>i << 2);
  let flag = asleep + (<usize>i << 2);
  let seen = atomic.load<i32>(word);
  atomic.store<i32>(flag, 1);
  atomic.add<i32>(idleCount, 1);
  // The sleeper's half of "Idle processors": marked, then one more look (I/O completions and signals
  // from the host included: core/signal.ts, whose host sets the word and then reads processor 0's flag).
  if (!runQueueWorkFor(true) && !ioRingHasWork() && !hostSignalsRaised()) {
    schedLockDrop();
    let ns: i64 = timeoutMs < 0 ? -1 : <i64>(timeoutMs * 1e6);
    gcMutatorLeave();                         // asleep: a collection need not wait for it (core/gc.ts)
    atomicWait(word, seen, ns);
    gcMutatorEnter();
    schedLockTake();
  }
  // Timed out, or found work: take ourselves off unless a waker did.
  if (atomic.xchg<i32>(flag, 0) != 0) atomic.sub<i32>(idleCount, 1);
}

/** M:N: one more (delta 1) or one fewer (-1) I/O request held by some processor's host ("I/O completions"). */
export function ioInFlightAdd(delta: i32): void { atomic.add<i32>(inFlight, delta); }

/** M:N: I/O requests every processor's host holds ("I/O completions"). */
export function ioInFlight(): i32 { return atomic.load<i32>(inFlight); }

/** What an I/O host on another kernel thread needs to wake processor `i` ("I/O completions", step 2):
 *  field 0 its wake word, 1 its asleep flag, 2 idleCount, 3 its turn flag; 0 for anything else. */
export function processorIdleAddress(field: i32, i: i32): usize {
  if (i < 0 || i >= PROCESSORS_MAX || words == 0) return 0;
  if (field == 0) return words + (<usize>i << 2);
  if (field == 1) return asleep + (<usize>i << 2);
  if (field == 2) return idleCount;
  if (field == 3) return turns + (<usize>i << 2);
  return 0;
}

/** Whether this processor's host asked for a turn (its turn flag, set from another thread, which then
 *  wakes the processor if it sleeps: a debugger's pause, host/mn/debugger.ts); clears the flag. Read after
 *  the loop idled and at ticks, never on the switch path. The sleeper does not look at the flag before it
 *  sleeps: a host that found it not yet asleep asks again a little later. */
export function hostTurnAsked(): bool {
  if (!SHARED_MEMORY || turns == 0) return false;
  let flag = turns + (<usize>processorIndex << 2);
  return atomic.load<i32>(flag) != 0 && atomic.xchg<i32>(flag, 0) != 0;
}
