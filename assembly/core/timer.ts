// The timer heap: threads waiting until a time (sleep, timed futex waits), in a binary min-heap ordered by
// Thread.deadline. Each thread remembers its index (Thread.timerSlot) so a wake-up before the deadline
// removes it in O(log n).
//
// Access rule: under the scheduler lock (M:N: the timers are shared).
//
// timersFire wakes the threads whose deadlines have passed: a timed futex wait ends with
// FUTEX_TIMED_OUT, a sleep simply ends.

import { Thread, STATE_BLOCKED, STATE_RUNNABLE, FROM_WAITING, transition } from "./layout";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { futexDequeue, FUTEX_TIMED_OUT } from "./futex";
import { makeRunnable } from "./scheduler";
import { runQueuePushFront } from "./runqueue";
import { wakeIdleProcessor } from "./processor";
import { switchHooksOn, wokenHooks } from "./preempt";

// @ts-ignore: decorator
@lazy let heap: usize = 0;      // usize[capacity] of Thread pointers
// @ts-ignore: decorator
@lazy let capacity: i32 = 0;
// @ts-ignore: decorator
@lazy let count: i32 = 0;

// @ts-ignore: decorator
@inline function at(i: i32): Thread { return changetype<Thread>(load<usize>(heap + (<usize>i << 2))); }
// @ts-ignore: decorator
@inline function put(i: i32, t: Thread): void {
  store<usize>(heap + (<usize>i << 2), changetype<usize>(t));
  t.timerSlot = i;
}

function siftUp(i: i32): void {
  let t = at(i);
  while (i > 0) {
    let parent = (i - 1) >> 1;
    let p = at(parent);
    if (p.deadline <= t.deadline) break;
    put(i, p);
    i = parent;
  }
  put(i, t);
}

function siftDown(i: i32): void {
  let t = at(i);
  while (true) {
    let child = 2 * i + 1;
    if (child >= count) break;
    if (child + 1 < count && at(child + 1).deadline < at(child).deadline) child++;
    let c = at(child);
    if (t.deadline <= c.deadline) break;
    put(i, c);
    i = child;
  }
  put(i, t);
}

/** Adds `t` with its deadline already set. False when memory is exhausted. */
export function timerAdd(t: Thread): bool {
  if (count == capacity) {
    let newCapacity = max<i32>(64, capacity * 2);
    let bigger = heapTryAlloc(<usize>newCapacity << 2);
    if (bigger == 0) return false;
    if (heap) { memory.copy(bigger, heap, <usize>count << 2); heapFree(heap); }
    heap = bigger;
    capacity = newCapacity;
  }
  put(count, t);
  count++;
  siftUp(count - 1);
  return true;
}

/** Removes `t` if it is in the heap. */
export function timerRemove(t: Thread): void {
  let i = t.timerSlot;
  if (i < 0) return;
  t.timerSlot = -1;
  count--;
  if (i == count) return;
  let last = at(count);
  put(i, last);
  if (i > 0 && at((i - 1) >> 1).deadline > last.deadline) siftUp(i);
  else siftDown(i);
}

/** The earliest thread whose deadline is at or before `now`, removed from the heap; 0 if none. */
export function timerPopDue(now: f64): usize {
  if (count == 0) return 0;
  let t = at(0);
  if (t.deadline > now) return 0;
  timerRemove(t);
  return changetype<usize>(t);
}

/** The earliest deadline, or Infinity. */
export function timerEarliest(): f64 { return count ? at(0).deadline : Infinity; }

/** Number of threads waiting on a time. */
// @ts-ignore: decorator
@inline export function timerCount(): i32 { return count; }

/** Wakes every thread whose deadline has passed; `front`: at the head of their levels (a tick). The
 *  scheduler lock must be held. */
export function timersFire(now: f64, front: bool = false): void {
  while (true) {
    let tp = timerPopDue(now);
    if (tp == 0) return;
    let t = changetype<Thread>(tp);
    if (t.state == STATE_BLOCKED) {
      futexDequeue(t);
      t.waitResult = FUTEX_TIMED_OUT;
    }
    if (front) {
      if (switchHooksOn()) wokenHooks(t);
      transition(t, FROM_WAITING, STATE_RUNNABLE);
      t.priority = t.basePriority;
      let pinned = t.pinned;
      runQueuePushFront(t);
      wakeIdleProcessor(pinned);
    } else {
      makeRunnable(t);
    }
  }
}

/** fork's child (core/fork.ts): the heap's sleepers do not exist in this process. N:1. */
export function timerForkReset(): void {
  for (let i = 0; i < count; i++) at(i).timerSlot = -1;
  count = 0;
}

/** Removes `t` from the timer heap if it is there. */
// @ts-ignore: decorator
@inline export function cancelTimer(t: Thread): void { if (t.timerSlot >= 0) timerRemove(t); }
