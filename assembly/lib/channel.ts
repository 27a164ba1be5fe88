// Channel<T>: Go-style channels between weft threads, unbuffered (rendezvous) or buffered.
//
// Design note
// -----------
// Problem: send must block until its value is taken (unbuffered) or has a slot (buffered); recv must block
// until a value comes or the channel is closed; close must release every blocked thread; select
// (select.ts) must wait on several channels and fire exactly one case. No wake-up may be lost, a blocked
// thread should be woken only when its own operation completed, and an operation nobody waits for must
// cost a lock and a few stores: no allocation, no futexWake.
//
// Rejected: one sequence futex per channel that every blocked thread sleeps on. The futex cannot wake the
// one thread that was served, so every change wakes all sleepers, each re-takes the lock to see whether
// it was served, and an unbuffered send needs more states to learn that its value was taken.
// Chosen (Go's runtime/chan.go): a spin lock guards the channel; a thread that must block appends a Waiter
// to the channel's send or receive queue and sleeps on a parker word. The thread that completes its
// operation (the waker) takes the waiter out, copies the value straight into or out of it, marks the
// parker DONE and wakes exactly that thread, which never touches the channel again: one lock round trip
// per operation, one futexWake per blocked thread, none when nobody waits.
//
// Glossary (the Waiter record, the parker word's phases and the waiter pool are in waiter.ts)
// --------
// waiter   a Waiter record: one blocked operation, or one case of a blocked select, in a channel queue.
// parker   the word a blocked thread sleeps on: a single operation's waiter's own `state`, or the
//          Select's `state`, shared by the waiters of all its cases.
// claim    parkerClaim, CAS WAITING -> CLAIMED: only the claimer completes a select's waiter, so a select
//          whose cases become ready on two channels at once fires once.
// waker    the thread that claims and completes a waiter (its send, recv or close).
//
// Park protocol (blocking send / recv; Select.wait follows the same steps for each case):
//   1. Lock the channel; try the operation (sendLocked / recvLocked). Done unless it says Op.BLOCK.
//   2. Take a waiter from the pool: parker WAITING, value (send); append it to the channel's queue.
//      Ordering: steps 1 and 2 are one lock hold, so a waker that changes the channel after our check
//      finds the waiter. This is what rules out lost wake-ups.
//   3. Unlock. Nothing that can suspend runs while a channel lock is held — but for one M:N case: a single
//      operation parks holding it, and its processor's loop releases it once the thread is off the
//      processor (unlockAndPark; core/parked.ts, "Park protocol").
//   4. park: while the parker's phase is not DONE, sleep on it: a single operation with parkOn (N:1;
//      outside the futex table: its waiter names the thread) or parkUnseen (M:N, before step 3), a
//      select with futexWaitFor(parker, seen, kind).
//      futexWaitFor returns at once if the word changed after we read it (parkOn and parkUnseen need no
//      such look: nothing runs between it and the park, or the lock is held); wake-ups may be spurious,
//      hence the loop.
//   5. Result from the parker word (CLOSED bit), value from the waiter; the waiter goes back to the pool.
//      The waker dequeued it, so nothing refers to it any more.
// Wake protocol (under the channel lock: takeWaiter, then completeWaiter):
//   1. Pop the head of the queue; clear its QUEUED flag.
//   2. Claim it. A single operation's waiter is in this queue only, so popping it under the lock is the
//      claim (no CAS). A select's waiter needs parkerClaim; if that fails, another channel fired the
//      select: drop the waiter (its owner finds QUEUED clear) and go back to 1.
//   3. Copy the value into the waiter (a receiver) or out of it (a sender).
//   4. Store DONE | closed | case index and wake the owner: a single operation's with waiterComplete
//      (the thread is read from the waiter first, then the word is stored and the thread made runnable
//      with no futex lookup — channel_roundtrip 101 -> 81 ns — and, in M:N, without the scheduler lock
//      and with plain stores: the word changes only under this lock, core/parked.ts), a select's with
//      parkerComplete (futexWake(parker, 1)). Ordering: the value is in place before DONE is visible;
//      after step 4 the waker never touches the waiter again.
// Close: mark closed, then complete every queued waiter with CLOSED (receivers get the zero value).
// Receivers take from the buffer first: they drain it, then see CLOSED (Go's semantics).
//
// M:N: the lock is an atomic spin lock held for a few dozen instructions, and across a switch only by a
// processor whose thread parks (step 3), until its frames are saved. A waiter belongs to its thread from
// step 2 to step 5 and its memory is never returned to the heap (pooled), so a late wake on a reused
// parker is only a spurious wake-up, which park tolerates.
//
// Memory: a Channel<T> is one object, a RawChannel (the drawing) followed by its buffer's slots, which the
// collector frees once nothing refers to it (Channel.__visit marks what the buffered values point at); a
// queued waiter or a Select's case keeps its channel alive (waiter.ts), as does the caller's frame of a
// thread inside an operation (AssemblyScript spills `this` there for the call).
// Cost: the functions here and select.ts take a channel as a RawChannel, an @unmanaged record: a managed
// reference passed to a call is spilled to the shadow stack, and with managed parameters all the way down
// a round trip was once ~25% slower. A method takes `this` as the record at once: only its caller's call
// spills. The blocking path is inlined down to futexWaitFor, as each frame between the caller and the
// switch is unwound and rewound on every switch (core/scheduler.ts, "The switch").
//
// ╒═══════════ Channel<T> = RawChannel (wasm32 offsets) ════════════╕
//   0 │ lock      i32    0 free, 1 held; atomic (spin lock)        │
//   4 │ closed    i32    1 once closed; written under lock, atomic │
//   8 │ count     i32    values in the buffer; guarded by lock     │
//  12 │ head      i32    slot of the oldest value; guarded by lock │
//  16 │ capacity  i32    slots in the buffer; immutable            │
//  20 │ buffer    usize  capacity × 8-byte slots, from offset 40   │
//     │                  of the same object (0 if unbuffered)      │
//  24 │ sendHead  usize  first blocked sender (Waiter); guarded    │
//  28 │ sendTail  usize  last blocked sender; guarded              │
//  32 │ recvHead  usize  first blocked receiver; guarded           │
//  36 │ recvTail  usize  last blocked receiver; guarded            │
// ╘═════════════════════════════════════════════════════════════════╛
// len() reads `count` without the lock: an aligned i32 load cannot tear, and len promises a snapshot.
//

import { atomicCas, atomicLoad, atomicStore, SHARED_MEMORY } from "../core/atomics";
import { gcCheckpoint } from "../core/gc";
import { OBJECT_MAXSIZE } from "rt/common";
import { futexWaitFor, parkOn, parkUnseen, WAIT_CHANNEL_SEND, WAIT_CHANNEL_RECV } from "../core/futex";
import { parkReleasing, PARKED_SELF_AT, PARKED_CHANNEL_AT, PARKED_MARK_AT, PARKED_THREAD_AT } from "../core/parked";
import { suspend } from "../core/scheduler";
import {
  Parker, WaiterFlag, Waiter, WAITER_SIZE, toBits, fromBits, parkerClaim, parkerComplete, parkerReset,
  waiterAcquire, waiterRelease, waiterPrepare, waiterComplete, shadeBits,
} from "./waiter";
export { Parker, WaiterFlag, Waiter, WAITER_SIZE, toBits, fromBits, parkerClaim, parkerComplete, parkerReset } from "./waiter";

// ─── Constants ───

/** What sendLocked / recvLocked report: completed, the channel is closed, or the caller must block. */
export const enum Op { DONE = 0, CLOSED = 1, BLOCK = 2 }

// ─── Records ───

/** A channel's fields, as the functions here and select.ts see them: a record in the Channel<T> object. */
@unmanaged export class RawChannel {
  lock: i32;
  closed: i32;
  count: i32;
  head: i32;
  capacity: i32;
  buffer: usize;
  sendHead: usize;
  sendTail: usize;
  recvHead: usize;
  recvTail: usize;
}

// The drawings above are the truth: the build fails if a field moves.
if (ASC_TARGET == 1) {
  if (offsetof<RawChannel>("recvTail") != 36 || offsetof<RawChannel>("buffer") != 20 || offsetof<RawChannel>() != 40) {
    ERROR("channel.ts: RawChannel no longer matches its drawing");
  }
  if (offsetof<Waiter>("value") != 32 || offsetof<Waiter>("flags") != 24 || offsetof<Waiter>() != WAITER_SIZE) {
    ERROR("channel.ts: Waiter no longer matches its drawing");
  }
  // core/parked.ts reads a parked waiter's channel and mark, and takes the channel's first word as its lock.
  if (offsetof<Waiter>("parker") != PARKED_SELF_AT || offsetof<Waiter>("channel") != PARKED_CHANNEL_AT ||
      offsetof<Waiter>("caseIndex") != PARKED_MARK_AT || offsetof<Waiter>("thread") != PARKED_THREAD_AT ||
      offsetof<RawChannel>("lock") != 0) {
    ERROR("channel.ts: Waiter or RawChannel no longer matches core/parked.ts");
  }
}

// ─── Lock ───

/** Spins this many times on a held channel lock before giving up (about a second). A lock is held for a
 *  few dozen instructions, or (M:N) until a parked thread's frames are saved; in N:1 it is never found
 *  held, so a long spin means a thread suspended while holding one, and waiting longer would hang the
 *  processor. Not configurable. */
// @ts-ignore: decorator
@inline const LOCK_SPINS_MAX: i32 = 1 << 28;

function lockContended(addr: usize): void {
  for (let spins = 0; spins < LOCK_SPINS_MAX; spins++) {
    if (atomicLoad(addr) == 0 && atomicCas(addr, 0, 1) == 0) return;
    gcCheckpoint();                         // its holder may be stopped for a collection (core/gc.ts)
  }
  abort("lockChannel: lock at 0x" + addr.toString(16) + " held too long (did a thread suspend holding it?)");
}

/** Takes the channel's spin lock. */
// @ts-ignore: decorator
@inline export function lockChannel(ch: RawChannel): void {
  let addr = changetype<usize>(ch) + offsetof<RawChannel>("lock");
  if (atomicCas(addr, 0, 1) != 0) lockContended(addr);
}

// @ts-ignore: decorator
@inline export function unlockChannel(ch: RawChannel): void {
  atomicStore(changetype<usize>(ch) + offsetof<RawChannel>("lock"), 0);
}

// ─── Queues (guarded by the channel's lock) ───

// @ts-ignore: decorator
@inline function queueHeadAddr(ch: RawChannel, send: bool): usize {
  return changetype<usize>(ch) + (send ? offsetof<RawChannel>("sendHead") : offsetof<RawChannel>("recvHead"));
}

/** Appends `w` to the send or receive queue, as its SEND flag says. */
// @ts-ignore: decorator
@inline export function queuePush(ch: RawChannel, w: Waiter): void {
  let head = queueHeadAddr(ch, (w.flags & WaiterFlag.SEND) != 0);
  let tail = load<usize>(head, sizeof<usize>());
  w.next = 0;
  w.prev = tail;
  if (tail) changetype<Waiter>(tail).next = changetype<usize>(w);
  else store<usize>(head, changetype<usize>(w));
  store<usize>(head, changetype<usize>(w), sizeof<usize>());
  w.flags |= WaiterFlag.QUEUED;
}

/** Takes `w` out of its queue if it is still in one (a select's cases that did not fire). */
export function queueRemove(ch: RawChannel, w: Waiter): void {
  if ((w.flags & WaiterFlag.QUEUED) == 0) return;
  let head = queueHeadAddr(ch, (w.flags & WaiterFlag.SEND) != 0);
  let prev = w.prev, next = w.next;
  if (prev) changetype<Waiter>(prev).next = next; else store<usize>(head, next);
  if (next) changetype<Waiter>(next).prev = prev; else store<usize>(head, prev, sizeof<usize>());
  w.flags &= ~WaiterFlag.QUEUED;
}

/** Wake protocol, steps 1-2: the first waiter of a queue that this thread could claim, or null. */
// @ts-ignore: decorator
@inline function takeWaiter(ch: RawChannel, send: bool): Waiter | null {
  let head = queueHeadAddr(ch, send);
  while (true) {
    let wp = load<usize>(head);
    if (wp == 0) return null;
    let w = changetype<Waiter>(wp);
    let next = w.next;
    store<usize>(head, next);
    if (next) changetype<Waiter>(next).prev = 0; else store<usize>(head, 0, sizeof<usize>());
    w.flags &= ~WaiterFlag.QUEUED;
    if (w.parker == wp || parkerClaim(w.parker)) return w;   // step 2: own parker = single operation
  }
}

/** Wake protocol, step 4: a single operation's owner directly, a select's through the futex. */
// @ts-ignore: decorator
@inline function completeWaiter(w: Waiter, closedBit: i32): void {
  if (w.parker == changetype<usize>(w)) waiterComplete(w, closedBit);
  else parkerComplete(w.parker, closedBit | (w.caseIndex << Parker.CASE_SHIFT));
}

// ─── The buffer (guarded by the channel's lock) ───

// @ts-ignore: decorator
@inline function bufferPut(ch: RawChannel, value: u64): void {
  let slot = ch.head + ch.count;
  if (slot >= ch.capacity) slot -= ch.capacity;
  shadeBits(value);
  store<u64>(ch.buffer + (<usize>slot << 3), value);
  ch.count++;
}

// @ts-ignore: decorator
@inline function bufferTake(ch: RawChannel): u64 {
  let head = ch.head;
  let slot = ch.buffer + (<usize>head << 3);
  let value = load<u64>(slot);
  store<u64>(slot, 0);                                      // keeps nothing alive (Channel.__visit)
  ch.head = head + 1 == ch.capacity ? 0 : head + 1;
  ch.count--;
  return value;
}

// ─── Operations on a locked channel (never block; shared with select.ts) ───

/** The value the calling thread's last recvLocked / recvBlocking produced. A Wasm global, so per
 *  processor; read right after the call, with no switch in between, it is the caller's own. */
export let received: u64 = 0;

/** Send with the lock held: Op.DONE (handed to a receiver or buffered), Op.CLOSED, or Op.BLOCK. */
// @ts-ignore: decorator
@inline export function sendLocked(ch: RawChannel, value: u64): i32 {
  if (ch.closed) return Op.CLOSED;
  let w = takeWaiter(ch, false);
  if (w) {
    shadeBits(value);
    w.value = value;                                        // wake step 3
    completeWaiter(w, 0);
    return Op.DONE;
  }
  if (ch.count < ch.capacity) { bufferPut(ch, value); return Op.DONE; }
  return Op.BLOCK;
}

/** Receive with the lock held: Op.DONE (value in `received`), Op.CLOSED (closed and drained; `received`
 *  is 0), or Op.BLOCK. */
// @ts-ignore: decorator
@inline export function recvLocked(ch: RawChannel): i32 {
  if (ch.count > 0) {
    received = bufferTake(ch);
    let w = takeWaiter(ch, true);                           // a full buffer had senders waiting: refill
    if (w) { bufferPut(ch, w.value); completeWaiter(w, 0); }
    return Op.DONE;
  }
  let w = takeWaiter(ch, true);
  if (w) {
    received = w.value;                                     // wake step 3
    completeWaiter(w, 0);
    return Op.DONE;
  }
  received = 0;
  return ch.closed ? Op.CLOSED : Op.BLOCK;
}

/** Close with the lock held: false if already closed. Wakes every waiter with CLOSED. */
function closeLocked(ch: RawChannel): bool {
  if (ch.closed) return false;
  atomicStore(changetype<usize>(ch) + offsetof<RawChannel>("closed"), 1);
  let w = takeWaiter(ch, false);
  while (w) { w.value = 0; completeWaiter(w, Parker.CLOSED); w = takeWaiter(ch, false); }
  w = takeWaiter(ch, true);
  while (w) { completeWaiter(w, Parker.CLOSED); w = takeWaiter(ch, true); }
  return true;
}

// ─── Blocking (the only functions here that can suspend) ───

/** Park protocol, step 4: sleeps until the parker's phase is DONE; returns the final parker word.
 *  Inlined, like the two functions below: every frame between the caller and the switch is unwound and
 *  rewound on each switch (core/scheduler.ts, "The switch"), so the blocking path keeps the stack shallow.
 *  A select sleeps on the futex (its cases' wakers find it by the parker's address); a single operation
 *  (N:1 here; M:N in unlockAndPark) parks outside the futex table, and its waker wakes it by the thread
 *  its waiter names (parkOn). */
// @ts-ignore: decorator
@inline export function park(parker: usize, kind: i32): i32 {
  let direct = kind == WAIT_CHANNEL_SEND || kind == WAIT_CHANNEL_RECV;
  let word = atomicLoad(parker);
  while ((word & Parker.PHASE) != Parker.DONE) {
    if (direct) parkOn(parker, kind);              // N:1 only: M:N parks in unlockAndPark
    else futexWaitFor(parker, word, -1, kind);
    word = atomicLoad(parker);
  }
  return word;
}

/** Park protocol, steps 3-4 for a single operation whose waiter `w` was just queued: unlocks the channel
 *  and sleeps until the waiter's phase is DONE; returns the final parker word. M:N: the thread parks
 *  holding the lock, which its processor's loop releases once the thread is off it, and looks again
 *  under the lock only when a signal woke it (core/parked.ts, "Park protocol"). */
// @ts-ignore: decorator
@inline function unlockAndPark(ch: RawChannel, w: Waiter, kind: i32): i32 {
  if (!SHARED_MEMORY) {
    unlockChannel(ch);
    return park(changetype<usize>(w), kind);
  }
  let word: i32;
  while (true) {
    parkUnseen(changetype<usize>(w), kind);                // step 1 (the waiter is queued)
    parkReleasing(changetype<usize>(ch) + offsetof<RawChannel>("lock"));   // step 2
    suspend();                                              // step 3: the loop unlocks
    if (w.caseIndex == 0) {                                 // step 4: its waker woke it
      word = load<i32>(changetype<usize>(w));
      if ((word & Parker.PHASE) == Parker.DONE) break;
    }
    lockChannel(ch);                                        // a signal woke it: look under the lock
    w.caseIndex = 0;
    word = load<i32>(changetype<usize>(w));
    if ((word & Parker.PHASE) == Parker.DONE) { unlockChannel(ch); break; }
  }
  return word;
}

/** Park protocol, steps 2-5 for send. Called with the lock held. True if a receiver took the value. */
// @ts-ignore: decorator
@inline function sendBlocking(ch: RawChannel, value: u64): bool {
  let w = waiterAcquire();
  waiterPrepare(w, WaiterFlag.SEND, value, changetype<usize>(ch));
  queuePush(ch, w);
  let word = unlockAndPark(ch, w, WAIT_CHANNEL_SEND);
  waiterRelease(w);
  return (word & Parker.CLOSED) == 0;
}

/** Park protocol, steps 2-5 for recv. Called with the lock held. Op.DONE (value in `received`) or
 *  Op.CLOSED. */
// @ts-ignore: decorator
@inline function recvBlocking(ch: RawChannel): i32 {
  let w = waiterAcquire();
  waiterPrepare(w, 0, 0, changetype<usize>(ch));
  queuePush(ch, w);
  let word = unlockAndPark(ch, w, WAIT_CHANNEL_RECV);
  received = w.value;
  waiterRelease(w);
  return (word & Parker.CLOSED) != 0 ? Op.CLOSED : Op.DONE;
}

// ─── The API ───

/** What a receive produced: reusable, so receiving allocates nothing. An object: a value it holds is
 *  kept alive by it. */
@final export class Received<T> {
  /** The value received; T's zero value (0, false, null) when nothing was. */
  value: T = fromBits<T>(0);
  /** A value was received. */
  ok: bool = false;
  /** The channel is closed and drained (ok is false). */
  closed: bool = false;
}

/** A channel of T (numbers, bools or references). capacity 0 (the default) makes it unbuffered: a send
 *  waits until a receiver has taken its value. capacity > 0 buffers that many values: a send waits only
 *  while the buffer is full. Differences from Go: sending on a closed channel returns false instead of
 *  panicking, and close() of a closed channel returns false. Garbage once nothing refers to it. */
@final export class Channel<T> {
  // No fields of its own: the object holds a RawChannel, then the buffer's slots.
  constructor(capacity: i32 = 0) {
    if (<usize>capacity > (OBJECT_MAXSIZE - offsetof<RawChannel>()) >>> 3) badCapacity(capacity);
    // One object: the fields, then the slots (a slot holding 0 keeps nothing alive: __visit).
    let bytes = offsetof<RawChannel>() + (<usize>capacity << 3);
    let p = __new(bytes, idof<Channel<T>>());
    memory.fill(p, 0, bytes);
    let ch = changetype<RawChannel>(p);
    ch.capacity = capacity;
    if (capacity > 0) ch.buffer = p + offsetof<RawChannel>();
    return changetype<Channel<T>>(p);
  }

  /** Sends `value`, waiting while nobody can take it. True once it is delivered (unbuffered: a receiver
   *  has it; buffered: it is in the buffer); false if the channel is or gets closed (value not sent). */
  send(value: T): bool {
    let ch = changetype<RawChannel>(this);
    lockChannel(ch);
    let result = sendLocked(ch, toBits<T>(value));
    if (result != Op.BLOCK) { unlockChannel(ch); return result == Op.DONE; }
    return sendBlocking(ch, toBits<T>(value));
  }

  /** Sends only if that needs no waiting. False if it would block or the channel is closed. */
  trySend(value: T): bool {
    let ch = changetype<RawChannel>(this);
    lockChannel(ch);
    let result = sendLocked(ch, toBits<T>(value));
    unlockChannel(ch);
    return result == Op.DONE;
  }

  /** Receives a value, waiting until one comes. When the channel is closed and drained, returns T's zero
   *  value at once; use recvInto to tell that apart from a zero that was sent. */
  recv(): T {
    let ch = changetype<RawChannel>(this);
    lockChannel(ch);
    let result = recvLocked(ch);
    if (result == Op.BLOCK) recvBlocking(ch);
    else unlockChannel(ch);
    return fromBits<T>(received);
  }

  /** Receives like recv into `out`. Returns out.ok: false when the channel is closed and drained. */
  recvInto(out: Received<T>): bool {
    let ch = changetype<RawChannel>(this);
    lockChannel(ch);
    let result = recvLocked(ch);
    if (result == Op.BLOCK) result = recvBlocking(ch);
    else unlockChannel(ch);
    return setReceived<T>(out, result);
  }

  /** Receives only if a value is ready. Returns out.ok; out.closed says the channel is closed and drained
   *  (both false: it would have to wait). */
  tryRecv(out: Received<T>): bool {
    let ch = changetype<RawChannel>(this);
    lockChannel(ch);
    let result = recvLocked(ch);
    unlockChannel(ch);
    return setReceived<T>(out, result);
  }

  /** Closes the channel: blocked senders return false, blocked receivers get closed; receivers drain the
   *  buffer first. False if it was already closed. */
  close(): bool {
    let ch = changetype<RawChannel>(this);
    lockChannel(ch);
    let closed = closeLocked(ch);
    unlockChannel(ch);
    return closed;
  }

  /** Values in the buffer (a snapshot). Always 0 for an unbuffered channel. */
  len(): i32 { return changetype<RawChannel>(this).count; }

  /** Slots in the buffer: 0 for an unbuffered channel. */
  cap(): i32 { return changetype<RawChannel>(this).capacity; }

  /** True once close() was called (a snapshot; a closed channel may still hold values). */
  isClosed(): bool { return atomicLoad(changetype<usize>(this) + offsetof<RawChannel>("closed")) != 0; }

  /** The collector's visit: what the values in the buffer point at, in every slot (marking may run as
   *  others send and receive; a slot a value was taken from holds 0: bufferTake). */
  // @ts-ignore: decorator
  @unsafe private __visit(cookie: u32): void {
    if (!isReference<T>()) return;
    let ch = changetype<RawChannel>(this);
    let slot = ch.buffer, end = slot + (<usize>ch.capacity << 3);
    for (; slot < end; slot += 8) {
      let value = <usize>load<u64>(slot);
      if (value) __visit(value, cookie);
    }
  }
}

function badCapacity(capacity: i32): void {
  if (capacity < 0) abort("new Channel: capacity must be >= 0, got " + capacity.toString());
  abort("new Channel: a buffer of " + capacity.toString() + " slots is larger than an object may be");
}

// @ts-ignore: decorator
@inline function setReceived<T>(out: Received<T>, result: i32): bool {
  out.value = fromBits<T>(received);
  out.ok = result == Op.DONE;
  out.closed = result == Op.CLOSED;
  return out.ok;
}
