// The scheduler: a processor's loop, and the switch.
//
// Glossary
// --------
// thread     a weft user-level thread (layout.ts, Thread record).
// processor  a kernel thread running this loop: the calling JS thread in N:1, a Worker in M:N. Its state
//            is this file's globals (Wasm globals are per instance, and each processor has its instance).
// save area  the Asyncify buffer of a suspended thread: its Wasm locals and call positions.
//
// The switch
// ----------
// Wasm has no way to capture a call stack, so weft uses Binaryen's Asyncify: every function that can
// reach `suspend` is instrumented so that, when the global Asyncify state says "unwinding", it stores its
// locals and the position of its current call into the save area and returns; when the state says
// "rewinding", it reloads them and jumps straight back into that call. A switch is therefore:
//
//   1. the running thread calls suspend() (yield, futex wait, sleep, exit ...);
//   2. suspend starts an unwind into the thread's own save area (or the processor's scratch area, see
//      savearea.ts) and returns; each instrumented frame saves itself and returns, down to the thread's
//      entry function, which returns into the loop (a function the build rebuilt does suspend's work
//      in place of calling it: host/compiler/passes/resumable.ts);
//   3. the loop stops the unwind, keeps frames left in the scratch area in the thread's own save area
//      (sized to fit), and picks the next thread from the run queue;
//   4. for a thread that ran before, the loop starts a rewind from its save area and calls the entry; each
//      frame restores itself and re-enters its call, up to suspend, which stops the rewind and returns:
//      the thread goes on where it stopped. A new thread is simply called.
//
// `suspend` calls start_unwind/stop_rewind and the loop calls start_rewind/stop_unwind, so Asyncify leaves
// both uninstrumented: the loop stays inside Wasm and a switch makes no call to the host. The loop and the
// rewind must be one function (runLoop), or the function calling it would be instrumented too.
//
// What the loop returns (RUN_*): the program ended (main returned or exited); every thread waits on a time
// or on I/O (the host sleeps until weft_wake_at() or the next I/O completion); no thread can ever run
// again (deadlock: the host reads the thread table and reports each thread and what it waits on); call
// again (RUN_AGAIN, every SWITCHES_PER_CALL switches, so that the engine's optimised code for the loop
// gets used); or give the host's event loop a turn and call again (RUN_POLL: I/O is pending while
// threads run, sys/io.ts).

import {
  Thread, STATE_RUNNABLE, STATE_RUNNING, STATE_SLEEPING, STATE_EXITED, STATE_TRAPPED, FLAG_STARTED, FLAG_DETACHED,
  FLAG_BORN_DETACHED, FLAG_MAIN, FLAG_FINISHING, FLAG_LOST, FLAG_SIGNAL, SAVE_AREA_HEADER, FROM_FREE, FROM_RUNNABLE,
  FROM_RUNNING, FROM_WAITING, transition, flagsSet,
} from "./layout";
import {
  asyncifyStartUnwind, asyncifyStopUnwind, asyncifyStartRewind, asyncifyStopRewind, getStackPointer, setStackPointer,
} from "./asyncify";
import { runQueuePush, runQueuePushTo, runQueueEmpty } from "./runqueue";
import { timerAdd, timerCount, timersFire } from "./timer";
import {
  scratch, scratchSize, makeScratch, keepSaveArea, copyWords, LOST_SAVE_AREA, LOST_MEMORY, SAVE_AREA_SLACK,
  framesLost, endLost,
} from "./savearea";
import { stackLimit, setStackLimit } from "./stack";
import { hostNow } from "./host";
import { futexWakeLocked, FUTEX_WOKEN } from "./futex";
import { signalsFromHost, hostSignalsRaised } from "./signal";
import { signalEnter, signalReturn } from "./sigframe";
import { handOffTake, handedOff, handOffBehind, handOffPending, runnableAtLeast } from "./handoff";
import { threadFinishing, threadExited, threadReap, releaseFrames } from "./thread";
import { ioPending, ioDrain, ioRingHasWork } from "./completion";
import { SHARED_MEMORY } from "./atomics";
import { gcCheckpoint, loopCheckpoint, gcThreadRuns } from "./gc";
import { gcPhase, Phase } from "../runtime/gc";
import {
  preemptSwitchIn, preemptSwitchOut, preemptLoopEnter, exactAccounting, exactSwitchOut, exactWoken, preemptWoken,
  preemptOutsideThread, lastTickAt, switchHooksOn, preemptRequeue, wokenHooks,
} from "./preempt";
import { tracing, traceWantsTake, traceRun, traceStop, traceClock, stopReason } from "./trace";
import {
  schedLockTake, schedLockDrop, wakeIdleProcessor, wakeAllProcessors, idleWait, processors, processorIndex, wakeFor,
} from "./processor";
import { probing, probeHere, stepThread, stepTake } from "./inspect";
import { nothingToRun, retire } from "./idle";
import { interruptsOwed, drainInterrupts, releaseAfterPark } from "./parked";

// @ts-ignore: decorator
@inline export const RUN_EXITED: i32 = 0;
// @ts-ignore: decorator
@inline export const RUN_WAIT: i32 = 1;
// @ts-ignore: decorator
@inline export const RUN_DEADLOCK: i32 = 2;
// @ts-ignore: decorator
@inline export const RUN_AGAIN: i32 = 3;
// @ts-ignore: decorator
@inline export const RUN_POLL: i32 = 4;
// @ts-ignore: decorator
@inline export const RUN_RETIRED: i32 = 5;

/** The loop returns RUN_AGAIN after this many switches, and the host calls it again at once. V8 does
 *  not replace code on the stack (no on-stack replacement for Wasm), so a loop entered once would run
 *  its first, unoptimised tier for the whole program: measured 42 ns per switch instead of 29. A return
 *  every 65,536 switches costs one call from the host (~0.1 µs). Not configurable. */
// @ts-ignore: decorator
@inline const SWITCHES_PER_CALL: u32 = 1 << 16;
/** A processor's first calls return sooner: after this many switches, twice as many at each call, up to
 *  SWITCHES_PER_CALL. A processor that sleeps inside the loop (M:N: idleWait) has no other reason to
 *  return, and an I/O-bound one makes ~10,000 switches a second: its first 65,536 took the first
 *  seconds of a server's life, in the unoptimised tier (HTTP on 2 processors, bench/http.js --mn). */
// @ts-ignore: decorator
@inline const SWITCHES_FIRST_CALL: u32 = 1 << 10;
/** Calls of runLoop on this processor, counted up to the one whose budget is SWITCHES_PER_CALL. */
let loopCalls: u32 = 0;

/** While I/O is pending and threads keep running, the loop gives the host a turn (RUN_POLL) at least this
 *  often (ms), so that completions reach the ring: in N:1 the host's I/O callbacks run only while the loop
 *  is out. 1 ms: a turn of Node's event loop costs ~5-20 µs, so busy threads lose at most ~2%. Not
 *  configurable. */
// @ts-ignore: decorator
@inline const IO_POLL_MS: f64 = 1;

/** N:1: while threads keep running, the loop gives the host's event loop a turn (RUN_POLL) once this
 *  many ms of running have passed since its last one, so that the JavaScript around the program (a
 *  page's frames, a server's requests, timers) goes on. 8 ms: a page drawing 60 frames a second gets
 *  two chances a frame. The loop learns the time from the ticks (preempt.ts), not from a clock read of
 *  its own: a turn can come up to a tick (1 ms) late. Infinity: never (the loop keeps the host's thread
 *  until every thread waits). Set by the host (weft_host_slice). */
// @ts-ignore: decorator
@inline export const HOST_SLICE_MS_DEFAULT: f64 = 8;
let hostSliceMs: f64 = HOST_SLICE_MS_DEFAULT;

/** The loop gives the host its turn at its next switch (N:1: RUN_POLL, whatever the host slice; on
 *  processors RUN_AGAIN): a thread dump or a breakpoint (sys/debug.ts) is answered before any other thread
 *  runs, and a fork (sys/process.ts) is made as soon as its thread has parked. */
export function hostTurnSoon(): void { lastTurn = -Infinity; loopBudget = 1; }

/** Sets the host slice (ms, >= 0 or Infinity); returns the one it replaces, or -1 for a bad value. */
export function setHostSlice(ms: f64): f64 {
  if (!(ms >= 0)) return -1;
  let before = hostSliceMs;
  hostSliceMs = ms;
  return before;
}

/** How many switches may pass between two looks at the clock while threads wait on a time. 64: a clock
 *  read (a call to the host, ~30 ns) then costs under 2% of switching, and a sleeper wakes at most ~2 µs
 *  late. Not configurable. */
// @ts-ignore: decorator
@inline const CLOCK_EVERY: u32 = 64;

/** The running thread (a Thread), or 0 while the scheduler itself runs. Per processor. */
export let currentThread: usize = 0;
/** The TLS block of the running thread, installed on every switch (tls.ts). Per processor. */
export let tlsBase: usize = 0;
/** Set when the program ended: main returned, or exit was called on it. */
export let programEnded: bool = false;

// The switch in progress (a backtrace's rewind borrows these too: inspect.ts).
export let resuming: bool = false;   // the loop started a rewind; suspend must stop it
export let ticked: bool = false;     // the thread unwound at a safepoint: the loop ticks it (preempt.ts)
export let unwinding: bool = false;  // suspend started an unwind; the loop must stop it
export let unwindArea: usize = 0;    // where the running thread's next unwind goes: its own block or scratch

let directUnwind: bool = false; // set by the build: every frame checks the end (savearea.ts, "Direct unwinds")
let loopSp: usize = 0;          // the processor's own stack pointer and limit while the loop runs
let loopLimit: usize = 0;
let ticks: u32 = 0;             // switches since the loop last looked at the clock (CLOCK_EVERY)
let lastTurn: f64 = 0;          // when the host last had a turn (the loop was entered), while I/O is pending
let loopBudget: i32 = 0;        // switches until the loop returns RUN_AGAIN (hostTurnSoon: the next one)

/** The bottom of every switch. Only this function and runLoop touch the Asyncify state. */
export function suspend(): void {
  if (resuming) {
    resuming = false;
    asyncifyStopRewind();
    if (!probing) return;
    probeHere();                              // a backtrace's rewind (inspect.ts, "Backtraces"): park again
  }
  let s = scratch;
  store<usize>(s, s + SAVE_AREA_HEADER);
  store<usize>(s, s + scratchSize, 4);
  unwindArea = s;
  unwinding = true;
  asyncifyStartUnwind(s);
}

/** A rebuilt frame did not fit the area the unwind goes into (host/compiler/passes/resumable.ts): moves this unwind's
 *  frames so far (they end at `cur`) from the thread's own block to the scratch area, where the unwind
 *  goes on. Returns where the frame of `frame` bytes goes, or 0 when not even the scratch area holds it:
 *  the end is then 0, which the loop reads as frames lost (every later frame finds no room either). */
export function saveAreaSpill(cur: usize, frame: usize): usize {
  let from = unwindArea;
  if (from != scratch) {
    let used = cur - from - SAVE_AREA_HEADER;
    copyWords(scratch + SAVE_AREA_HEADER, from + SAVE_AREA_HEADER, used);
    cur = scratch + SAVE_AREA_HEADER + used;
    store<usize>(scratch, cur);
    store<usize>(scratch, scratch + scratchSize + (ticked ? SAVE_AREA_SLACK : 0), 4);
    unwindArea = scratch;
    asyncifyStartUnwind(scratch);
    if (cur + frame <= load<usize>(scratch, 4)) return cur;
  }
  store<usize>(scratch, 0, 4);
  return 0;
}

/** Makes a waiting (or new) thread runnable: onto the caller's queue (its lock), then a sleeping
 *  processor woken if none spins (processor.ts). The caller owns the thread's state change: it holds
 *  the scheduler lock, or won the thread (a new one, or a parker it completed). */
// @ts-ignore: decorator
@inline export function makeRunnable(t: Thread): void {
  if (switchHooksOn()) wokenHooks(t);
  transition(t, FROM_FREE | FROM_RUNNING | FROM_WAITING, STATE_RUNNABLE);
  t.priority = t.basePriority;              // an aging boost (preempt.ts) lasts until the thread is requeued
  preemptWoken(t);
  // Read before the push: once queued, the thread may run, end and be reaped on another processor.
  let pinned = t.pinned;
  runQueuePush(t);
  wakeIdleProcessor(pinned);
}

/** The running thread gives up the processor to the next runnable thread of at least its priority
 *  (lower ones wait: priorities are strict, see runqueue.ts). */
// @ts-ignore: decorator
@inline export function yieldNow(): void {
  let t = changetype<Thread>(currentThread);
  // Nobody who would run instead: no switch, unless sleepers may be due or I/O may have completed (only
  // the loop wakes them).
  // (Its own level: a yield ends an aging boost, preempt.ts.)
  if (!runnableAtLeast(t.basePriority) && timerCount() == 0 && ioPending == 0) return;
  // makeRunnable, less what a running thread does not need: no waiting time to account (exactWoken) and
  // no running thread below it to preempt (preemptWoken). No scheduler lock: the queue's own.
  transition(t, FROM_RUNNING, STATE_RUNNABLE);
  t.priority = t.basePriority;
  runQueuePush(t);
  wakeIdleProcessor(t.pinned);                // still ours: a thread runs again only once switched out
  suspend();
}

/** Moves the running thread to the next processor (M:N): it goes on that processor's queue and resumes
 *  there, unless a processor with nothing to do steals it first. On one processor, or 1:1, a yield. */
export function migrate(): void {
  let t = changetype<Thread>(currentThread);
  if (!SHARED_MEMORY || processors() < 2 || t.pinned != 0) { yieldNow(); return; }
  let to = (processorIndex + 1) % processors();
  transition(t, FROM_RUNNING, STATE_RUNNABLE);
  runQueuePushTo(to, t);
  wakeFor(to);
  suspend();
}

/** Parks the running thread until `deadline` (ms, monotonic). */
export function sleepUntil(deadline: f64): void {
  let t = changetype<Thread>(currentThread);
  schedLockTake();
  t.deadline = deadline;
  t.waitResult = FUTEX_WOKEN;                 // FUTEX_INTERRUPTED if a signal ends it early (signal.ts)
  transition(t, FROM_RUNNING, STATE_SLEEPING);
  if (!timerAdd(t)) { makeRunnable(t); }
  schedLockDrop();
  suspend();
}

/** A safepoint's slow path in a function Asyncify instrumented (the build calls this through the export
 *  __weft_safepoint): unwinds the running thread to the loop for a tick (preempt.ts), or, while it is
 *  rewound, stops the rewind. Like suspend, it is the bottom of the thread's frames. */
export function safepointSwitch(): void {
  if (resuming) {
    resuming = false;
    asyncifyStopRewind();
    if (!probing) return;
    probeHere();
  }
  if (currentThread == 0) { preemptOutsideThread(); return; }
  let s = scratch;
  store<usize>(s, s + SAVE_AREA_HEADER);
  store<usize>(s, s + scratchSize + SAVE_AREA_SLACK, 4);   // a tick keeps frames past the limit
  unwindArea = s;
  ticked = true;
  unwinding = true;
  asyncifyStartUnwind(s);
}

/** The same, for a function weft rebuilt (host/compiler/passes/resumable.ts): that function has already pushed its frame
 *  into the scratch area and set the area's header, so this only starts the unwind. */
export function preemptSwitch(): void {
  if (resuming) {
    resuming = false;
    asyncifyStopRewind();
    if (probing) probeHere();                 // its caller then pushes its frame again and calls back
    return;
  }
  // Its caller has saved its frame and will return: there must be a thread to unwind.
  if (currentThread == 0) abort("preemptSwitch: a safepoint ticked outside any thread (preempt.ts, \"Outside threads\")");
  unwindArea = scratch;
  ticked = true;
  unwinding = true;
  store<usize>(scratch, scratch + scratchSize + SAVE_AREA_SLACK, 4);   // a tick keeps frames past the limit
  asyncifyStartUnwind(scratch);
}

/** Runs threads until the program ends, all wait on time, or none can run again. Returns RUN_*. */
export function runLoop(): i32 {
  if (scratch == 0 && !makeScratch()) abort("runLoop: no memory for the processor's save area");
  loopSp = getStackPointer();
  loopLimit = stackLimit;
  if (tracing()) traceClock();
  let budget = SWITCHES_PER_CALL;
  if (SWITCHES_FIRST_CALL << loopCalls < SWITCHES_PER_CALL) budget = SWITCHES_FIRST_CALL << loopCalls++;
  loopBudget = stepThread != 0 ? 2 : budget;  // a debugger's step: one turn (stepPrepare)
  lastTurn = hostNow();
  preemptLoopEnter(lastTurn);
  if (hostSignalsRaised()) signalsFromHost();  // Ctrl-C, program.signal() (signal.ts)
  while (true) {
    loopCheckpoint();                         // M:N: a collection or a fork may be waiting for this processor
    if (interruptsOwed()) drainInterrupts();  // M:N: signals for threads parked on channels (parked.ts)
    if (programEnded) return RUN_EXITED;
    if (--loopBudget <= 0) return RUN_AGAIN;
    // The host's turn (HOST_SLICE_MS_DEFAULT), not before a debugger's step had its turn (else it never runs).
    if (!SHARED_MEMORY && stepThread == 0 && lastTickAt() - lastTurn >= hostSliceMs) return RUN_POLL;
    // Timers and I/O are shared: the scheduler lock, but only while there are any (read without it: a
    // timer added meanwhile is seen next turn, or by the processor that added it).
    if (timerCount() > 0 && (runQueueEmpty() || (++ticks & (CLOCK_EVERY - 1)) == 0)) {
      schedLockTake();
      let waiting = timerCount();
      timersFire(hostNow());
      if (timerCount() < waiting) handOffBehind();   // sleepers now due run before a hand-off (handoff.ts)
      schedLockDrop();
    }
    if (ioPending > 0) {
      // M:N: the host appends from its own kernel thread at any time (host/kernel/shared-io.ts): the lock
      // only when it did, and no turns.
      if (!SHARED_MEMORY || ioRingHasWork()) {
        // A signal the host raised before it answered comes before the answer, as a kernel's before a
        // system call returns (the host sets the word first; signalsFromHost takes it under the lock).
        if (SHARED_MEMORY && hostSignalsRaised()) signalsFromHost();
        schedLockTake();
        ioDrain();
        schedLockDrop();
      }
      // N:1: completions arrive only while the host has a turn: give it one now and then (IO_POLL_MS).
      if (!SHARED_MEMORY && stepThread == 0 && ioPending > 0 && (!runQueueEmpty() || handOffPending()) && hostNow() - lastTurn >= IO_POLL_MS) return RUN_POLL;
    }
    // The next slot (handoff.ts), else the queues' own locks (runqueue.ts); or a debugger's step.
    let tp = stepThread == 0 ? handOffTake() : stepTake();
    if (tp == 0) {
      schedLockTake();
      let reason = nothingToRun();
      if (reason < 0) continue;                  // slept (M:N) and was woken: look again
      return reason;
    }
    let t = changetype<Thread>(tp);
    transition(t, FROM_RUNNABLE, STATE_RUNNING);
    if (SHARED_MEMORY) {
      // The processor that ran it last may still be saving its frames (processor.ts).
      while (atomic.load<i32>(tp + offsetof<Thread>("onCpu")) != 0) gcCheckpoint();
      // A plain store: whoever next waits for 0 found the thread through a lock or a claim taken after it.
      store<i32>(tp + offsetof<Thread>("onCpu"), 1);
    }
    if (t.flags & FLAG_LOST) {                // its frames were lost as it parked: it ends here (framesLost)
      if (endLost(t)) return retire();
      continue;
    }
    // Switch in (steps 4 and 1-3 of "The switch").
    currentThread = tp;
    if (gcPhase() == Phase.MARKING) gcThreadRuns(t);   // its stack changes: the remark looks again
    t.switches++;
    if (switchHooksOn() && tracing()) {
      traceRun(t);
      if (traceWantsTake()) loopBudget = 1;  // the host takes the records once this thread is back
    }
    preemptSwitchIn(t, handedOff);
    setStackPointer(t.stackPointer);
    setStackLimit(t.stackBase);
    tlsBase = t.tls;
    // A signal it may take: its handler runs first, in a signal frame (signal.ts, "Delivery").
    if ((SHARED_MEMORY ? atomic.load<i32>(tp + offsetof<Thread>("sigWake")) : t.sigWake) != 0) signalEnter(t);
    if (directUnwind && t.saveArea != 0) unwindArea = t.saveArea;
    else { unwindArea = scratch; store<usize>(scratch, scratch + scratchSize, 4); }
    if (t.flags & FLAG_STARTED) {
      resuming = true;
      asyncifyStartRewind(t.saveArea);
    } else {
      flagsSet(t, FLAG_STARTED);
    }
    // The entry is called from here, not through a wrapper: one frame less to unwind and rewind on every
    // switch. Its return value goes through threadFinish, which may itself switch (TLS destructors), so a
    // thread in FLAG_FINISHING is resumed there instead.
    let handlerDone = false;                  // the entry was a signal handler's, and it returned
    if (t.flags & FLAG_FINISHING) {
      threadFinishing(tp);
    } else {
      let value = call_indirect<i32>(load<u32>(t.entry), t.arg);
      if (!unwinding) {
        if (t.flags & FLAG_SIGNAL) handlerDone = true;
        else {
          t.exitValue = value;
          flagsSet(t, FLAG_FINISHING);
          threadFinishing(tp);
        }
      }
    }
    preemptSwitchOut();
    if (switchHooksOn() && exactAccounting()) exactSwitchOut(t);
    let lost: i32 = 0;                        // LOST_*: the thread cannot be kept
    let finishing = false;                    // its entry and TLS destructors are done
    if (unwinding) {
      unwinding = false;
      // Asyncify's frames were not checked against the end as they were written: check it now and kill
      // the thread ourselves (savearea.ts). A tick is not the thread's doing: its frames are kept however
      // deep (they fit the slack). A rebuilt frame that did not fit set the end to 0 (host/compiler/
      // passes/resumable.ts): frames are missing. A direct unwind (savearea.ts, "Direct unwinds") left
      // its frames in the thread's block, which fits them.
      let direct = unwindArea != scratch;
      if (!direct) {
        if (load<usize>(scratch, 4) == 0) lost = LOST_SAVE_AREA;
        else if (load<usize>(scratch) > scratch + scratchSize && !ticked) lost = LOST_SAVE_AREA;
      }
      asyncifyStopUnwind();
      t.stackPointer = getStackPointer();
      let state = t.state;
      if (state == STATE_EXITED || state == STATE_TRAPPED) releaseFrames(t);
      else if (direct) t.saveBytes = <u32>(load<usize>(unwindArea) - unwindArea);
      else if (lost == 0 && !keepSaveArea(t)) lost = LOST_MEMORY;
    } else if (!handlerDone) {
      releaseFrames(t);                       // the thread finished: leaveProcessor ends it
      finishing = true;
    }
    setStackPointer(loopSp);
    setStackLimit(loopLimit);
    currentThread = 0;
    tlsBase = 0;
    if (switchHooksOn() && tracing()) traceStop(t, stopReason(t, finishing, handlerDone, ticked), t.waitKind);
    if (handlerDone) {                        // back to its own frames, next (sigframe.ts, signalReturn)
      signalReturn(t);
      leaveProcessor(t, false);
      continue;
    }
    let tick = ticked;
    if (ticked) {
      ticked = false;
      if (lost == 0 && t.state == STATE_RUNNING) preemptRequeue(t);
    }
    if (releaseAfterPark(t, lost)) continue;  // M:N: it parked holding its channel's lock (parked.ts)
    if (lost) framesLost(t, lost, tick);      // the thread cannot be kept (savearea.ts, "Frames lost")
    // 1:1: a processor exists for its one thread; once that finished, it leaves (not the first: main's).
    // Decided before leaveProcessor: after it, a joiner may free the record.
    let retiring = SHARED_MEMORY && t.pinned > 1 && (finishing || t.state == STATE_EXITED || t.state == STATE_TRAPPED);
    leaveProcessor(t, finishing);
    if (retiring) return retire();
  }
}

/** `t` is off this processor: its frames are saved or released. A detached thread that finished is reaped
 *  here (detach reaps one that is already off its processor: the lock decides which of the two sees it). */
// @ts-ignore: decorator
@inline export function leaveProcessor(t: Thread, finishing: bool): void {
  // Only this processor moves a thread it runs to EXITED or TRAPPED: one not finished is simply released.
  let state = t.state;
  let finished = finishing || state == STATE_EXITED || state == STATE_TRAPPED;
  if (SHARED_MEMORY && !finished) { atomic.store<i32>(changetype<usize>(t) + offsetof<Thread>("onCpu"), 0); return; }
  // A thread born detached that returned has no joiner and nobody else may reap it (join and detach say
  // EINVAL): it ends here without the lock (a holder that found it in the table still has the record until
  // it drops the lock: threadReap). Not with a TLS block or statistics (tlsKeyDelete and the statistics
  // walk reach them through the table under the lock).
  if (finishing && (t.flags & (FLAG_BORN_DETACHED | FLAG_MAIN)) == FLAG_BORN_DETACHED && t.tls == 0 && t.stats == 0) {
    transition(t, FROM_RUNNING, STATE_EXITED);
    threadReap(t, true);
    return;
  }
  schedLockTake();
  // A thread whose entry returned ends here, in the same hold.
  let joined = finishing && threadExited(t);
  if (SHARED_MEMORY) atomic.store<i32>(changetype<usize>(t) + offsetof<Thread>("onCpu"), 0);
  if (finished && (t.flags & FLAG_DETACHED)) threadReap(t);
  else if (joined) futexWakeLocked(changetype<usize>(t) + offsetof<Thread>("state"), -1);
  schedLockDrop();
}

/** The processor's own stack pointer while its loop runs a thread (the loop's frames are above it). */
export function loopStackPointer(): usize { return loopSp; }

/** Marks the program as ended (main finished); the scheduler lock must be held. */
export function endProgram(): void {
  programEnded = true;
  wakeAllProcessors();
}

/** After a trap inside a thread: forget the switch in progress and restore the processor's stack. */
export function abandonSwitch(): void {
  resuming = false;
  unwinding = false;
  ticked = false;
  setStackPointer(loopSp);
  setStackLimit(loopLimit);
  currentThread = 0;
  tlsBase = 0;
}

/** Never called: its export keeps `directUnwind` a variable through the build's first optimisation; the
 *  build then gives the global its value (host/compiler/build.ts; savearea.ts, "Direct unwinds"). */
export function enableDirectUnwind(): void { directUnwind = true; }

/** Installs the running thread's TLS block (tls.ts, when the block moves). */
export function installTls(block: usize): void { tlsBase = block; }

/** Runs on the processor's own stack from here on (the running thread's stack overflowed). */
export function enterProcessorStack(): void {
  setStackPointer(loopSp);
  setStackLimit(loopLimit);
}
