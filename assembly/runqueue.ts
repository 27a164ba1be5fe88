// Run queues: one per processor, each a FIFO per priority level and a bit mask of the non-empty levels,
// so picking the next thread is a count-leading-zeros and a pointer chase. Higher levels run first;
// within a level, threads run round robin. Threads link through Thread.next (intrusive: no allocation).
//
// 1:1: a thread is pinned to its own processor; its queue holds only it, and nobody steals.
//
// Work stealing (M:N). A thread made runnable goes on the queue of the processor that made it runnable
// (it ran there, or its waker did: its data is likely in that processor's cache). A processor takes from
// its own queue first; when that is empty it steals the next thread of the fullest other queue. Priorities
// are strict within a queue only: two processors may run threads of different priorities at once.
//
// Access rule: every queue is guarded by the scheduler lock (processor.ts; nothing in N:1, where the one
// queue is processor 0's).
//
// ╒═══ a queue (QUEUE_BYTES, static; processor i's at QUEUES + i × QUEUE_BYTES) ═══╕
//      0 │ mask   u32    bit k set: level k is not empty
//      4 │ count  i32    threads in this queue
//   8+8k │ head   usize  first thread of level k, 0 = empty
//  12+8k │ tail   usize  last thread of level k
// ╘═════════════════════════════════════════════════════════════════════════════════╛

import { Thread, PRIORITY_LEVELS } from "./layout";
import { SHARED_MEMORY } from "./atomics";
import { processorIndex, processors, isOneToOne, PROCESSORS_MAX, schedLockTake, schedLockDrop } from "./processor";
import { groupVirtualTime, threadVirtualTime } from "./preempt";

// @ts-ignore: decorator
@inline const QUEUE_BYTES: usize = 8 + PRIORITY_LEVELS * 8;
// @ts-ignore: decorator
@lazy const QUEUES: usize = memory.data(<i32>QUEUE_BYTES * (SHARED_MEMORY ? PROCESSORS_MAX : 1), 16);
// @ts-ignore: decorator
@lazy let total: i32 = 0;        // threads in every queue together

/** The calling processor's queue. */
// @ts-ignore: decorator
@inline function ownQueue(): usize {
  return SHARED_MEMORY ? QUEUES + <usize>processorIndex * QUEUE_BYTES : QUEUES;
}

/** Appends `t` to the tail of its priority level in the calling processor's queue (1:1: in its own
 *  processor's). */
// @ts-ignore: decorator
@inline export function runQueuePush(t: Thread): void {
  pushOnto(SHARED_MEMORY && t.pinned != 0 ? QUEUES + <usize>(t.pinned - 1) * QUEUE_BYTES : ownQueue(), t);
}

/** Puts `t` at the head of its priority level in the calling processor's queue (a sleeper woken by a
 *  tick: it runs before the threads that kept it waiting). */
export function runQueuePushFront(t: Thread): void {
  let queue = SHARED_MEMORY && t.pinned != 0 ? QUEUES + <usize>(t.pinned - 1) * QUEUE_BYTES : ownQueue();
  let q = queue + 8 + (<usize>t.priority << 3);
  let head = load<usize>(q);
  t.next = head;
  store<usize>(q, changetype<usize>(t));
  if (head == 0) store<usize>(q, changetype<usize>(t), 4);
  store<u32>(queue, load<u32>(queue) | 1 << <u32>t.priority);
  store<i32>(queue, load<i32>(queue, 4) + 1, 4);
  total++;
}

/** Appends `t` to processor `index`'s queue (M:N: a thread sent to another processor). */
export function runQueuePushTo(index: i32, t: Thread): void {
  pushOnto(QUEUES + <usize>index * QUEUE_BYTES, t);
}

// @ts-ignore: decorator
@inline function pushOnto(queue: usize, t: Thread): void {
  let q = queue + 8 + (<usize>t.priority << 3);
  t.next = 0;
  let tail = load<usize>(q, 4);
  if (tail) changetype<Thread>(tail).next = changetype<usize>(t);
  else store<usize>(q, changetype<usize>(t));
  store<usize>(q, changetype<usize>(t), 4);
  store<u32>(queue, load<u32>(queue) | 1 << <u32>t.priority);
  store<i32>(queue, load<i32>(queue, 4) + 1, 4);
  total++;
}

/** Takes the first thread of the highest non-empty level of `queue`, or returns 0. */
// @ts-ignore: decorator
@inline function popFrom(queue: usize): usize {
  let mask = load<u32>(queue);
  if (mask == 0) return 0;
  let level = 31 - clz<u32>(mask);
  let q = queue + 8 + (<usize>level << 3);
  let t = load<usize>(q);
  let next = changetype<Thread>(t).next;
  store<usize>(q, next);
  if (next == 0) {
    store<usize>(q, 0, 4);
    store<u32>(queue, mask & ~(1 << level));
  }
  store<i32>(queue, load<i32>(queue, 4) - 1, 4);
  total--;
  return t;
}

/** The next thread for the calling processor: from its own queue, else stolen from the fullest other
 *  queue (M:N). 0 when no thread is runnable anywhere. */
// @ts-ignore: decorator
@inline export function runQueuePop(): usize {
  let t = popFrom(ownQueue());
  if (SHARED_MEMORY && t == 0 && total > 0 && !isOneToOne()) t = steal();
  return t;
}

function steal(): usize {
  let victim: usize = 0, most = 0;
  for (let i = 0, n = processors(); i < n; i++) {
    let queue = QUEUES + <usize>i * QUEUE_BYTES;
    let count = load<i32>(queue, 4);
    if (count > most) { most = count; victim = queue; }
  }
  return victim ? popFrom(victim) : 0;
}

/** Takes `t` out of whichever queue holds it (a thread killed while runnable). Linear in the queues'
 *  lengths: only error paths use it. */
export function runQueueRemove(t: Thread): void {
  let queues = SHARED_MEMORY ? processors() : 1;
  for (let i = 0; i < queues; i++) {
    let queue = QUEUES + <usize>i * QUEUE_BYTES;
    let q = queue + 8 + (<usize>t.priority << 3);
    let prev: usize = 0, p = load<usize>(q);
    while (p != 0 && p != changetype<usize>(t)) { prev = p; p = changetype<Thread>(p).next; }
    if (p == 0) continue;
    let next = t.next;
    if (prev) changetype<Thread>(prev).next = next; else store<usize>(q, next);
    if (next == 0) store<usize>(q, prev, 4);
    if (load<usize>(q) == 0) store<u32>(queue, load<u32>(queue) & ~(1 << <u32>t.priority));
    store<i32>(queue, load<i32>(queue, 4) - 1, 4);
    t.next = 0;
    total--;
    return;
  }
}

/** True when no thread is runnable on any processor. */
// @ts-ignore: decorator
@inline export function runQueueEmpty(): bool { return total == 0; }

/** True when the calling processor has a runnable thread of priority `level` or higher. */
// @ts-ignore: decorator
@inline export function runQueueHasAtLeast(level: i32): bool { return (load<u32>(ownQueue()) >> <u32>level) != 0; }

/** Number of runnable threads, on every processor. */
export function runQueueLength(): i32 { return total; }

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
  schedLockTake();
  let queue = ownQueue();
  let mask = load<u32>(queue);
  if (mask != 0) {
    let top = max<i32>(31 - <i32>clz<u32>(mask), running);
    for (let level = top - 1; level >= 0; level--) {
      if ((load<u32>(queue) & (1 << <u32>level)) == 0) continue;
      let q = queue + 8 + (<usize>level << 3);
      let t = changetype<Thread>(load<usize>(q));
      let next = t.next;
      store<usize>(q, next);
      if (next == 0) { store<usize>(q, 0, 4); store<u32>(queue, load<u32>(queue) & ~(1 << <u32>level)); }
      store<i32>(queue, load<i32>(queue, 4) - 1, 4);
      total--;
      t.priority = level + 1;                 // back to t.basePriority when it next runs
      pushOnto(queue, t);
    }
  }
  schedLockDrop();
}

/** The fair-share choice when `t`'s slice ends: among `t` and the threads waiting at its level in the
 *  calling processor's queue, the one whose group has had the least CPU per group weight, then the least
 *  CPU per own weight. Returns true when that is `t` (it goes on); otherwise moves the chosen thread to
 *  the front of its level and returns false (t is then preempted). */
export function runQueueFairPick(t: Thread): bool {
  schedLockTake();
  let q = ownQueue() + 8 + (<usize>t.priority << 3);
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
  schedLockDrop();
  return best == 0;
}
