// The futex: the one blocking primitive every other one is built on.
//
// Design note
// -----------
// futexWait(addr, expected) parks the calling thread only if the 32-bit word at addr still holds
// `expected`; futexWake(addr, n) makes up to n threads parked on addr runnable. The check and the park
// happen with no switch in between, so a waker that changes the word and then wakes can never be missed.
// Primitives keep their fast path in user space (an atomic on the word) and call these only to sleep.
//
// Waiters sit in a hash table of wait queues keyed by address (intrusive doubly linked lists through
// Thread.next/prev, FIFO so wake order is arrival order). The table starts with BUCKETS buckets and
// doubles whenever waiters outnumber buckets twice over, so a wake scans a handful of threads even with a
// million parked (skynet parks ~100,000 at once). A timed wait also puts the thread
// in the timer heap; whichever comes first — wake or deadline — takes it out of the other.
//
// Wait protocol:
//   1. read the word; if it differs from `expected`, return FUTEX_NOT_EQUAL;
//   2. if timed, add it to the timer heap (no memory for that, or for a bigger table: return
//      FUTEX_TIMED_OUT without parking);
//   3. BLOCKED; record kind and address in the thread (for deadlock reports); append it to the queue;
//   4. suspend; on resume return Thread.waitResult, which the waker or the timer set.
// Wake protocol:
//   1. walk the bucket from its head, taking threads whose waitAddr is addr, up to count;
//   2. for each: unlink, remove from the timer heap, set waitResult = FUTEX_WOKEN, make runnable.
// Spurious wake-ups are allowed by the contract (callers loop), though N:1 never produces them.
//
// Access rule: the buckets are guarded by the scheduler lock (processor.ts; nothing in N:1).
//
// ╒═══ bucket (8 bytes each, in a heap block of `buckets` entries) ═══╕
//   0 │ head  usize  first waiting Thread
//   4 │ tail  usize  last waiting Thread
// ╘══════════════════════════════════════════╛

import { Thread, STATE_BLOCKED, STATE_RUNNING, FROM_RUNNING, transition } from "./layout";
import { atomicLoad, atomicStore, SHARED_MEMORY } from "./atomics";
import { schedLockTake, schedLockDrop } from "./processor";
import { currentThread, suspend, makeRunnable } from "./scheduler";
import { cancelTimer } from "./timer";
import { handOff } from "./handoff";
import { timerAdd } from "./timer";
import { hostNow } from "./host";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { signalRestarts } from "./signal";

// @ts-ignore: decorator
@inline export const FUTEX_WOKEN: i32 = 0;
// @ts-ignore: decorator
@inline export const FUTEX_NOT_EQUAL: i32 = 1;
// @ts-ignore: decorator
@inline export const FUTEX_TIMED_OUT: i32 = 2;
/** A signal woke the thread (core/signal.ts, signalInterrupt): its handler has run. */
// @ts-ignore: decorator
@inline export const FUTEX_INTERRUPTED: i32 = 3;

// What a blocked thread waits on, for deadlock reports (host/abi.ts has the names).
// @ts-ignore: decorator
@inline export const WAIT_FUTEX: i32 = 0;
// @ts-ignore: decorator
@inline export const WAIT_MUTEX: i32 = 1;
// @ts-ignore: decorator
@inline export const WAIT_COND: i32 = 2;
// @ts-ignore: decorator
@inline export const WAIT_RWLOCK: i32 = 3;           // an RwLock's reader; waitAddr is the lock's state word
// @ts-ignore: decorator
@inline export const WAIT_SEMAPHORE: i32 = 4;
// @ts-ignore: decorator
@inline export const WAIT_BARRIER: i32 = 5;
// @ts-ignore: decorator
@inline export const WAIT_ONCE: i32 = 6;
// @ts-ignore: decorator
@inline export const WAIT_WAITGROUP: i32 = 7;
// @ts-ignore: decorator
@inline export const WAIT_CHANNEL_SEND: i32 = 8;
// @ts-ignore: decorator
@inline export const WAIT_CHANNEL_RECV: i32 = 9;
// @ts-ignore: decorator
@inline export const WAIT_SELECT: i32 = 10;
// @ts-ignore: decorator
@inline export const WAIT_JOIN: i32 = 11;
// @ts-ignore: decorator
@inline export const WAIT_SLEEP: i32 = 12;
// @ts-ignore: decorator
@inline export const WAIT_IO: i32 = 13;          // a system call (sys/io.ts); waitAddr is the request
// @ts-ignore: decorator
@inline export const WAIT_SIGNAL: i32 = 14;      // sigwait (core/signal.ts); waitAddr is its signal block's word
// @ts-ignore: decorator
@inline export const WAIT_RWLOCK_WRITE: i32 = 15; // an RwLock's writer; waitAddr is its writerNotify word (lib/sync/rwlock.ts)

/** Initial number of wait-queue buckets (a power of two; 8 KiB). The table doubles whenever waiters
 *  outnumber buckets twice over, so the start only sets the first allocation. Not configurable. */
// @ts-ignore: decorator
@inline const BUCKETS: u32 = 1024;

let table: usize = 0;          // bucket array
let shift: u32 = 22;           // 32 - log2(buckets)
let buckets: u32 = 0;
let waiters: u32 = 0;          // threads in the table

// @ts-ignore: decorator
@inline function bucketOf(addr: usize): usize {
  return table + ((((<u32>addr >> 2) * 0x9E3779B1) >> shift) << 3); // Fibonacci hash, top bits
}

/** Allocates the table, or doubles it and moves every waiter to its new bucket (order within an address
 *  is kept: buckets are walked head to tail and appended to). False when memory is exhausted. */
function resize(): bool {
  let newBuckets = buckets == 0 ? BUCKETS : buckets << 1;
  let bytes = <usize>newBuckets << 3;
  let newTable = heapTryAlloc(bytes);
  if (newTable == 0) return buckets != 0;       // keep the old table: chains just get longer
  for (let i: usize = 0; i < bytes; i += 8) store<u64>(newTable + i, 0);
  let oldTable = table, oldBuckets = buckets;
  table = newTable;
  buckets = newBuckets;
  shift = 32 - ctz<u32>(newBuckets);
  for (let b: u32 = 0; b < oldBuckets; b++) {
    let tp = load<usize>(oldTable + (<usize>b << 3));
    while (tp) {
      let next = changetype<Thread>(tp).next;
      append(bucketOf(changetype<Thread>(tp).waitAddr), changetype<Thread>(tp));
      tp = next;
    }
  }
  if (oldTable) heapFree(oldTable);
  return true;
}

// @ts-ignore: decorator
@inline function append(bucket: usize, t: Thread): void {
  let tail = load<usize>(bucket, 4);
  t.next = 0;
  t.prev = tail;
  if (tail) changetype<Thread>(tail).next = changetype<usize>(t);
  else store<usize>(bucket, changetype<usize>(t));
  store<usize>(bucket, changetype<usize>(t), 4);
}

/** futexWait with the kind of primitive recorded for deadlock reports. Inlined into its callers: every
 *  frame between a blocking call and the switch is saved and restored on each switch. */
// @ts-ignore: decorator
@inline export function futexWaitFor(addr: usize, expected: i32, timeoutMs: f64, kind: i32): i32 {
  if (atomicLoad(addr) != expected) return FUTEX_NOT_EQUAL;
  if (timeoutMs == 0) return FUTEX_TIMED_OUT;
  if (currentThread == 0) abort("futexWait: called outside a weft thread");
  let t = changetype<Thread>(currentThread);
  schedLockTake();
  // Checked again under the lock: a waker changes the word before it takes the lock to wake (M:N).
  if (SHARED_MEMORY && atomicLoad(addr) != expected) { schedLockDrop(); return FUTEX_NOT_EQUAL; }
  // No memory for the table or the timer heap: return as a timeout (callers loop) before parking.
  if (waiters >= buckets << 1 && !resize()) { schedLockDrop(); return FUTEX_TIMED_OUT; }
  if (timeoutMs > 0) {
    t.deadline = hostNow() + timeoutMs;
    if (!timerAdd(t)) { schedLockDrop(); return FUTEX_TIMED_OUT; }
  }
  transition(t, FROM_RUNNING, STATE_BLOCKED);
  t.waitKind = kind;
  t.waitAddr = addr;
  t.waitResult = FUTEX_WOKEN;
  append(bucketOf(addr), t);
  waiters++;
  schedLockDrop();
  suspend();
  return t.waitResult;
}

/** N:1: parks the running thread on the word at `addr`, which its caller just read, like an untimed
 *  futexWait but outside the table: a waker that knows the thread wakes it with unparkWith (a channel
 *  operation's waiter, lib/waiter.ts). `kind` is WAIT_CHANNEL_SEND or WAIT_CHANNEL_RECV (see inTable).
 *  Nothing runs between the caller's look at the word and the park, so the word needs no claim; callers
 *  loop, as for any futex wait. M:N parks a channel operation with parkUnseen under the channel's lock
 *  instead (core/parked.ts), and never calls this. */
// @ts-ignore: decorator
@inline export function parkOn(addr: usize, kind: i32): void {
  let t = changetype<Thread>(currentThread);
  transition(t, FROM_RUNNING, STATE_BLOCKED);
  t.waitKind = kind;
  t.waitAddr = addr;
  suspend();
}

/** Parks the running thread (M:N) on the word at `addr`, which no other thread can see yet: the caller
 *  holds the lock that guards the word and releases it as the thread switches out (core/parked.ts, "Park
 *  protocol"). The word becomes PARKED by a plain store, and whoever takes it out of PARKED under that
 *  lock wakes the thread: its waker (unparkWith), or a signal (parked.ts, "Signals"). */
// @ts-ignore: decorator
@inline export function parkUnseen(addr: usize, kind: i32): void {
  let t = changetype<Thread>(currentThread);
  transition(t, FROM_RUNNING, STATE_BLOCKED);
  t.waitKind = kind;
  t.waitAddr = addr;
  store<i32>(addr, parkedWord(t));
}

/** The word of a thread parked by parkUnseen (M:N): its record's address | PARKED (lib/waiter.ts, Parker). */
// @ts-ignore: decorator
@inline export function parkedWord(t: Thread): i32 { return <i32>changetype<usize>(t) | PARKED; }

/** Phase bits of a parked word (the same as lib/waiter.ts's Parker.PARKED and Parker.PHASE). */
// @ts-ignore: decorator
@inline export const PARKED: i32 = 3;
// @ts-ignore: decorator
@inline const PARK_PHASE: i32 = 3;

/** Stores `value` into the word at `addr` and, if `t` is parked on it (parkUnseen), makes `t` runnable.
 *  `t` must have been read before: once the word holds `value`, its owner may go on and reuse what held
 *  it. M:N: the caller holds the lock that guards the word (parked.ts, "The invariant"). */
// @ts-ignore: decorator
@inline export function unparkWith(t: Thread, addr: usize, value: i32): void {
  if (SHARED_MEMORY) {
    // Took PARKED out: the owner is off its processor (it released this lock after) and only this wakes it.
    let old = load<i32>(addr);
    store<i32>(addr, value);
    if ((old & PARK_PHASE) == PARKED) handOff(t);
  } else {
    store<i32>(addr, value);
    if (t.state == STATE_BLOCKED && t.waitAddr == addr && !inTable(t)) { t.waitAddr = 0; makeRunnable(t); }
  }
}

/** Whether a blocked thread sits in the futex table: I/O (sys/io.ts) and channel operations (parkOn,
 *  parkUnseen) park outside it. */
// @ts-ignore: decorator
@inline export function inTable(t: Thread): bool {
  let kind = t.waitKind;
  return kind != WAIT_IO && kind != WAIT_CHANNEL_SEND && kind != WAIT_CHANNEL_RECV;
}

/** Parks the calling thread while the word at `addr` holds `expected`. timeoutMs < 0 waits forever.
 *  Returns FUTEX_WOKEN, FUTEX_NOT_EQUAL, FUTEX_TIMED_OUT, or FUTEX_INTERRUPTED when a signal's handler ran
 *  (unless it was installed with SA_RESTART: the wait then goes on, for the time that was left). */
export function futexWait(addr: usize, expected: i32, timeoutMs: f64 = -1): i32 {
  let deadline = timeoutMs > 0 ? hostNow() + timeoutMs : 0;
  while (true) {
    let result = futexWaitFor(addr, expected, timeoutMs, WAIT_FUTEX);
    if (result != FUTEX_INTERRUPTED || !signalRestarts()) return result;
    if (deadline > 0) { timeoutMs = deadline - hostNow(); if (timeoutMs <= 0) return FUTEX_TIMED_OUT; }
  }
}

/** Makes up to `count` threads waiting on `addr` runnable (count < 0: all). Returns how many. */
export function futexWake(addr: usize, count: i32): i32 {
  if (!SHARED_MEMORY && waiters == 0) return 0;
  schedLockTake();
  let woken = futexWakeLocked(addr, count);
  schedLockDrop();
  return woken;
}

/** futexWake with the scheduler lock held. */
export function futexWakeLocked(addr: usize, count: i32): i32 {
  if (waiters == 0) return 0;
  let bucket = bucketOf(addr);
  let tp = load<usize>(bucket);
  let woken = 0;
  while (tp != 0 && woken != count) {
    let t = changetype<Thread>(tp);
    let next = t.next;
    if (t.waitAddr == addr) {
      unlink(bucket, t);
      cancelTimer(t);
      t.waitResult = FUTEX_WOKEN;
      if (woken == 0) handOff(t);             // the first runs next here; the others queue (handoff.ts)
      else makeRunnable(t);
      woken++;
    }
    tp = next;
  }
  return woken;
}

/** Takes a blocked thread out of its wait queue (timeouts, kills). The scheduler lock must be held. */
export function futexDequeue(t: Thread): void {
  unlink(bucketOf(t.waitAddr), t);
}

function unlink(bucket: usize, t: Thread): void {
  waiters--;
  let prev = t.prev, next = t.next;
  if (prev) changetype<Thread>(prev).next = next; else store<usize>(bucket, next);
  if (next) changetype<Thread>(next).prev = prev; else store<usize>(bucket, prev, 4);
  t.next = 0;
  t.prev = 0;
}

/** fork's child (core/fork.ts): no thread of this process waits on any word. N:1. */
export function futexForkReset(): void {
  for (let i: usize = 0; i < (<usize>buckets << 3); i += 8) store<u64>(table + i, 0);
  waiters = 0;
}
