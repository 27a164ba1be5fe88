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
// ╒════════════ Select (the object; wasm32 offsets) ════════════╕
//   0 │ state     i32    parker word of every case's waiter; atomic │
//   4 │ size      i32    number of cases; owner only                │
//   8 │ capacity  i32    slots in `waiters`; owner only             │
//  12 │ rotation  i32    case the next scan starts at; owner only   │
//  16 │ fired     i32    case that fired last, -1 none; owner only  │
//  20 │ waiters   usize  capacity × Waiter pointer; owner only      │
//  24 │ order     usize  capacity × distinct channels, ascending    │
//  28 │ lockCount i32    entries of `order` in use, -1 = stale      │
//  32 │ firedClosed bool the fired case fired on a closed channel   │
// ╘══════════════════════════════════════════════════════════════╛
// A Select is @unmanaged for the reason channel.ts gives under "Cost", and never freed; build it once and
// reuse it. Its cases keep their channels alive until clear() (lib/waiter.ts, markWaiterValues).
// "Owner only": a Select is used by one thread at a time. The waiters themselves follow channel.ts's
// access rules (queue links and QUEUED under the channel's lock, `value` by the claimer).

import {
  RawChannel, Channel, Waiter, WAITER_SIZE, WaiterFlag, Parker, Op, received, sendLocked, recvLocked, lockChannel,
  unlockChannel, queuePush, queueRemove, park, parkerReset, toBits, fromBits,
} from "./channel";
import { waiterRegister, shadeBits } from "./waiter";
import { WAIT_SELECT } from "../core/futex";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { gcShade } from "../runtime/gc";

// @ts-ignore: decorator
@inline const NOT_FIRED: i32 = -1;

// ─── Case list ───

// The drawing above is the truth: the build fails if a field moves.
if (ASC_TARGET == 1 && (offsetof<Select>("state") != 0 || offsetof<Select>("waiters") != 20 ||
    offsetof<Select>("lockCount") != 28 || offsetof<Select>("firedClosed") != 32)) {
  ERROR("select.ts: Select no longer matches its drawing");
}

// @ts-ignore: decorator
@inline function waiterAt(s: Select, i: i32): Waiter {
  return changetype<Waiter>(load<usize>(s.waiters + (<usize>i << alignof<usize>())));
}

// @ts-ignore: decorator
@inline function channelOf(w: Waiter): RawChannel { return changetype<RawChannel>(w.channel); }

/** Doubles the case arrays (waiter pointers and lock order); keeps the waiters already allocated. */
function grow(s: Select): void {
  let capacity = s.capacity == 0 ? 4 : s.capacity << 1;
  let bytes = <usize>capacity << alignof<usize>();
  let waiters = heapTryAlloc(bytes);
  let order = heapTryAlloc(bytes);
  if (waiters == 0 || order == 0) abort("Select.recv/send: no memory for " + capacity.toString() + " cases");
  memory.fill(waiters, 0, bytes);
  if (s.waiters) {
    memory.copy(waiters, s.waiters, <usize>s.capacity << alignof<usize>());
    heapFree(s.waiters);
    heapFree(s.order);
  }
  s.waiters = waiters;
  s.order = order;
  s.capacity = capacity;
}

/** Adds a case; returns its index. */
function addCase(s: Select, ch: RawChannel, flags: i32, value: u64): i32 {
  let i = s.size;
  if (i == s.capacity) grow(s);
  let slot = s.waiters + (<usize>i << alignof<usize>());
  let wp = load<usize>(slot);
  if (wp == 0) {
    wp = heapTryAlloc(WAITER_SIZE);
    if (wp == 0) abort("Select.recv/send: no memory for a case record");
    waiterRegister(changetype<Waiter>(wp));
    store<usize>(slot, wp);
  }
  let w = changetype<Waiter>(wp);
  w.state = Parker.WAITING;                                 // unused: select waiters park on s.state
  w.parker = changetype<usize>(s) + offsetof<Select>("state");
  w.next = 0;
  w.prev = 0;
  gcShade(changetype<usize>(ch));                            // kept by the waiter (waiter.ts, markWaiterValues)
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
function computeLockOrder(s: Select): void {
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

function lockAll(s: Select): void {
  if (s.lockCount < 0) computeLockOrder(s);
  for (let i = 0; i < s.lockCount; i++) {
    lockChannel(changetype<RawChannel>(load<usize>(s.order + (<usize>i << alignof<usize>()))));
  }
}

function unlockAll(s: Select): void {
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
function fire(s: Select, i: i32, closed: bool): i32 {
  s.fired = i;
  s.firedClosed = closed;
  return i;
}

/** The first case to scan, rotating (see Fairness). */
function nextStart(s: Select): i32 {
  let start = s.rotation;
  if (start >= s.size) start = 0;
  s.rotation = start + 1;
  return start;
}

/** Wait protocol, steps 3-7. Called with every channel locked. */
function waitBlocking(s: Select): i32 {
  let parker = changetype<usize>(s) + offsetof<Select>("state");
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
 *  Select belongs to one thread at a time. The fields are the drawing's, public only for this file's
 *  functions: use the methods. */
@unmanaged export class Select {
  state: i32 = Parker.WAITING;
  size: i32 = 0;
  capacity: i32 = 0;
  rotation: i32 = 0;
  fired: i32 = NOT_FIRED;
  waiters: usize = 0;
  order: usize = 0;
  lockCount: i32 = -1;
  firedClosed: bool = false;

  /** Adds a case receiving from `ch`; returns its index. */
  recv<T>(ch: Channel<T>): i32 {
    return addCase(this, changetype<RawChannel>(ch), 0, 0);
  }

  /** Adds a case sending `value` on `ch`; returns its index. */
  send<T>(ch: Channel<T>, value: T): i32 {
    return addCase(this, changetype<RawChannel>(ch), WaiterFlag.SEND, toBits<T>(value));
  }

  /** Changes the value send case `index` sends on the next wait or poll. */
  setSend<T>(index: i32, value: T): void {
    if (<u32>index >= <u32>this.size || (waiterAt(this, index).flags & WaiterFlag.SEND) == 0) {
      abort("Select.setSend: case " + index.toString() + " is not a send case");
    }
    shadeBits(toBits<T>(value));
    waiterAt(this, index).value = toBits<T>(value);
  }

  /** Removes every case (their records are kept for the next ones). */
  clear(): void {
    for (let i = 0; i < this.size; i++) {                   // nothing kept alive by old cases
      let w = waiterAt(this, i);
      w.value = 0;
      w.channel = 0;
    }
    this.size = 0;
    this.rotation = 0;
    this.fired = NOT_FIRED;
    this.lockCount = -1;
  }

  /** Performs one ready case, waiting until one is; returns its index. With no cases it waits forever
   *  (as Go's empty select does: a deadlock report names the select). */
  wait(): i32 {
    if (this.size == 0) {
      parkerReset(changetype<usize>(this) + offsetof<Select>("state"));
      park(changetype<usize>(this) + offsetof<Select>("state"), WAIT_SELECT);
      return NOT_FIRED;
    }
    let start = nextStart(this);
    lockAll(this);                                                          // 1
    let i = start;
    for (let k = 0; k < this.size; k++) {                                   // 2
      let result = attemptLocked(waiterAt(this, i));
      if (result != Op.BLOCK) { unlockAll(this); return fire(this, i, result == Op.CLOSED); }
      if (++i == this.size) i = 0;
    }
    return waitBlocking(this);
  }

  /** Performs one ready case if there is one and returns its index; -1 (Go's default case) if none is
   *  ready. Never waits. */
  poll(): i32 {
    if (this.size == 0) return NOT_FIRED;
    let i = nextStart(this);
    for (let k = 0; k < this.size; k++) {
      let w = waiterAt(this, i);
      let ch = channelOf(w);
      lockChannel(ch);
      let result = attemptLocked(w);
      unlockChannel(ch);
      if (result != Op.BLOCK) return fire(this, i, result == Op.CLOSED);
      if (++i == this.size) i = 0;
    }
    this.fired = NOT_FIRED;
    return NOT_FIRED;
  }

  /** The case that fired on the last wait or poll, -1 if none. */
  lastFired(): i32 { return this.fired; }

  /** True if the last case fired because its channel is closed: a receive got no value, or a send's
   *  value was not sent. */
  closed(): bool { return this.fired != NOT_FIRED && this.firedClosed; }

  /** The value the last fired receive case got (T's zero value if closed). T must be the channel's. */
  value<T>(): T {
    if (this.fired == NOT_FIRED || (waiterAt(this, this.fired).flags & WaiterFlag.SEND) != 0) return fromBits<T>(0);
    return fromBits<T>(waiterAt(this, this.fired).value);
  }
}
