// Select: wait on several channel operations at once and perform exactly one of them.
//
// Design note
// -----------
// Problem: AssemblyScript has no closures, so Go's `select { case v := <-a: ...; case b <- x: ... }` has
// to become data: a Select holds a list of cases (channel, direction, value) and wait() returns the index
// of the case that fired, or poll() returns -1 where Go would take the default case. A blocked select sits
// in the queue of every channel it names; the first channel to become ready must fire it, and the others
// must not (they may become ready at the same moment on another processor, M:N).
//
// Rejected: waiting on each channel's word in turn (blocks on one channel while another becomes ready);
// a sequence word per channel that a select polls after every change (wakes every select on every send,
// and needs the re-check to be atomic with the sleep over several words, which a futex cannot do).
// Chosen (Go's selectgo): one Waiter per case, all pointing at the Select's own parker word (`state`).
// Every waker claims the parker with a CAS before completing a case (channel.ts, wake protocol), so only
// one case fires; waiters of the other cases are dropped by wakers that lose the CAS, or taken out of
// their queues by the select itself when it wakes.
//
// Lock order: a blocking wait() holds the locks of all its channels at once while it checks them and
// enqueues (Go's sellock). That is what makes "nothing ready" and "enqueued everywhere" one atomic step:
// while the select holds them, nobody can claim its parker, so when a case is ready it can complete it
// without first claiming its own parker (no claim to undo). Locks are taken in ascending address order,
// each distinct channel once, so two selects (or a select and a single operation, which holds one lock)
// cannot deadlock.
//
// Wait protocol (Select.wait):
//   1. Lock every channel (ascending address).
//   2. Scan the cases, starting one case later than the previous wait (round-robin fairness): the first
//      case whose operation can complete now (sendLocked / recvLocked, which claim and complete a
//      counterpart if there is one) fires: unlock all and return its index.
//   3. None ready: store WAITING in `state`, append every case's waiter to its channel's queue.
//   4. Unlock all. Ordering: after step 3, so every waker that changes one of the channels finds the
//      waiter (no lost wake-up), and before step 5, since nothing may suspend holding a channel lock.
//   5. park(state, WAIT_SELECT) (channel.ts, park protocol step 4): sleeps until a waker stored DONE with
//      the case index (and CLOSED if the case fired because its channel closed).
//   6. For every other case: lock its channel, take the waiter out if it is still queued, unlock. Only
//      then may the Select be reused: no queue still refers to its waiters.
//   7. Return the fired case's index; a receive case's value is in its waiter.
// Poll protocol (Select.poll): step 2 with one channel locked at a time (nothing is enqueued, so there is
// nothing to make atomic); -1 when no case is ready.
//
// Fairness: among cases that stay ready, each fires at least once in any `size` consecutive waits (the
// scan start rotates). Go picks a random order; rotation gives the same guarantee deterministically.
// Closed channels: a receive case on a closed, drained channel is ready and fires with closed() true (as
// in Go); a send case on a closed channel also fires with closed() true, its value not sent (Go panics).
//
// ╒═══════ Select = SelectState (wasm32 offsets) ═══════════════════╕
//   0 │ state     i32    parker word of every case's waiter; atomic │
//   4 │ size      i32    number of cases; owner only                │
//   8 │ capacity  i32    cases `waiters` has room for; owner only   │
//  12 │ rotation  i32    case the next scan starts at; owner only   │
//  16 │ fired     i32    case that fired last, -1 none; owner only  │
//  20 │ waiters   usize  capacity × Waiter (CASE_STRIDE bytes each) │
//  24 │ order     usize  capacity × distinct channels, ascending;   │
//     │                  the cases block (an object) starts here    │
//  28 │ lockCount i32    entries of `order` in use, -1 = stale      │
//  32 │ firedClosed bool the fired case fired on a closed channel   │
// ╘═════════════════════════════════════════════════════════════════╛
// Memory: a Select is an object, and its cases one more (`order`, then the waiters), which the collector
// frees once nothing refers to the Select; its __visit marks what each case's value points at and each
// case's channel, so the cases keep their channels alive until clear(). The functions here take it as a
// SelectState, an @unmanaged record of its fields, for the reason channel.ts gives under "Cost".
// "Owner only": a Select is used by one thread at a time. The waiters themselves follow channel.ts's
// access rules (queue links and QUEUED under the channel's lock, `value` by the claimer).

import {
  RawChannel, Channel, Waiter, WAITER_SIZE, WaiterFlag, Parker, Op, received, sendLocked, recvLocked, lockChannel,
  unlockChannel, queuePush, queueRemove, park, parkerReset, toBits, fromBits,
} from "./channel";
import { shadeBits } from "./waiter";
import { WAIT_SELECT } from "../core/futex";
import { gcShade, gcMarkMaybe } from "../runtime/gc";

// @ts-ignore: decorator
@inline const NOT_FIRED: i32 = -1;

// ─── Case list ───

/** Bytes a case's waiter takes in the cases block: WAITER_SIZE, rounded up to keep `value` 8-aligned. */
// @ts-ignore: decorator
@inline const CASE_STRIDE: usize = 48;

/** A Select's fields (the drawing), as the functions here see them: a record in the Select object. */
@unmanaged class SelectState {
  state: i32;
  size: i32;
  capacity: i32;
  rotation: i32;
  fired: i32;
  waiters: usize;
  order: usize;
  lockCount: i32;
  firedClosed: bool;
}

// The drawing above is the truth: the build fails if a field moves.
if (ASC_TARGET == 1 && (offsetof<SelectState>("state") != 0 || offsetof<SelectState>("waiters") != 20 ||
    offsetof<SelectState>("lockCount") != 28 || offsetof<SelectState>("firedClosed") != 32 ||
    CASE_STRIDE < WAITER_SIZE || (CASE_STRIDE & 7) != 0)) {
  ERROR("select.ts: SelectState no longer matches its drawing");
}

// @ts-ignore: decorator
@inline function waiterAt(s: SelectState, i: i32): Waiter {
  return changetype<Waiter>(s.waiters + <usize>i * CASE_STRIDE);
}

// @ts-ignore: decorator
@inline function channelOf(w: Waiter): RawChannel { return changetype<RawChannel>(w.channel); }

/** Doubles the cases block (lock order, then the waiters), copying the cases there are: none is queued
 *  while cases are added, and each names its parker by the Select's address, which does not move. */
function grow(s: SelectState): void {
  let capacity = s.capacity == 0 ? 4 : s.capacity << 1;
  let orderBytes = <usize>capacity << alignof<usize>();
  let bytes = orderBytes + <usize>capacity * CASE_STRIDE;
  let block = __new(bytes, idof<ArrayBuffer>());
  memory.fill(block, 0, bytes);
  if (s.capacity) memory.copy(block + orderBytes, s.waiters, <usize>s.capacity * CASE_STRIDE);
  s.order = block;
  s.waiters = block + orderBytes;
  s.capacity = capacity;
  gcShade(block);                           // a store the compiler does not see (runtime/gc.ts)
}

/** Adds a case; returns its index. */
function addCase(s: SelectState, ch: RawChannel, flags: i32, value: u64): i32 {
  let i = s.size;
  if (i == s.capacity) grow(s);
  let w = waiterAt(s, i);
  w.state = Parker.WAITING;                                 // unused: select waiters park on s.state
  w.parker = changetype<usize>(s) + offsetof<SelectState>("state");
  w.next = 0;
  w.prev = 0;
  gcShade(changetype<usize>(ch));                           // kept by the case (Select.__visit)
  w.channel = changetype<usize>(ch);
  w.caseIndex = i;
  w.flags = flags;
  shadeBits(value);
  w.value = value;
  s.size = i + 1;
  s.lockCount = -1;
  return i;
}

// ─── Locking every channel (wait protocol, steps 1 and 4) ───

/** Recomputes `order`: the distinct channels of the cases, ascending (insertion sort; selects are small). */
function computeLockOrder(s: SelectState): void {
  let order = s.order;
  let count = 0;
  for (let i = 0; i < s.size; i++) {
    let ch = waiterAt(s, i).channel;
    let j = count;
    while (j > 0 && load<usize>(order + (<usize>(j - 1) << alignof<usize>())) > ch) j--;
    if (j > 0 && load<usize>(order + (<usize>(j - 1) << alignof<usize>())) == ch) continue;   // duplicate
    memory.copy(order + (<usize>(j + 1) << alignof<usize>()), order + (<usize>j << alignof<usize>()),
      <usize>(count - j) << alignof<usize>());
    store<usize>(order + (<usize>j << alignof<usize>()), ch);
    count++;
  }
  s.lockCount = count;
}

function lockAll(s: SelectState): void {
  if (s.lockCount < 0) computeLockOrder(s);
  for (let i = 0; i < s.lockCount; i++) {
    lockChannel(changetype<RawChannel>(load<usize>(s.order + (<usize>i << alignof<usize>()))));
  }
}

function unlockAll(s: SelectState): void {
  for (let i = s.lockCount - 1; i >= 0; i--) {
    unlockChannel(changetype<RawChannel>(load<usize>(s.order + (<usize>i << alignof<usize>()))));
  }
}

// ─── Firing ───

/** Tries case `w` on its locked channel: Op.DONE / Op.CLOSED (fired) or Op.BLOCK. A receive's value goes
 *  to the waiter. */
function attemptLocked(w: Waiter): i32 {
  let ch = channelOf(w);
  if (w.flags & WaiterFlag.SEND) return sendLocked(ch, w.value);
  let result = recvLocked(ch);
  if (result != Op.BLOCK) { shadeBits(received); w.value = received; }
  return result;
}

/** Records that case `i` fired and returns i. */
function fire(s: SelectState, i: i32, closed: bool): i32 {
  s.fired = i;
  s.firedClosed = closed;
  return i;
}

/** The first case to scan, rotating (see Fairness). */
function nextStart(s: SelectState): i32 {
  let start = s.rotation;
  if (start >= s.size) start = 0;
  s.rotation = start + 1;
  return start;
}

/** Wait protocol, steps 3-7. Called with every channel locked. */
function waitBlocking(s: SelectState): i32 {
  let parker = changetype<usize>(s) + offsetof<SelectState>("state");
  let n = s.size;
  parkerReset(parker);                                                      // 3
  for (let i = 0; i < n; i++) {
    let w = waiterAt(s, i);
    queuePush(channelOf(w), w);
  }
  unlockAll(s);                                                             // 4
  let word = park(parker, WAIT_SELECT);                                     // 5
  let firedCase = word >>> Parker.CASE_SHIFT;
  for (let i = 0; i < n; i++) {                                             // 6
    if (i == firedCase) continue;
    let w = waiterAt(s, i);
    let ch = channelOf(w);
    lockChannel(ch);
    queueRemove(ch, w);
    unlockChannel(ch);
  }
  return fire(s, firedCase, (word & Parker.CLOSED) != 0);                   // 7
}

// ─── The API ───

/** A set of channel operations to wait on together. Build it once (recv / send return case indices),
 *  then call wait() or poll() as often as needed; setSend changes a send case's value between calls. A
 *  Select belongs to one thread at a time. Garbage once nothing refers to it. */
@final export class Select {
  // No fields of its own: the object holds a SelectState.
  constructor() {
    let s = changetype<SelectState>(__new(offsetof<SelectState>(), idof<Select>()));
    memory.fill(changetype<usize>(s), 0, offsetof<SelectState>());
    s.fired = NOT_FIRED;
    s.lockCount = -1;
    return changetype<Select>(s);
  }

  /** Adds a case receiving from `ch`; returns its index. */
  recv<T>(ch: Channel<T>): i32 {
    return addCase(changetype<SelectState>(this), changetype<RawChannel>(ch), 0, 0);
  }

  /** Adds a case sending `value` on `ch`; returns its index. */
  send<T>(ch: Channel<T>, value: T): i32 {
    return addCase(changetype<SelectState>(this), changetype<RawChannel>(ch), WaiterFlag.SEND, toBits<T>(value));
  }

  /** Changes the value send case `index` sends on the next wait or poll. */
  setSend<T>(index: i32, value: T): void {
    let s = changetype<SelectState>(this);
    if (<u32>index >= <u32>s.size || (waiterAt(s, index).flags & WaiterFlag.SEND) == 0) badCase(index);
    shadeBits(toBits<T>(value));
    waiterAt(s, index).value = toBits<T>(value);
  }

  /** Removes every case (their records are kept for the next ones). */
  clear(): void {
    let s = changetype<SelectState>(this);
    for (let i = 0; i < s.size; i++) {                      // nothing kept alive by old cases
      let w = waiterAt(s, i);
      w.value = 0;
      w.channel = 0;
    }
    s.size = 0;
    s.rotation = 0;
    s.fired = NOT_FIRED;
    s.lockCount = -1;
  }

  /** Performs one ready case, waiting until one is; returns its index. With no cases it waits forever
   *  (as Go's empty select does: a deadlock report names the select). */
  wait(): i32 {
    let s = changetype<SelectState>(this);
    if (s.size == 0) {
      parkerReset(changetype<usize>(s) + offsetof<SelectState>("state"));
      park(changetype<usize>(s) + offsetof<SelectState>("state"), WAIT_SELECT);
      return NOT_FIRED;
    }
    let start = nextStart(s);
    lockAll(s);                                                             // 1
    let i = start;
    for (let k = 0; k < s.size; k++) {                                      // 2
      let result = attemptLocked(waiterAt(s, i));
      if (result != Op.BLOCK) { unlockAll(s); return fire(s, i, result == Op.CLOSED); }
      if (++i == s.size) i = 0;
    }
    return waitBlocking(s);
  }

  /** Performs one ready case if there is one and returns its index; -1 (Go's default case) if none is
   *  ready. Never waits. */
  poll(): i32 {
    let s = changetype<SelectState>(this);
    if (s.size == 0) return NOT_FIRED;
    let i = nextStart(s);
    for (let k = 0; k < s.size; k++) {
      let w = waiterAt(s, i);
      let ch = channelOf(w);
      lockChannel(ch);
      let result = attemptLocked(w);
      unlockChannel(ch);
      if (result != Op.BLOCK) return fire(s, i, result == Op.CLOSED);
      if (++i == s.size) i = 0;
    }
    s.fired = NOT_FIRED;
    return NOT_FIRED;
  }

  /** The case that fired on the last wait or poll, -1 if none. */
  lastFired(): i32 { return changetype<SelectState>(this).fired; }

  /** True if the last case fired because its channel is closed: a receive got no value, or a send's
   *  value was not sent. */
  closed(): bool {
    let s = changetype<SelectState>(this);
    return s.fired != NOT_FIRED && s.firedClosed;
  }

  /** The value the last fired receive case got (T's zero value if closed). T must be the channel's. */
  value<T>(): T {
    let s = changetype<SelectState>(this);
    if (s.fired == NOT_FIRED || (waiterAt(s, s.fired).flags & WaiterFlag.SEND) != 0) return fromBits<T>(0);
    return fromBits<T>(waiterAt(s, s.fired).value);
  }

  /** The collector's visit: the cases block, and each case's value and channel. Every case the block has
   *  room for (clear() zeroes those it leaves, and the rest were never set), counted from the block's
   *  own size: marking may run while the owner grows the block, and each word is only marked if it
   *  points at an object. */
  // @ts-ignore: decorator
  @unsafe private __visit(cookie: u32): void {
    let block = changetype<SelectState>(this).order;
    if (block == 0) return;
    __visit(block, cookie);
    let capacity = <usize>changetype<ArrayBuffer>(block).byteLength / (sizeof<usize>() + CASE_STRIDE);
    let w = block + (capacity << alignof<usize>()), end = w + capacity * CASE_STRIDE;
    for (; w < end; w += CASE_STRIDE) {
      let value = changetype<Waiter>(w).value;
      if ((value >> 32) == 0) gcMarkMaybe(<usize>value);        // bits of any T
      gcMarkMaybe(changetype<Waiter>(w).channel);
    }
  }
}

function badCase(index: i32): void {
  abort("Select.setSend: case " + index.toString() + " is not a send case");
}
