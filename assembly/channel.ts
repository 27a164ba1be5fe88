// Channel<T>: Go-style channels between weft threads, unbuffered (rendezvous) or buffered.
//
// Design note
// -----------
// Problem: send must block until the value is taken (unbuffered) or has a slot (buffered); recv must block
// until a value arrives or the channel is closed; close must release every blocked thread; select
// (select.ts) must wait on several channels at once and fire exactly one case. A blocked thread must be
// woken exactly when its operation completed, no wake-up may be lost, and when nobody is blocked an
// operation must cost a lock and a few stores: no allocation, no futexWake.
//
// Rejected: one sequence futex per channel that every blocked thread sleeps on. A completed operation
// then has to wake all sleepers (the futex cannot pick the one that was served), each re-takes the lock to
// find out whether it was the one, and an unbuffered send needs extra states to know that its value was
// taken. A thundering herd on every send, and two lock round trips per hand-off.
// Chosen (Go's runtime/chan.go): a spin lock guards the channel; a thread that must block puts a Waiter
// record in the channel's send or receive queue and sleeps on a parker word. The thread that completes
// its operation ("the waker") takes the waiter out of the queue, copies the value straight into or out of
// it, marks the parker DONE and wakes exactly that thread. The woken thread never touches the channel
// again: one lock round trip per operation, one futexWake per blocked thread, none when nobody waits.
//
// Glossary
// --------
// waiter   a Waiter record: one blocked operation (or one case of a blocked select) in a channel queue.
// parker   the 32-bit word a blocked thread sleeps on; a single operation's is its waiter's `state`,
//          a select's is its Select's `state`, shared by the waiters of all its cases.
// claim    CAS parker WAITING -> CLAIMED. Only the claimer may complete the waiter, so a select whose
//          cases become ready on two channels at once fires exactly one case.
// waker    the thread that claims and completes a waiter (a send, recv or close on the channel).
//
// Park protocol (a blocked send or recv; select.ts follows the same steps for each case):
//   1. Lock the channel; try the operation (sendLocked / recvLocked). Done unless it returned OP_BLOCK.
//   2. Take a waiter (pool), set its parker word to WAITING and its value (send), and append it to the
//      channel's queue. Ordering: steps 1 and 2 happen under one lock hold, so a waker that changes the
//      channel after our check is sure to find the waiter: this is what rules out lost wake-ups.
//   3. Unlock. Nothing that can suspend runs while a channel lock is held.
//   4. Sleep: while the parker's phase is not DONE, futexWaitFor(parker, seen, kind). futexWait returns
//      at once if the word changed after we read it; wake-ups may be spurious, hence the loop.
//   5. Read the result from the parker word (CLOSED bit) and the value from the waiter; return the
//      waiter to the pool. The waker dequeued it, so nothing else refers to it.
// Wake protocol (under the channel lock, in takeWaiter and completeWaiter):
//   1. Pop the head of the queue; clear its QUEUED flag.
//   2. Claim its parker. If the claim fails, the waiter belongs to a select that another channel already
//      fired: drop it (its owner finds QUEUED clear and skips it) and go back to 1. A single operation's
//      waiter sits in one queue only, so step 1 under the lock already makes it ours: no CAS.
//   3. Copy the value into the waiter (recv side) or out of it (send side).
//   4. Store DONE | closed | case index << 3 in the parker, then futexWake(parker, 1). Ordering: the value
//      is in place before DONE is visible. After step 4 the waker never touches the waiter again.
// Close: mark closed, then claim and complete every queued waiter with the CLOSED bit (receivers get the
// zero value). Receivers find the buffer first: they drain it, then get CLOSED (Go's semantics).
//
// Memory model, M:N: the lock is a spin lock on an atomic word (held for a few dozen instructions, never
// across a suspend). Waiters stay owned by their thread between steps 2 and 5, and their memory is never
// returned to the heap (pooled), so a late futexWake on a reused parker is only a spurious wake-up.
//
// ╒════════════ Channel (the object; wasm32 offsets) ════════════╕
//   0 │ lock      i32    0 free, 1 held; atomic (spin lock)        │
//   4 │ closed    i32    1 once closed; written under lock, atomic │
//   8 │ count     i32    values in the buffer; guarded by lock     │
//  12 │ head      i32    slot of the oldest value; guarded by lock │
//  16 │ capacity  i32    slots in the buffer; immutable            │
//  20 │ buffer    usize  capacity × 8-byte slots, 0 if unbuffered  │
//  24 │ sendHead  usize  first blocked sender (Waiter); guarded    │
//  28 │ sendTail  usize  last blocked sender; guarded              │
//  32 │ recvHead  usize  first blocked receiver; guarded           │
//  36 │ recvTail  usize  last blocked receiver; guarded            │
// ╘═══════════════════════════════════════════════════════════════╛
// `count` and `closed` are also read without the lock by len() and isClosed(): aligned i32 loads cannot
// tear, and both promise only a snapshot.
//
// ╒════════════ Waiter (40 bytes, heap; wasm32 offsets) ════════════╕
//   0 │ state      i32    parker word of a single operation (PARK_*)  │
//   4 │ parker     usize  address of the word that decides this waiter│
//   8 │ next       usize  queue link; guarded by the channel's lock    │
//  12 │ prev       usize  queue link; guarded by the channel's lock    │
//  16 │ channel    usize  the channel (select cases); owner only       │
//  20 │ caseIndex  i32    reported in the parker word when it fires    │
//  24 │ flags      i32    WAITER_QUEUED (guarded by lock), WAITER_SEND │
//  28 │ (padding)                                                     │
//  32 │ value      u64    value to send / value received (T as bits)   │
// ╘══════════════════════════════════════════════════════════════════╛
// `value` is written by the owner before step 2 and by the claimer in step 3, read after DONE.
//
// Parker word: bits 0-1 phase (WAITING 0, CLAIMED 1, DONE 2), bit 2 CLOSED, bits 3-31 case index.
//
// Values travel as 64-bit patterns (toBits / fromBits), so one copy of the code serves every T and
// select can mix channels of different element types. T must be a number, bool or reference.

import { atomicCas, atomicLoad, atomicStore } from "./atomics";
import { futexWaitFor, futexWake, WAIT_CHANNEL_SEND, WAIT_CHANNEL_RECV } from "./futex";
import { heapTryAlloc } from "./runtime/index";

// ─── Constants ───

// @ts-ignore: decorator
@inline export const PARK_WAITING: i32 = 0;
// @ts-ignore: decorator
@inline export const PARK_CLAIMED: i32 = 1;
// @ts-ignore: decorator
@inline export const PARK_DONE: i32 = 2;
// @ts-ignore: decorator
@inline export const PARK_PHASE: i32 = 3;
// @ts-ignore: decorator
@inline export const PARK_CLOSED: i32 = 4;
// @ts-ignore: decorator
@inline export const PARK_CASE_SHIFT: i32 = 3;

// @ts-ignore: decorator
@inline export const WAITER_QUEUED: i32 = 1;
// @ts-ignore: decorator
@inline export const WAITER_SEND: i32 = 2;

/** What sendLocked / recvLocked report. */
// @ts-ignore: decorator
@inline export const OP_DONE: i32 = 0;
// @ts-ignore: decorator
@inline export const OP_CLOSED: i32 = 1;
// @ts-ignore: decorator
@inline export const OP_BLOCK: i32 = 2;

// @ts-ignore: decorator
@inline const SLOT_SIZE: usize = 8;

// ─── Records ───

@unmanaged export class Waiter {
  state: i32;
  parker: usize;
  next: usize;
  prev: usize;
  channel: usize;
  caseIndex: i32;
  flags: i32;
  padding: i32;
  value: u64;
}

// @ts-ignore: decorator
@inline export const WAITER_SIZE: usize = 40;

/** The type-erased channel every Channel<T> is. Its fields are the channel's state: see the layout
 *  above and the access rules there. Use Channel<T>; these are public only for select.ts. */
export class RawChannel {
  lock: i32 = 0;
  closed: i32 = 0;
  count: i32 = 0;
  head: i32 = 0;
  capacity: i32 = 0;
  buffer: usize = 0;
  sendHead: usize = 0;
  sendTail: usize = 0;
  recvHead: usize = 0;
  recvTail: usize = 0;

  constructor(capacity: i32) {
    if (capacity < 0) abort("Channel: capacity must be >= 0, got " + capacity.toString());
    this.capacity = capacity;
    if (capacity > 0) {
      let buffer = heapTryAlloc(<usize>capacity * SLOT_SIZE);
      if (buffer == 0) abort("Channel: no memory for a buffer of " + capacity.toString() + " slots");
      this.buffer = buffer;
    }
  }
}

// The drawings above are the truth: the build fails if a field moves.
if (ASC_TARGET == 1) {
  if (offsetof<RawChannel>("recvTail") != 36 || offsetof<RawChannel>("buffer") != 20) {
    ERROR("channel.ts: RawChannel no longer matches its drawing");
  }
  if (offsetof<Waiter>("value") != 32 || offsetof<Waiter>("flags") != 24 || offsetof<Waiter>() != WAITER_SIZE) {
    ERROR("channel.ts: Waiter no longer matches its drawing");
  }
}

// ─── Values as bits ───

/** T's bits in a u64 (the form values take in buffers, waiters and select cases). */
// @ts-ignore: decorator
@inline export function toBits<T>(value: T): u64 {
  if (isReference<T>()) return <u64>changetype<usize>(value);
  if (isFloat<T>()) {
    if (sizeof<T>() == 8) return reinterpret<u64>(value);
    return <u64>reinterpret<u32>(value);
  }
  if (isInteger<T>()) return <u64>value;
  ERROR("Channel<T>: T must be an integer, float, bool or reference type");
  return 0;
}

/** The T whose bits toBits gave. fromBits<T>(0) is T's zero value (0, false, null). */
// @ts-ignore: decorator
@inline export function fromBits<T>(bits: u64): T {
  if (isReference<T>()) return changetype<T>(<usize>bits);
  if (isFloat<T>()) {
    if (sizeof<T>() == 8) return reinterpret<T>(bits);
    return reinterpret<T>(<u32>bits);
  }
  return <T>bits;
}

// ─── Lock ───

/** Takes the channel's spin lock. In N:1 it is always free here (nobody suspends holding it). */
// @ts-ignore: decorator
@inline export function lockChannel(ch: RawChannel): void {
  let addr = changetype<usize>(ch) + offsetof<RawChannel>("lock");
  while (atomicCas(addr, 0, 1) != 0) { /* M:N: another processor holds it for a few instructions */ }
}

// @ts-ignore: decorator
@inline export function unlockChannel(ch: RawChannel): void {
  atomicStore(changetype<usize>(ch) + offsetof<RawChannel>("lock"), 0);
}

// ─── Waiter pool (per processor: a Wasm global, so no lock; waiters may migrate between pools) ───

let freeWaiters: usize = 0;

function waiterAcquire(): Waiter {
  let w = freeWaiters;
  if (w != 0) {
    freeWaiters = changetype<Waiter>(w).next;
  } else {
    w = heapTryAlloc(WAITER_SIZE);
    if (w == 0) abort("Channel: no memory for a waiter record");
  }
  return changetype<Waiter>(w);
}

// @ts-ignore: decorator
@inline function waiterRelease(w: Waiter): void {
  w.next = freeWaiters;
  freeWaiters = changetype<usize>(w);
}

/** Makes `w` a single operation's waiter: it decides itself. */
// @ts-ignore: decorator
@inline function waiterPrepare(w: Waiter, flags: i32, value: u64): void {
  w.state = PARK_WAITING;
  w.parker = changetype<usize>(w);          // `state` is at offset 0
  w.caseIndex = 0;
  w.flags = flags;
  w.value = value;
}

// ─── Queues (guarded by the channel's lock) ───

// @ts-ignore: decorator
@inline function queueHeadAddr(ch: RawChannel, send: bool): usize {
  return changetype<usize>(ch) + (send ? offsetof<RawChannel>("sendHead") : offsetof<RawChannel>("recvHead"));
}

/** Appends `w` to the send or receive queue, as its WAITER_SEND flag says. */
export function queuePush(ch: RawChannel, w: Waiter): void {
  let head = queueHeadAddr(ch, (w.flags & WAITER_SEND) != 0);
  let tail = load<usize>(head, sizeof<usize>());
  w.next = 0;
  w.prev = tail;
  if (tail) changetype<Waiter>(tail).next = changetype<usize>(w);
  else store<usize>(head, changetype<usize>(w));
  store<usize>(head, changetype<usize>(w), sizeof<usize>());
  w.flags |= WAITER_QUEUED;
}

/** Takes `w` out of its queue if it is still in one (a select's cases that did not fire). */
export function queueRemove(ch: RawChannel, w: Waiter): void {
  if ((w.flags & WAITER_QUEUED) == 0) return;
  let head = queueHeadAddr(ch, (w.flags & WAITER_SEND) != 0);
  let prev = w.prev, next = w.next;
  if (prev) changetype<Waiter>(prev).next = next; else store<usize>(head, next);
  if (next) changetype<Waiter>(next).prev = prev; else store<usize>(head, prev, sizeof<usize>());
  w.flags &= ~WAITER_QUEUED;
}

/** Wake protocol, steps 1-2: the first waiter of a queue that this thread could claim, or null. */
function takeWaiter(ch: RawChannel, send: bool): Waiter | null {
  let head = queueHeadAddr(ch, send);
  while (true) {
    let wp = load<usize>(head);
    if (wp == 0) return null;
    let w = changetype<Waiter>(wp);
    let next = w.next;
    store<usize>(head, next);
    if (next) changetype<Waiter>(next).prev = 0; else store<usize>(head, 0, sizeof<usize>());
    w.flags &= ~WAITER_QUEUED;
    // A single operation's waiter (its own parker) is only ever in this queue: taking it out under the
    // lock is the claim, and costs no CAS. A select's waiter needs the CAS.
    if (w.parker == wp) return w;
    if (atomicCas(w.parker, PARK_WAITING, PARK_CLAIMED) == PARK_WAITING) return w;
    // a select that another channel fired: drop the waiter (its owner sees QUEUED clear)
  }
}

/** Wake protocol, step 4. */
// @ts-ignore: decorator
@inline function completeWaiter(w: Waiter, closedBit: i32): void {
  let parker = w.parker;
  atomicStore(parker, PARK_DONE | closedBit | (w.caseIndex << PARK_CASE_SHIFT));
  futexWake(parker, 1);
}

// ─── The buffer (guarded by the channel's lock) ───

// @ts-ignore: decorator
@inline function bufferPut(ch: RawChannel, value: u64): void {
  let slot = ch.head + ch.count;
  if (slot >= ch.capacity) slot -= ch.capacity;
  store<u64>(ch.buffer + (<usize>slot << 3), value);
  ch.count++;
}

// @ts-ignore: decorator
@inline function bufferTake(ch: RawChannel): u64 {
  let head = ch.head;
  let value = load<u64>(ch.buffer + (<usize>head << 3));
  ch.head = head + 1 == ch.capacity ? 0 : head + 1;
  ch.count--;
  return value;
}

// ─── Operations on a locked channel (never block; shared with select.ts) ───

/** The value the calling thread's last recvLocked / recvBlocking produced. A Wasm global, so per
 *  processor; read right after the call, with no switch in between, it is the caller's own. */
export let received: u64 = 0;

/** Send with the lock held: OP_DONE (handed to a receiver or buffered), OP_CLOSED, or OP_BLOCK. */
export function sendLocked(ch: RawChannel, value: u64): i32 {
  if (ch.closed) return OP_CLOSED;
  let w = takeWaiter(ch, false);
  if (w) {
    w.value = value;                                        // wake step 3
    completeWaiter(w, 0);
    return OP_DONE;
  }
  if (ch.count < ch.capacity) { bufferPut(ch, value); return OP_DONE; }
  return OP_BLOCK;
}

/** Receive with the lock held: OP_DONE (value in `received`), OP_CLOSED (closed and drained; `received`
 *  is 0), or OP_BLOCK. */
export function recvLocked(ch: RawChannel): i32 {
  if (ch.count > 0) {
    received = bufferTake(ch);
    let w = takeWaiter(ch, true);                           // a full buffer had senders waiting: refill
    if (w) { bufferPut(ch, w.value); completeWaiter(w, 0); }
    return OP_DONE;
  }
  let w = takeWaiter(ch, true);
  if (w) {
    received = w.value;                                     // wake step 3
    completeWaiter(w, 0);
    return OP_DONE;
  }
  received = 0;
  return ch.closed ? OP_CLOSED : OP_BLOCK;
}

/** Close with the lock held: false if already closed. Wakes every waiter with CLOSED. */
function closeLocked(ch: RawChannel): bool {
  if (ch.closed) return false;
  atomicStore(changetype<usize>(ch) + offsetof<RawChannel>("closed"), 1);
  let w = takeWaiter(ch, false);
  while (w) { w.value = 0; completeWaiter(w, PARK_CLOSED); w = takeWaiter(ch, false); }
  w = takeWaiter(ch, true);
  while (w) { completeWaiter(w, PARK_CLOSED); w = takeWaiter(ch, true); }
  return true;
}

// ─── Blocking (the only functions here that can suspend) ───

/** Park protocol, step 4: sleeps until the parker's phase is DONE; returns the final parker word.
 *  Inlined, like the two functions below: every frame between the caller and the switch is unwound and
 *  rewound on each switch (scheduler.ts, "The switch"), so the blocking path keeps the stack shallow. */
// @ts-ignore: decorator
@inline export function park(parker: usize, kind: i32): i32 {
  let word = atomicLoad(parker);
  while ((word & PARK_PHASE) != PARK_DONE) {
    futexWaitFor(parker, word, -1, kind);
    word = atomicLoad(parker);
  }
  return word;
}

/** Park protocol, steps 2-5 for send. Called with the lock held. True if a receiver took the value. */
// @ts-ignore: decorator
@inline function sendBlocking(ch: RawChannel, value: u64): bool {
  let w = waiterAcquire();
  waiterPrepare(w, WAITER_SEND, value);
  queuePush(ch, w);
  unlockChannel(ch);
  let word = park(changetype<usize>(w), WAIT_CHANNEL_SEND);
  waiterRelease(w);
  return (word & PARK_CLOSED) == 0;
}

/** Park protocol, steps 2-5 for recv. Called with the lock held. OP_DONE (value in `received`) or
 *  OP_CLOSED. */
// @ts-ignore: decorator
@inline function recvBlocking(ch: RawChannel): i32 {
  let w = waiterAcquire();
  waiterPrepare(w, 0, 0);
  queuePush(ch, w);
  unlockChannel(ch);
  let word = park(changetype<usize>(w), WAIT_CHANNEL_RECV);
  received = w.value;
  waiterRelease(w);
  return (word & PARK_CLOSED) != 0 ? OP_CLOSED : OP_DONE;
}

// ─── The API ───

/** What a receive produced: reusable, so receiving allocates nothing. */
export class Received<T> {
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
 *  panicking, and close() of a closed channel returns false. */
export class Channel<T> extends RawChannel {
  constructor(capacity: i32 = 0) {
    super(capacity);
  }

  /** Sends `value`, waiting while nobody can take it. True once it is delivered (unbuffered: a receiver
   *  has it; buffered: it is in the buffer); false if the channel is or gets closed (value not sent). */
  send(value: T): bool {
    lockChannel(this);
    let result = sendLocked(this, toBits<T>(value));
    if (result != OP_BLOCK) { unlockChannel(this); return result == OP_DONE; }
    return sendBlocking(this, toBits<T>(value));
  }

  /** Sends only if that needs no waiting. False if it would block or the channel is closed. */
  trySend(value: T): bool {
    lockChannel(this);
    let result = sendLocked(this, toBits<T>(value));
    unlockChannel(this);
    return result == OP_DONE;
  }

  /** Receives a value, waiting until one comes. When the channel is closed and drained, returns T's zero
   *  value at once; use recvInto to tell that apart from a zero that was sent. */
  recv(): T {
    lockChannel(this);
    let result = recvLocked(this);
    if (result == OP_BLOCK) recvBlocking(this);
    else unlockChannel(this);
    return fromBits<T>(received);
  }

  /** Receives like recv into `out`. Returns out.ok: false when the channel is closed and drained. */
  recvInto(out: Received<T>): bool {
    lockChannel(this);
    let result = recvLocked(this);
    if (result == OP_BLOCK) result = recvBlocking(this);
    else unlockChannel(this);
    return setReceived<T>(out, result);
  }

  /** Receives only if a value is ready. Returns out.ok; out.closed says the channel is closed and drained
   *  (both false: it would have to wait). */
  tryRecv(out: Received<T>): bool {
    lockChannel(this);
    let result = recvLocked(this);
    unlockChannel(this);
    return setReceived<T>(out, result);
  }

  /** Closes the channel: blocked senders return false, blocked receivers get closed; receivers drain the
   *  buffer first. False if it was already closed. */
  close(): bool {
    lockChannel(this);
    let closed = closeLocked(this);
    unlockChannel(this);
    return closed;
  }

  /** Values in the buffer (a snapshot). Always 0 for an unbuffered channel. */
  len(): i32 { return this.count; }

  /** Slots in the buffer: 0 for an unbuffered channel. */
  cap(): i32 { return this.capacity; }

  /** True once close() was called (a snapshot; a closed channel may still hold values). */
  isClosed(): bool { return atomicLoad(changetype<usize>(this) + offsetof<RawChannel>("closed")) != 0; }
}

// @ts-ignore: decorator
@inline function setReceived<T>(out: Received<T>, result: i32): bool {
  out.value = fromBits<T>(received);
  out.ok = result == OP_DONE;
  out.closed = result == OP_CLOSED;
  return out.ok;
}
