// Run queues: one per processor, each a FIFO per priority level and a bit mask of the non-empty levels,
// so picking the next thread is a count-leading-zeros and a pointer chase. Higher levels run first;
// within a level, threads run round robin. Threads link through Thread.next (intrusive: no allocation).
//
// 1:1: a thread is pinned to its own processor; its queue holds only it, and nobody steals.
//
// Work stealing (M:N). A thread made runnable goes on the queue of the processor that made it runnable
// (it ran there, or its waker did: its data is likely in that processor's cache). A processor takes from
// its own queue first; when that is empty it steals half of the fullest other queue (STEAL_MAX at most),
// runs the first and keeps the rest. Priorities are strict within a queue only: two processors may run
// threads of different priorities at once.
//
// Access rule: each queue has its own spin lock (nothing in N:1, where the one queue is processor 0's).
// A processor pushes onto and pops from its own queue under that lock alone, so the hot path of the
// scheduler touches no line another processor writes, except when a thief takes from it. Lock order: the
// scheduler lock (processor.ts), then a queue lock; nothing holding a queue lock takes another lock.
// `count` is written under the lock and read without it, as a hint, by thieves and spinning processors
// (a processor about to sleep reads it under the lock): there is no total across queues, which every
// push and pop would have to bounce between the processors' caches.
//
// ╒═══ a queue (QUEUE_BYTES, static, a cache line pair of its own; processor i's at QUEUES + i × QUEUE_BYTES) ═══╕
//      0 │ mask   u32    bit k set: level k is not empty
//      4 │ count  i32    threads in this queue (written under the lock; a hint without it)
//      8 │ lock   i32    0 free, 1 held
//  16+8k │ head   usize  first thread of level k, 0 = empty
//  20+8k │ tail   usize  last thread of level k
// ╘═════════════════════════════════════════════════════════════════════════════════╛

import { Thread, PRIORITY_LEVELS } from "./layout";
import { SHARED_MEMORY } from "./atomics";
import { processorIndex, processors, isOneToOne, PROCESSORS_MAX, schedLockTake, schedLockDrop, spinLockContended, spinLockDrop, wakeIdleProcessor } from "./processor";
import { groupVirtualTime, threadVirtualTime } from "./preempt";
import { seeded, seedChoose } from "./seed";

// @ts-ignore: decorator
@inline const QUEUE_BYTES: usize = 128;
// @ts-ignore: decorator
@inline const LEVELS_AT: usize = 16;
/** The most threads one steal takes (half the victim's queue, up to this): a thief that takes one at a
 *  time comes back for every thread, and each visit moves the victim's lock line between the caches
 *  (skynet on 2 processors: ~300,000 steals of one). 64 bounds how long the victim's lock is held. Not
 *  configurable. */
// @ts-ignore: decorator
@inline const STEAL_MAX: i32 = 64;
// @ts-ignore: decorator
@lazy const QUEUES: usize = memory.data(<i32>QUEUE_BYTES * (SHARED_MEMORY ? PROCESSORS_MAX : 1), 128);

if (ASC_TARGET == 1 && LEVELS_AT + PRIORITY_LEVELS * 8 > QUEUE_BYTES) ERROR("runqueue.ts: a queue outgrew QUEUE_BYTES");

// @ts-ignore: decorator
@inline function queueAt(index: i32): usize { return QUEUES + <usize>index * QUEUE_BYTES; }

// @ts-ignore: decorator
@inline function lockQueue(queue: usize): void {
  if (SHARED_MEMORY && atomic.cmpxchg<i32>(queue + 8, 0, 1) != 0) spinLockContended(queue + 8);
}

// @ts-ignore: decorator
@inline function unlockQueue(queue: usize): void {
  if (SHARED_MEMORY) spinLockDrop(queue + 8);
}

// @ts-ignore: decorator
@inline function countOf(queue: usize): i32 {
  return SHARED_MEMORY ? atomic.load<i32>(queue, 4) : load<i32>(queue, 4);
}

/** With the queue's lock held. A plain store: the lock's release publishes it to whoever takes the lock
 *  next, and readers without the lock use it only as a hint (an aligned word does not tear), so the
 *  push and the pop pay no extra locked instruction. */
// @ts-ignore: decorator
@inline function setCount(queue: usize, count: i32): void {
  store<i32>(queue, count, 4);
}

/** The calling processor's queue. */
// @ts-ignore: decorator
@inline function ownQueue(): usize {
  return SHARED_MEMORY ? queueAt(processorIndex) : QUEUES;
}

/** The queue a runnable `t` goes on: its own processor's if it is pinned (1:1), else the caller's. */
// @ts-ignore: decorator
@inline function queueFor(t: Thread): usize {
  return SHARED_MEMORY && t.pinned != 0 ? queueAt(t.pinned - 1) : ownQueue();
}

/** Appends `t` to the tail of its priority level in the calling processor's queue (1:1: in its own
 *  processor's). */
// @ts-ignore: decorator
@inline export function runQueuePush(t: Thread): void {
  let queue = queueFor(t);
  lockQueue(queue);
  pushOnto(queue, t);
  unlockQueue(queue);
}

/** Puts `t` at the head of its priority level in the calling processor's queue (a sleeper woken by a
 *  tick: it runs before the threads that kept it waiting). */
export function runQueuePushFront(t: Thread): void {
  let queue = queueFor(t);
  lockQueue(queue);
  let q = queue + LEVELS_AT + (<usize>t.priority << 3);
  let head = load<usize>(q);
  t.next = head;
  store<usize>(q, changetype<usize>(t));
  if (head == 0) store<usize>(q, changetype<usize>(t), 4);
  store<u32>(queue, load<u32>(queue) | 1 << <u32>t.priority);
  setCount(queue, load<i32>(queue, 4) + 1);
  unlockQueue(queue);
}

/** Appends `t` to processor `index`'s queue (M:N: a thread sent to another processor). */
export function runQueuePushTo(index: i32, t: Thread): void {
  let queue = queueAt(index);
  lockQueue(queue);
  pushOnto(queue, t);
  unlockQueue(queue);
}

/** With `queue`'s lock held: appends `t` to its level. */
// @ts-ignore: decorator
@inline function pushOnto(queue: usize, t: Thread): void {
  let q = queue + LEVELS_AT + (<usize>t.priority << 3);
  t.next = 0;
  let tail = load<usize>(q, 4);
  if (tail) changetype<Thread>(tail).next = changetype<usize>(t);
  else store<usize>(q, changetype<usize>(t));
  store<usize>(q, changetype<usize>(t), 4);
  store<u32>(queue, load<u32>(queue) | 1 << <u32>t.priority);
  setCount(queue, load<i32>(queue, 4) + 1);
}

/** With `queue`'s lock held: takes the first thread of its highest non-empty level, or returns 0. */
// @ts-ignore: decorator
@inline function popFrom(queue: usize): usize {
  let mask = load<u32>(queue);
  if (mask == 0) return 0;
  let level = 31 - clz<u32>(mask);
  let q = queue + LEVELS_AT + (<usize>level << 3);
  let t = load<usize>(q);
  let next = changetype<Thread>(t).next;
  store<usize>(q, next);
  if (next == 0) {
    store<usize>(q, 0, 4);
    store<u32>(queue, mask & ~(1 << level));
  }
  setCount(queue, load<i32>(queue, 4) - 1);
  return t;
}

/** Locks `queue` and pops from it; 0 if it is empty. Looks at the count first, without the lock, so
 *  that an empty queue costs no write. */
// @ts-ignore: decorator
@inline function popLocked(queue: usize): usize {
  if (countOf(queue) == 0) return 0;
  lockQueue(queue);
  let t = popFrom(queue);
  unlockQueue(queue);
  return t;
}

/** The next thread for the calling processor: from its own queue, else stolen from the fullest other
 *  queue (M:N). 0 when no thread is runnable anywhere. */
// @ts-ignore: decorator
@inline export function runQueuePop(): usize {
  if (!SHARED_MEMORY && seeded) return popSeeded();
  let t = popLocked(ownQueue());
  if (SHARED_MEMORY && t == 0 && !isOneToOne()) t = steal();
  return t;
}

/** A seeded run (seed.ts; N:1, one queue): takes the thread seedChoose picks among the highest non-empty
 *  level, wherever it is in the level's list. Linear in the level's length. */
function popSeeded(): usize {
  let queue = QUEUES;
  let mask = load<u32>(queue);
  if (mask == 0) return 0;
  let level = 31 - clz<u32>(mask);
  let q = queue + LEVELS_AT + (<usize>level << 3);
  let t = seedChoose(load<usize>(q));
  let prev: usize = 0;
  for (let p = load<usize>(q); p != t; p = changetype<Thread>(p).next) prev = p;
  let next = changetype<Thread>(t).next;
  if (prev) changetype<Thread>(prev).next = next; else store<usize>(q, next);
  if (next == 0) store<usize>(q, prev, 4);
  if (load<usize>(q) == 0) store<u32>(queue, mask & ~(1 << <u32>level));
  setCount(queue, load<i32>(queue, 4) - 1);
  changetype<Thread>(t).next = 0;
  return t;
}

/** Takes half the threads of the fullest other queue (at most STEAL_MAX), oldest and highest first:
 *  returns the first to run and queues the rest on the caller's own queue. Looks again if a thief (or
 *  the owner) emptied the queue first, until every queue reads empty. The victim's lock is dropped
 *  before the caller's is taken: no processor holds two queue locks. */
function steal(): usize {
  while (true) {
    let victim: usize = 0, most = 0;
    for (let i = 0, n = processors(); i < n; i++) {
      let queue = queueAt(i);
      let count = countOf(queue);
      if (count > most) { most = count; victim = queue; }
    }
    if (victim == 0) return 0;
    lockQueue(victim);
    let first = popFrom(victim);
    if (first == 0) { unlockQueue(victim); continue; }
    let take = min<i32>((load<i32>(victim, 4) + 2) >> 1, STEAL_MAX) - 1;
    let head: usize = 0, tail: usize = 0;
    for (let i = 0; i < take; i++) {
      let t = popFrom(victim);
      if (t == 0) break;
      changetype<Thread>(t).next = 0;
      if (tail) changetype<Thread>(tail).next = t; else head = t;
      tail = t;
    }
    unlockQueue(victim);
    if (head != 0) {
      let own = ownQueue();
      lockQueue(own);
      while (head != 0) {
        let next = changetype<Thread>(head).next;
        pushOnto(own, changetype<Thread>(head));
        head = next;
      }
      unlockQueue(own);
      wakeIdleProcessor(0);                   // they were in no queue for a moment: a sleeper may take some
    }
    return first;
  }
}

/** Whether the caller could find a thread to run: one in its own queue, or (M:N) in any queue. `exact`:
 *  each count is read under its queue's lock, which orders the read after every push whose unlock came
 *  before (the sleeper's last look, processor.ts "Idle processors"); otherwise a hint (spinning). */
export function runQueueWorkFor(exact: bool): bool {
  if (queueHasWork(ownQueue(), exact)) return true;
  if (!SHARED_MEMORY || isOneToOne()) return false;
  for (let i = 0, n = processors(); i < n; i++) if (queueHasWork(queueAt(i), exact)) return true;
  return false;
}

// @ts-ignore: decorator
@inline function queueHasWork(queue: usize, exact: bool): bool {
  if (!exact) return countOf(queue) > 0;
  lockQueue(queue);
  let count = load<i32>(queue, 4);
  unlockQueue(queue);
  return count > 0;
}

/** Takes `t` out of whichever queue holds it (a thread whose priority changes while runnable). False
 *  if no queue holds it: a processor popped it meanwhile (it runs). Linear in the queues' lengths: only
 *  rare paths use it. */
export function runQueueRemove(t: Thread): bool {
  let queues = SHARED_MEMORY ? processors() : 1;
  for (let i = 0; i < queues; i++) {
    let queue = queueAt(i);
    lockQueue(queue);
    let q = queue + LEVELS_AT + (<usize>t.priority << 3);
    let prev: usize = 0, p = load<usize>(q);
    while (p != 0 && p != changetype<usize>(t)) { prev = p; p = changetype<Thread>(p).next; }
    if (p == 0) { unlockQueue(queue); continue; }
    let next = t.next;
    if (prev) changetype<Thread>(prev).next = next; else store<usize>(q, next);
    if (next == 0) store<usize>(q, prev, 4);
    if (load<usize>(q) == 0) store<u32>(queue, load<u32>(queue) & ~(1 << <u32>t.priority));
    setCount(queue, load<i32>(queue, 4) - 1);
    t.next = 0;
    unlockQueue(queue);
    return true;
  }
  return false;
}

/** True when no thread is runnable on any processor (a snapshot: read without the locks). */
export function runQueueEmpty(): bool { return runQueueLength() == 0; }

/** True when the calling processor has a runnable thread of priority `level` or higher. */
// @ts-ignore: decorator
@inline export function runQueueHasAtLeast(level: i32): bool { return (load<u32>(ownQueue()) >> <u32>level) != 0; }

/** Number of runnable threads, on every processor (a snapshot). */
export function runQueueLength(): i32 {
  let total = 0;
  for (let i = 0, n = SHARED_MEMORY ? processors() : 1; i < n; i++) total += countOf(queueAt(i));
  return total;
}

// ── Aging and the fair-share choice (preempt.ts; called from ticks, never from the switch) ──────────

/** Whether a thread waits in the calling processor's queue below `level` (the running thread's) or below
 *  another waiting level (read without the lock: a hint). */
export function runQueueLevelBelow(level: i32): bool {
  let mask = load<u32>(ownQueue());
  if (mask == 0) return false;
  let top = max<i32>(31 - <i32>clz<u32>(mask), level);
  return (mask & ((1 << <u32>top) - 1)) != 0;
}

/** Aging: in the calling processor's queue, the first thread of every level below the highest waiting
 *  level (or `running`, the running thread's level, if higher) moves up one level. */
export function runQueueAge(running: i32): void {
  let queue = ownQueue();
  lockQueue(queue);
  let mask = load<u32>(queue);
  if (mask != 0) {
    let top = max<i32>(31 - <i32>clz<u32>(mask), running);
    for (let level = top - 1; level >= 0; level--) {
      if ((load<u32>(queue) & (1 << <u32>level)) == 0) continue;
      let q = queue + LEVELS_AT + (<usize>level << 3);
      let t = changetype<Thread>(load<usize>(q));
      let next = t.next;
      store<usize>(q, next);
      if (next == 0) { store<usize>(q, 0, 4); store<u32>(queue, load<u32>(queue) & ~(1 << <u32>level)); }
      setCount(queue, load<i32>(queue, 4) - 1);
      t.priority = level + 1;                 // back to t.basePriority when it next runs
      pushOnto(queue, t);
    }
  }
  unlockQueue(queue);
}

/** The fair-share choice when `t`'s slice ends: among `t` and the threads waiting at its level in the
 *  calling processor's queue, the one whose group has had the least CPU per group weight, then the least
 *  CPU per own weight. Returns true when that is `t` (it goes on); otherwise moves the chosen thread to
 *  the front of its level and returns false (t is then preempted). */
export function runQueueFairPick(t: Thread): bool {
  schedLockTake();                            // the groups' times (preempt.ts)
  let queue = ownQueue();
  lockQueue(queue);
  let q = queue + LEVELS_AT + (<usize>t.priority << 3);
  let bestGroup = groupVirtualTime(t), bestOwn = threadVirtualTime(t);
  let best: usize = 0, bestPrev: usize = 0;
  let prev: usize = 0;
  for (let p = load<usize>(q); p != 0; p = changetype<Thread>(p).next) {
    let c = changetype<Thread>(p);
    let g = groupVirtualTime(c);
    if (g < bestGroup || (g == bestGroup && threadVirtualTime(c) < bestOwn)) {
      bestGroup = g; bestOwn = threadVirtualTime(c); best = p; bestPrev = prev;
    }
    prev = p;
  }
  if (best != 0 && bestPrev != 0) {
    // Move it to the front: unlink, then link as the head.
    let b = changetype<Thread>(best);
    changetype<Thread>(bestPrev).next = b.next;
    if (b.next == 0) store<usize>(q, bestPrev, 4);
    b.next = load<usize>(q);
    store<usize>(q, best);
  }
  unlockQueue(queue);
  schedLockDrop();
  return best == 0;
}

/** fork's child (core/fork.ts): nothing is runnable but what the child makes so; every queue (one in N:1)
 *  empty and unlocked. */
export function runQueueForkReset(): void {
  let n = SHARED_MEMORY ? PROCESSORS_MAX : 1;
  for (let q = 0; q < n; q++) {
    let queue = queueAt(q);
    for (let i: usize = 0; i < QUEUE_BYTES; i += 8) store<u64>(queue + i, 0);
  }
}
