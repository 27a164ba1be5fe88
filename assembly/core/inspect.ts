// The host looking at parked threads: their frames (a backtrace) and a debugger's step. Both happen
// between two calls of the loop, with no thread running; the switch itself is scheduler.ts, whose state
// (the running thread, the Asyncify flags, the unwind's area) a probe borrows for its rewind. Every global
// here is per processor (host/compiler/passes/shared.ts).
//
// Backtraces
// ----------
// A parked thread's frames are bytes in its save area: locals and call positions, nothing that names a
// function. The engine names them — the frames of a running call stack, in a stack trace — so to show a
// parked thread's frames weft puts them back on the engine's stack for a moment: probeFrames rewinds the
// thread as a switch-in would (none of a switch's bookkeeping: no accounting, trace, signal or tick), the
// rewind reaches the call the thread parked in (suspend, a safepoint, or the same inlined into a rebuilt
// function), which sees `probing`, calls the host (`frames`: it takes a stack trace) and unwinds again at
// once: the thread is parked where it was, its frames saved anew, byte for byte the same. Rewinding runs
// none of the thread's code (every frame only restores its locals and re-enters its call), so the thread
// cannot tell. The caller is the host, between two calls of the loop (no thread runs): a thread dump, a
// deadlock report (host/kernel/backtrace.ts reads the trace). The cost outside a probe is a flag test where
// a rewind ends: one load and branch per switch-in.

import {
  Thread, STATE_RUNNABLE, STATE_BLOCKED, STATE_SLEEPING, FLAG_STARTED, FLAG_FINISHING, FLAG_LOST, SAVE_AREA_HEADER,
} from "./layout";
import { asyncifyStopUnwind, asyncifyStartRewind, getStackPointer, setStackPointer } from "./asyncify";
import { runQueueRemove } from "./runqueue";
import {
  scratch, scratchSize, makeScratch, keepSaveArea, copyWords, framesLost, LOST_MEMORY, SAVE_AREA_SLACK,
} from "./savearea";
import { heapCapacity } from "../runtime/index";
import { stackLimit, setStackLimit } from "./stack";
import { hostFrames } from "./host";
import { threadFinishing } from "./thread";
import { SHARED_MEMORY } from "./atomics";
import { stopHeldHere } from "./gc";
import { processorIndex } from "./processor";
import { currentThread, tlsBase, resuming, unwinding, unwindArea, ticked } from "./scheduler";

/** Set while probeFrames rewinds a thread. Per processor. */
export let probing: bool = false;

/** Where a probed thread's rewind ends: the host takes the stack trace. The caller then parks it again. */
export function probeHere(): void {
  hostFrames(currentThread);
}

/** Rewinds `tp`, a started thread parked with its frames (blocked, sleeping or runnable), to where it
 *  parked, lets the host take its stack trace there (`frames`), and parks it again. Returns 1 when the
 *  host was called, 0 when the thread has no frames to show (not started, running, finished), -1 when its
 *  frames could not be kept again (no memory): the thread is then lost, as a switch would lose it.
 *  Only between two runs of the loop, with no thread running (the host; N:1, or a processor alone). */
export function probeFrames(tp: usize): i32 {
  if (tp == 0 || currentThread != 0 || (scratch == 0 && !makeScratch())) return 0;
  let t = changetype<Thread>(tp);
  let state = t.state;
  if (state != STATE_BLOCKED && state != STATE_SLEEPING && state != STATE_RUNNABLE) return 0;
  if (!(t.flags & FLAG_STARTED) || t.saveArea == 0 || (t.flags & FLAG_LOST)) return 0;
  let sp = getStackPointer(), limit = stackLimit;
  currentThread = tp;
  setStackPointer(t.stackPointer);
  setStackLimit(t.stackBase);
  tlsBase = t.tls;
  unwindArea = scratch;
  store<usize>(scratch, scratch + SAVE_AREA_HEADER);
  store<usize>(scratch, scratch + scratchSize + SAVE_AREA_SLACK, 4);
  probing = true;
  resuming = true;
  asyncifyStartRewind(t.saveArea);
  if (t.flags & FLAG_FINISHING) threadFinishing(tp);
  else call_indirect<i32>(load<u32>(t.entry), t.arg);
  probing = false;
  let kept: i32 = 0;
  if (unwinding) {
    unwinding = false;
    asyncifyStopUnwind();
    t.stackPointer = getStackPointer();
    // The same frames again: they fit the block they came from (else, as a switch would, a new one).
    let used = load<usize>(scratch) - scratch;
    let block = t.saveArea;
    if (load<usize>(scratch, 4) == 0) kept = -1;
    else if (heapCapacity(block) >= used) {
      copyWords(block + SAVE_AREA_HEADER, scratch + SAVE_AREA_HEADER, used - SAVE_AREA_HEADER);
      store<usize>(block, block + used);
      t.saveBytes = <u32>used;
      kept = 1;
    } else kept = keepSaveArea(t) ? 1 : -1;
    if (kept < 0) framesLost(t, LOST_MEMORY, false);
  }
  ticked = false;
  setStackPointer(sp);
  setStackLimit(limit);
  currentThread = 0;
  tlsBase = 0;
  return kept;
}

/** A debugger's step (host/kernel/debug.ts): the thread the loop runs next, for one turn, and then the
 *  loop returns (RUN_AGAIN) with every other thread as it was; 0 when none. Per processor. */
export let stepThread: usize = 0;

/** Readies a step of runnable thread `tp`: out of the run queue, it is what the next call of the loop
 *  runs, alone, until it switches out. 0, or -1 when it is not runnable (it waits: only what it waits for
 *  can make it run, or it is in another processor's hand-off slot) or, on processors, this processor
 *  does not hold the world stopped (others would run on while one is looked at: core/gcstop.ts) or the
 *  thread is pinned to another processor (1:1). */
export function stepPrepare(tp: usize): i32 {
  if (tp == 0 || currentThread != 0 || (SHARED_MEMORY && !stopHeldHere())) return -1;
  let t = changetype<Thread>(tp);
  if (SHARED_MEMORY && t.pinned != 0 && t.pinned != processorIndex + 1) return -1;
  if (t.state != STATE_RUNNABLE || !runQueueRemove(t)) return -1;
  stepThread = tp;
  return 0;
}

/** The step readied, taken by the loop (once). */
export function stepTake(): usize {
  let tp = stepThread;
  stepThread = 0;
  return tp;
}
