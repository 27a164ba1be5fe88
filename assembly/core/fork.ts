// fork(): the child's side. lib/process.ts is what programs call; the host makes the copy
// (host/kernel/processes.ts).
//
// Design note
// -----------
// The problem. fork() copies a process's whole memory but keeps one thread, the caller. Every other
// thread's stack, locks and place in the scheduler's queues are copied as they were at that instant: a
// mutex another thread held is inherited locked with its owner gone, and the runtime's own queues name
// threads that no longer exist. The safe patterns are to exec right away, to run atfork handlers, or to
// spawn a process instead of forking; weft has them (lib/process.ts) and makes the hazard visible.
//
// A weft process is one instance of the module. fork is a system call (IO_OP_FORK): the caller parks on
// its request like any I/O, and the host does the copy the next time the loop returns to it — between two
// calls of weft_run, no thread runs: every thread's frames are in its save area, the globals hold the
// loop's state and no lock is held. The host then
//   1. makes a new instance of the module, copies the parent's memory into it and the globals (an N:1
//      build exports weft_globals_save / _load for that: host/compiler/passes/fork.ts);
//   2. calls weft_fork_child in the child, which runs forkChild below;
//   3. completes the fork request in the child with 0 and in the parent with the child's id.
// So the caller's frames, save area and request are the same in both, and it returns from the same call.
//
// The child (forkChild): every thread but the caller is marked absent (FLAG_ABSENT) and ends as trapped,
// "not copied by fork()", its frames released: join says so, and nothing can wake it. The run queue, the
// timer heap, the futex table and the completion ring are emptied (they named the parent's threads and
// requests); the host holds one request of this process, the caller's. Signals pending are dropped
// (POSIX: the child's pending set is empty), the mask is kept. If main was not the caller, the caller
// becomes main: the child ends when it does. Locks of the program's are left exactly as they were: that
// is the hazard, and a mutex whose owner is absent says so when a thread blocks on it (lib/sync/mutex.ts).
//
// Shared builds (M:N). There is no moment between two calls of the loop that holds for every processor,
// so the forking thread's processor makes one: the fork request is answered pending, the loop returns to
// that processor's host as soon as the thread has parked (hostTurnSoon), and the host
//   1. stops the world for a fork (weft_fork_stop, core/gcstop.ts): every other processor either waits at
//      its loop's top, where it runs no thread and every thread's frames are in its save area, or is
//      outside the mutator (asleep, or between two calls of its loop). This is a stronger stop than a
//      collection's, which may park a processor inside __new or a lock spin, in the middle of an operation
//      of the runtime's (a channel's lock held): copied so, the child would inherit it half done;
//   2. copies the memory up to the heap's top into a new shared memory — a shared build keeps all its
//      globals there but each processor's own (host/compiler/passes/shared.ts), which a child's processors
//      set afresh — and lets the world go on (weft_fork_go);
//   3. gives the copy to the run's I/O owner, which starts the child as a new run of the same module on as
//      many processors (new Workers: host/mn/run.ts), and answers the parent's request with its id.
// The child's processor 0 calls weft_fork_child before its loop first runs: forkChild below, and for a
// shared build also the processors' shared words (the scheduler lock, idle and wake words, the stop word,
// the tick words), which name the parent's processors, and every processor's run queue. Its host then
// completes the request with 0, and the other processors enter as in any run. In 1:1 the child is a 1:1 run
// whose one thread, the forker, has the first processor, as main has; each thread it spawns gets one.

import {
  Thread, STATE_RUNNABLE, STATE_RUNNING, STATE_BLOCKED, STATE_SLEEPING, STATE_EXITED, STATE_TRAPPED, FLAG_MAIN,
  FLAG_DETACHED, FLAG_ABSENT, FROM_LIVE, transition, flagsSet, flagsClear,
} from "./layout";
import { threadAt, threadTableUsed, threadById } from "./table";
import { threadReap, releaseFrames } from "./thread";
import { runQueueForkReset } from "./runqueue";
import { timerForkReset } from "./timer";
import { futexForkReset } from "./futex";
import { ioForkReset, IoRequest } from "./completion";
import { signalForkReset } from "./signal";
import { SHARED_MEMORY } from "./atomics";
import { processorForkReset, isOneToOne } from "./processor";
import { stopForkReset } from "./gcstop";
import { preemptForkReset } from "./preempt";
import { gcShade } from "../runtime/gc";
import { heapTryAlloc } from "../runtime/index";
import { parkedForkReset } from "./parked";

/** This process's id and its parent's (0 for the first process). Set by the host in a child. */
let processId: i32 = 1;
let parentId: i32 = 0;
/** The ids of the threads fork did not copy (an i32 array on the heap), for ownerFate once they are reaped. */
let absentIds: usize = 0;
let absentCount: i32 = 0;

export function processSelf(): i32 { return processId; }
export function processParent(): i32 { return parentId; }

// @ts-ignore: decorator
@inline function live(state: i32): bool {
  return state == STATE_RUNNABLE || state == STATE_RUNNING || state == STATE_BLOCKED || state == STATE_SLEEPING;
}

/** The child's half (see "The child"): `request` is the fork request of the thread that called fork. */
export function forkChild(request: usize, pid: i32, ppid: i32): i32 {
  let forker = changetype<IoRequest>(request).thread;
  if (forker == 0) return -22;
  processId = pid;
  parentId = ppid;
  if (SHARED_MEMORY) {
    processorForkReset();
    stopForkReset();
    preemptForkReset();
    parkedForkReset();
  }
  runQueueForkReset();
  timerForkReset();
  futexForkReset();
  ioForkReset();
  let used = threadTableUsed();
  let mainGone = false;
  absentIds = heapTryAlloc(<usize>used << 2);
  absentCount = 0;
  for (let i: u32 = 1; i < used; i++) {
    let tp = threadAt(i);
    if (tp == 0 || tp == forker) continue;
    let t = changetype<Thread>(tp);
    if (!live(t.state)) continue;
    if (t.flags & FLAG_MAIN) { mainGone = true; flagsClear(t, FLAG_MAIN); }
    if (absentIds != 0) { store<i32>(absentIds + (<usize>absentCount << 2), t.id); absentCount++; }
    let message = "thread " + t.id.toString() + " was not copied by fork(): it exists only in the parent";
    gcShade(changetype<usize>(message));
    t.error = changetype<usize>(message);
    t.timerSlot = -1;
    t.next = 0;
    t.prev = 0;
    flagsSet(t, FLAG_ABSENT);
    transition(t, FROM_LIVE, STATE_TRAPPED);
    releaseFrames(t);
    if (t.flags & FLAG_DETACHED) threadReap(t);   // nobody will join it
  }
  let t = changetype<Thread>(forker);
  if (mainGone) flagsSet(t, FLAG_MAIN);
  if (SHARED_MEMORY && isOneToOne()) t.pinned = 1;   // 1:1: it runs on the first processor, as main does
  signalForkReset(t);
  return 0;
}

/** What became of the thread with id `id`, for a lock it holds: 0 it lives, 1 it was not copied by fork
 *  (absent), 2 it ended (or no thread has that id). */
export function ownerFate(id: i32): i32 {
  for (let i = 0; i < absentCount; i++) if (load<i32>(absentIds + (<usize>i << 2)) == id) return 1;
  let t = threadById(id);
  if (t === null) return 2;
  if (t.flags & FLAG_ABSENT) return 1;
  return t.state == STATE_EXITED || t.state == STATE_TRAPPED ? 2 : 0;
}
