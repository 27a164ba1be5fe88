// The run queue of a processor: one FIFO per priority level, and a bit mask of the non-empty levels, so
// picking the next thread is a count-leading-zeros and a pointer chase. Higher levels run first; within a
// level, threads run round robin. Threads link through Thread.next (intrusive: no allocation).
//
// Access rule: owned by the processor's scheduler; in N:1 that is the only one. (M:N gives each processor
// its own queue and lets idle ones steal.)
//
// ╒═══ queue heads (PRIORITY_LEVELS × 8 bytes, static) ═══╕
//   8k+0 │ head  usize  first thread of level k, 0 = empty
//   8k+4 │ tail  usize  last thread of level k
// ╘═══════════════════════════════════════════════════════╛

import { Thread, PRIORITY_LEVELS } from "./layout";

// @ts-ignore: decorator
@lazy const QUEUES: usize = memory.data(PRIORITY_LEVELS * 8, 16);
// @ts-ignore: decorator
@lazy let levelMask: u32 = 0;
// @ts-ignore: decorator
@lazy let queued: i32 = 0;

/** Appends `t` to the tail of its priority level. */
// @ts-ignore: decorator
@inline export function runQueuePush(t: Thread): void {
  let q = QUEUES + (<usize>t.priority << 3);
  t.next = 0;
  let tail = load<usize>(q, 4);
  if (tail) changetype<Thread>(tail).next = changetype<usize>(t);
  else store<usize>(q, changetype<usize>(t));
  store<usize>(q, changetype<usize>(t), 4);
  levelMask |= 1 << <u32>t.priority;
  queued++;
}

/** Takes the first thread of the highest non-empty level, or returns 0. */
// @ts-ignore: decorator
@inline export function runQueuePop(): usize {
  let mask = levelMask;
  if (mask == 0) return 0;
  let level = 31 - clz<u32>(mask);
  let q = QUEUES + (<usize>level << 3);
  let t = load<usize>(q);
  let next = changetype<Thread>(t).next;
  store<usize>(q, next);
  if (next == 0) {
    store<usize>(q, 0, 4);
    levelMask = mask & ~(1 << level);
  }
  queued--;
  return t;
}

/** Takes `t` out of its level's queue (a thread killed while runnable). Linear in the level's length:
 *  only error paths use it. */
export function runQueueRemove(t: Thread): void {
  let q = QUEUES + (<usize>t.priority << 3);
  let prev: usize = 0, p = load<usize>(q);
  while (p != 0 && p != changetype<usize>(t)) { prev = p; p = changetype<Thread>(p).next; }
  if (p == 0) return;
  let next = t.next;
  if (prev) changetype<Thread>(prev).next = next; else store<usize>(q, next);
  if (next == 0) store<usize>(q, prev, 4);
  if (load<usize>(q) == 0) levelMask &= ~(1 << <u32>t.priority);
  t.next = 0;
  queued--;
}

/** True when no thread is runnable. */
// @ts-ignore: decorator
@inline export function runQueueEmpty(): bool { return levelMask == 0; }

/** True when some thread of priority `level` or higher is runnable. */
// @ts-ignore: decorator
@inline export function runQueueHasAtLeast(level: i32): bool { return (levelMask >> <u32>level) != 0; }

/** Number of runnable threads. */
export function runQueueLength(): i32 { return queued; }
