// Signals: the kernel's delivery, played by the runtime for threads the kernel cannot see.
//
// Design note
// -----------
// The problem. With many user threads on one kernel thread, a signal from outside reaches that one kernel
// thread; which weft thread it is for, whether that thread blocks it, and when its handler may run is the
// runtime's to decide. weft does what Linux does for its own threads (kernel/signal.c), with the same
// numbers and names, and keeps the signal state in linear memory where every processor sees it.
//
// What is kept.
//   - The process: a disposition per signal (SIG_DFL, SIG_IGN or a handler, with its flags and its mask),
//     the process-directed pending set (and a count per real-time signal: those queue, standard ones merge),
//     and a word the host sets from outside (HOST_SIGNALS: Ctrl-C, program.signal()).
//   - A thread: its mask, its own pending set (thread-directed signals), the set it waits for in sigwait,
//     and the stack of signal frames it is running handlers in. All in a block made on first need
//     (Thread.signals; a thread that never meets a signal has none), plus Thread.sigWake, the one word the
//     switch reads (Linux's TIF_SIGPENDING): set when a signal this thread may take is pending.
//
// Generation (signalSend, with the scheduler lock held):
//   1. a signal the target ignores and does not block is discarded (blocked ones are kept: the handler
//      may change before they are unblocked);
//   2. it is added to the thread's or the process's pending set (a real-time one is counted);
//   3. a target is chosen: the named thread, or, for the process, the main thread if it takes the signal,
//      else the next thread round the table that does (one that does not block it, or waits for it in
//      sigwait); nobody: it stays pending until a thread unblocks it;
//   4. a fatal one (default action "terminate", or SIGKILL) ends the program at once, as Linux's
//      complete_signal does: there is no handler to run and nothing of the program's to wait for;
//   5. otherwise the target's sigWake is set and it is woken: out of sigwait, out of an interruptible
//      wait (signalInterrupt: the wait returns FUTEX_INTERRUPTED), or, running on another processor,
//      asked for a tick so that it reaches the loop at its next safepoint.
//
// Delivery (sigframe.ts). A handler runs on its thread, on the thread's stack, before the
// thread runs its own code again: the loop, about to switch a thread in, sees sigWake and pushes a signal
// frame instead of rewinding it. The frame keeps what the switch would have resumed (the save area, the
// entry, its flags, the stack pointer as a distance from the stack's top, the mask, errno), and the thread
// is switched in as a new thread whose entry is signalTrampoline: it runs the handler, which may block,
// switch and be preempted like any code of the thread, and returns into the loop, which pops the frame
// (signalReturn) and queues the thread at the front of its level: it is next switched in where it was.
// That is the kernel's own shape: a frame pushed on the user stack, and sigreturn. A thread waiting in an
// interruptible call was made runnable by step 5, so its handler runs first and the call then returns
// -EINTR or restarts (SA_RESTART, or no handler ran); sleep returns the time left. Frames nest: a signal
// for a thread in a handler pushes another frame.
//
// Rejected: running the handler where suspend() returns. suspend is the bottom of the thread's frames and
// is not instrumented; a handler that blocked there would lose the frame it was called from. And checking
// in every caller of suspend costs a branch on each blocking path that the loop's single check does not.
//
// Access rule: everything here is guarded by the scheduler lock, except sigWake, which the loop reads
// without it at every switch (atomic in a shared build) and only its owner clears (under the lock).

import {
  Thread, STATE_RUNNABLE, STATE_RUNNING, STATE_BLOCKED, STATE_SLEEPING, FLAG_FINISHING, FLAG_EXITING, FLAG_MAIN,
  FROM_RUNNING, transition,
} from "./layout";
import { SHARED_MEMORY } from "./atomics";
import { schedLockTake, schedLockDrop, processors } from "./processor";
import { currentThread, makeRunnable, endProgram, suspend, programEnded } from "./scheduler";
import { cancelTimer } from "./timer";
import { futexDequeue, inTable, futexWakeLocked, FUTEX_INTERRUPTED, WAIT_IO, WAIT_SIGNAL } from "./futex";
import { interruptParked } from "./parked";
import { ioInterrupt } from "./completion";
import { runQueuePushFront } from "./runqueue";
import { threadAt, threadTableUsed } from "./table";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { preemptRequestFor } from "./preempt";
import { EAGAIN, EINTR } from "./errno";
import { SIGKILL, SIGRTMIN, NSIG, SIG_DFL, SIG_IGN, SA_RESTART, DEFAULT_IGNORED, sigbit, realTime } from "./signum";
import { signalRelease } from "./sigframe";
export * from "./signum";

// ── Records ──────────────────────────────────────────────────────────────────────────────────────────
//
// ╒═══ disposition (16 bytes each, NSIG of them, static) ═══╕
//   0 │ handler  usize  SIG_DFL, SIG_IGN or a Function (sig: i32) => void
//   4 │ flags    u32    SA_*
//   8 │ mask     u64    added to the thread's mask while the handler runs
// ╘══════════════════════════════════════════════════════════╛
// @ts-ignore: decorator
@lazy const ACTIONS: usize = memory.data(NSIG * 16, 16);
/** Process-directed real-time signals pending: a count per signal (SIGRTMIN + i at 4i). */
// @ts-ignore: decorator
@lazy export const PROCESS_RT: usize = memory.data(32 * 4, 16);
/** Signals raised from outside (the host: Ctrl-C, program.signal()): a set the host ORs bits into with an
 *  atomic, and the loop takes (signalsFromHost). Its address is weft_signal_word(). */
// @ts-ignore: decorator
@lazy export const HOST_SIGNALS: usize = memory.data(8, 8);

// ╒═══ signal block (Thread.signals; 192 bytes, heap, made on first need) ═══╕
//   0 │ mask       u64    signals this thread blocks
//   8 │ pending    u64    thread-directed signals pending
//  16 │ waitSet    u64    what it waits for in sigwait (0 otherwise)
//  24 │ waitWord   i32    the futex word sigwait sleeps on
//  28 │ frames     usize  its innermost signal frame, 0 when it runs no handler
//  32 │ restart    i32    1: an interrupted call restarts (no handler ran, or all had SA_RESTART)
//  36 │ taken      i32    the signal sigwait took
//  40 │ cpuAt      f64    per-thread CPU timer: signal when Thread.cpu reaches this (ms; 0: off)
//  48 │ cpuEvery   f64    its interval (ms; 0: once)
//  56 │ cpuSignal  i32    the signal it sends
//  64 │ rt         u32 × 32  thread-directed real-time signals pending, counted
// ╘═══════════════════════════════════════════════════════════════════════════╛
@unmanaged export class SignalBlock {
  mask: u64;
  pending: u64;
  waitSet: u64;
  waitWord: i32;
  frames: usize;
  restart: i32;
  taken: i32;
  cpuAt: f64;
  cpuEvery: f64;
  cpuSignal: i32;
}
// @ts-ignore: decorator
@inline const SIGNAL_BLOCK_SIZE: usize = 192;
// @ts-ignore: decorator
@inline export const BLOCK_RT: usize = 64;

// Shared (moved into linear memory by a shared build); guarded by the scheduler lock:
export let processPending: u64 = 0;
let roundRobin: u32 = 0;         // where the search for a process signal's target goes on (step 3)
let terminatedBy: i32 = 0;       // the signal that ended the program, 0 if none did
let hostSignalsSeen: i32 = 0;    // signals the host raised and the core took
export let sigWaiters: i32 = 0;  // threads in sigwait
/** alarm (lib/signal.ts): when SIGALRM is due (ms, monotonic; 0: none), and the generation of the alarm
 *  thread that may still send it. Here so that fork's child can drop its parent's alarm. */
export let alarmAt: f64 = 0;
export let alarmGeneration: i32 = 0;
export function alarmSet(at: f64): i32 { alarmAt = at; return ++alarmGeneration; }
let signalsCanArrive: bool = false;  // the host may raise signals (weft_signal_source): a thread in sigwait
                                     // then waits on the outside, as one in I/O does, not in a deadlock

// @ts-ignore: decorator
@inline export function actionAt(sig: i32): usize { return ACTIONS + (<usize>sig << 4); }
// @ts-ignore: decorator
@inline export function handlerOf(sig: i32): usize { return load<usize>(actionAt(sig)); }

/** Whether `sig` is discarded when it arrives unblocked: SIG_IGN, or SIG_DFL whose default is to ignore. */
export function ignored(sig: i32): bool {
  let h = handlerOf(sig);
  return h == SIG_IGN || (h == SIG_DFL && (DEFAULT_IGNORED & sigbit(sig)) != 0);
}

/** Whether `sig` ends the program when it arrives: SIG_DFL with default "terminate", or SIGKILL. */
export function fatal(sig: i32): bool {
  return sig == SIGKILL || (handlerOf(sig) == SIG_DFL && (DEFAULT_IGNORED & sigbit(sig)) == 0);
}

// ── Blocks ──────────────────────────────────────────────────────────────────────────────────────────

/** `t`'s signal block, made if it has none (0 when memory is exhausted). Scheduler lock held. */
export function signalBlockOf(t: Thread): SignalBlock | null {
  if (t.signals != 0) return changetype<SignalBlock>(t.signals);
  let b = heapTryAlloc(SIGNAL_BLOCK_SIZE);
  if (b == 0) return null;
  for (let i: usize = 0; i < SIGNAL_BLOCK_SIZE; i += 8) store<u64>(b + i, 0);
  changetype<SignalBlock>(b).restart = 1;
  t.signals = b;
  return changetype<SignalBlock>(b);
}

/** spawn: a new thread inherits its creator's mask (and nothing pending). False: no memory. */
export function signalInherit(child: Thread, parent: Thread): bool {
  if (parent.signals == 0) return true;
  let mask = changetype<SignalBlock>(parent.signals).mask;
  if (mask == 0) return true;
  let b = signalBlockOf(child);
  if (b === null) return false;
  b.mask = mask;
  return true;
}

/** The record is reaped: its block goes too. */
export function signalFree(t: Thread): void {
  if (t.signals == 0) return;
  signalRelease(t);
  heapFree(t.signals);
  t.signals = 0;
}

// ── Generation ───────────────────────────────────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline export function maskOf(t: Thread): u64 { return t.signals != 0 ? changetype<SignalBlock>(t.signals).mask : 0; }
// @ts-ignore: decorator
@inline function waitSetOf(t: Thread): u64 { return t.signals != 0 ? changetype<SignalBlock>(t.signals).waitSet : 0; }

/** Whether `t` may take `sig` (step 3): alive, not on its way out, and not blocking it (or waiting for it). */
function wants(t: Thread, sig: i32): bool {
  let state = t.state;
  if (state != STATE_RUNNABLE && state != STATE_RUNNING && state != STATE_BLOCKED && state != STATE_SLEEPING) return false;
  if (t.flags & (FLAG_EXITING | FLAG_FINISHING)) return false;
  let bit = sigbit(sig);
  return (maskOf(t) & bit) == 0 || (waitSetOf(t) & bit) != 0;
}

/** Step 3 for a process-directed signal: main if it takes it, else the next taker round the table. */
function chooseTarget(sig: i32): Thread | null {
  let used = threadTableUsed();
  let main: Thread | null = null;
  for (let i: u32 = 0; i < used && main === null; i++) {
    let tp = threadAt(i);
    if (tp != 0 && (changetype<Thread>(tp).flags & FLAG_MAIN)) main = changetype<Thread>(tp);
  }
  if (main !== null && wants(main, sig)) return main;
  for (let n: u32 = 0; n < used; n++) {
    let slot = (roundRobin + n) % used;
    let tp = threadAt(slot);
    if (tp != 0 && wants(changetype<Thread>(tp), sig)) { roundRobin = slot + 1; return changetype<Thread>(tp); }
  }
  return null;
}

/** Generates `sig` for thread `t`, or for the process when `t` is null (steps 1-5). Scheduler lock held.
 *  0, or -EAGAIN (no memory for the target's block; a real-time signal's queue is full). */
export function signalSend(t: Thread | null, sig: i32): i32 {
  let bit = sigbit(sig);
  // 1. Discarded if ignored and not blocked where it goes.
  if (sig != SIGKILL && ignored(sig)) {
    let blocker = t !== null ? t : chooseTarget(sig);
    if (blocker === null || (maskOf(blocker) & bit) == 0) return 0;
  }
  // 2. Pending.
  if (t !== null) {
    let b = signalBlockOf(t);
    if (b === null) return -EAGAIN;               // EAGAIN, as Linux when it cannot queue
    if (realTime(sig)) {
      let count = changetype<usize>(b) + BLOCK_RT + (<usize>(sig - SIGRTMIN) << 2);
      if (load<u32>(count) == RT_QUEUE_MAX) return -EAGAIN;
      store<u32>(count, load<u32>(count) + 1);
    }
    b.pending |= bit;
  } else {
    if (realTime(sig)) {
      let count = PROCESS_RT + (<usize>(sig - SIGRTMIN) << 2);
      if (load<u32>(count) == RT_QUEUE_MAX) return -EAGAIN;
      store<u32>(count, load<u32>(count) + 1);
    }
    processPending |= bit;
  }
  // 3. Who takes it.
  let target = t !== null ? (wants(t, sig) ? t : null) : chooseTarget(sig);
  if (target === null) return 0;              // stays pending until somebody unblocks it
  // 4. Fatal: the program ends now (unless the target waits for it in sigwait).
  if (fatal(sig) && (waitSetOf(target) & bit) == 0) { terminate(sig); return 0; }
  // 5. Wake the target.
  notify(target, bit);
  return 0;
}

/** Most real-time signals of one number queued at a thread or the process (Linux's RLIMIT_SIGPENDING is
 *  per user, ~60,000 here; one number gets 65,535). Past it, sending says EAGAIN. */
// @ts-ignore: decorator
@inline const RT_QUEUE_MAX: u32 = 65535;

/** Step 5: sigWake, and the target woken from whatever keeps it from the loop. */
function notify(t: Thread, bit: u64): void {
  setWake(t, 1);
  if ((waitSetOf(t) & bit) != 0) { signalWaitWake(changetype<SignalBlock>(t.signals)); return; }
  // Atomically after setWake's store: a thread parking on a channel looks at sigWake after it is parked
  // (parked.ts, park step 5), so one of the two sees the other.
  let state = SHARED_MEMORY ? atomic.load<i32>(changetype<usize>(t) + offsetof<Thread>("state")) : t.state;
  if (state == STATE_RUNNING) {
    // On this processor it is the caller (raise, kill): signalCheckpoint delivers before returning. On
    // another: a tick brings it to the loop at its next safepoint.
    if (SHARED_MEMORY && changetype<usize>(t) != currentThread) {
      let n = processors();
      for (let i = 0; i < n; i++) preemptRequestFor(i);
    }
    return;
  }
  if (state == STATE_BLOCKED || state == STATE_SLEEPING) signalInterrupt(t);
}

// @ts-ignore: decorator
@inline function setWake(t: Thread, value: i32): void {
  if (SHARED_MEMORY) atomic.store<i32>(changetype<usize>(t) + offsetof<Thread>("sigWake"), value);
  else t.sigWake = value;
}

/** Wakes `t` from an interruptible wait, which then returns FUTEX_INTERRUPTED (futex waits, sleep,
 *  sigwait) or looks again and waits on (channel operations, which loop; sync/ primitives, which loop on
 *  their word). A system call in flight is interrupted where the host can stop it with nothing moved
 *  (completion.ts, ioInterrupt): it says -EINTR, or restarts after the handler (sys/io.ts, ioCall).
 *  Scheduler lock held. */
export function signalInterrupt(t: Thread): void {
  let b = changetype<SignalBlock>(t.signals);
  if (t.state == STATE_SLEEPING) {
    cancelTimer(t);
    t.waitResult = FUTEX_INTERRUPTED;
    b.restart = 1;
    makeRunnable(t);
    return;
  }
  let kind = t.waitKind;
  if (kind == WAIT_IO) {
    t.waitResult = FUTEX_INTERRUPTED;           // the -EINTR this wait may get is this signal's (sys/io.ts)
    b.restart = 1;
    ioInterrupt(t.waitAddr);
    return;
  }
  if (inTable(t)) {
    futexDequeue(t);
    cancelTimer(t);
    t.waitResult = FUTEX_INTERRUPTED;
    b.restart = 1;
    makeRunnable(t);
    return;
  }
  // A channel operation parked outside the table: M:N, under its channel's lock (parked.ts, "Signals");
  // N:1, whatever the waiter's word holds, the thread looks again.
  if (SHARED_MEMORY) {
    interruptParked(t);
  } else if (t.waitAddr != 0) {
    t.waitAddr = 0;
    makeRunnable(t);
  }
}

/** Step 4: the program ends, killed by `sig`. */
export function terminate(sig: i32): void {
  if (terminatedBy == 0) terminatedBy = sig;
  endProgram();
}

/** The signal that ended the program (the host reports it: status "signaled", exit code 128 + n), or 0. */
export function signalTerminatedBy(): i32 { return terminatedBy; }

// ── Delivery ─────────────────────────────────────────────────────────────────────────────────────────

/** The lowest signal `t` may take now (its own pending first, then the process's), removed from where it
 *  was pending; 0 if none. Ignored ones found on the way are discarded. Scheduler lock held. */
export function dequeue(t: Thread, b: SignalBlock, allowed: u64): i32 {
  while (true) {
    let own = b.pending & allowed;
    let shared = processPending & allowed;
    if ((own | shared) == 0) return 0;
    let fromOwn = own != 0 && (shared == 0 || ctz<u64>(own) <= ctz<u64>(shared));
    let sig = <i32>ctz<u64>(fromOwn ? own : shared) + 1;
    take(sig, fromOwn ? changetype<usize>(b) + BLOCK_RT : PROCESS_RT, fromOwn ? changetype<usize>(b) + offsetof<SignalBlock>("pending") : 0);
    if (!ignored(sig) || (b.waitSet & sigbit(sig)) != 0) return sig;
  }
}

/** Removes one `sig` from a pending set (the block's at `pendingAt`, or the process's when 0) and its
 *  real-time counts at `counts`: the bit stays while more are queued. */
function take(sig: i32, counts: usize, pendingAt: usize): void {
  if (realTime(sig)) {
    let count = counts + (<usize>(sig - SIGRTMIN) << 2);
    let left = load<u32>(count) - 1;
    store<u32>(count, left);
    if (left > 0) return;
  }
  if (pendingAt != 0) store<u64>(pendingAt, load<u64>(pendingAt) & ~sigbit(sig));
  else processPending &= ~sigbit(sig);
}

/** Whether `t` still has a signal it may take (sigWake's new value). Scheduler lock held. */
function deliverable(t: Thread): bool {
  if (t.signals == 0) return processPending != 0;   // no block: nothing blocked, nothing of its own
  let b = changetype<SignalBlock>(t.signals);
  return ((b.pending | processPending) & (~b.mask | b.waitSet)) != 0;
}

/** Clears or keeps `t`'s sigWake after its mask or pending sets changed (Linux's recalc_sigpending).
 *  Scheduler lock held. */
export function signalRecalc(t: Thread): void {
  setWake(t, deliverable(t) ? 1 : 0);
}

/** After an interrupted wait: whether the call restarts (SA_RESTART on every handler that ran, or none
 *  ran) rather than return -EINTR. */
export function signalRestarts(): bool {
  let t = changetype<Thread>(currentThread);
  return t.signals == 0 || changetype<SignalBlock>(t.signals).restart != 0;
}

/** The calling thread has a signal it may take (raise, kill, pthreadKill to itself, an unblock): it goes
 *  through the loop, which runs the handler, and comes back here. POSIX: the handler runs before the call
 *  that made the signal deliverable returns. */
export function signalCheckpoint(): void {
  let t = changetype<Thread>(currentThread);
  if (t.sigWake == 0 && !programEnded) return;   // ended: a fatal signal; the caller never runs again
  schedLockTake();
  if (programEnded) {
    // It parks with nothing to wake it, not on a run queue: there another processor, past its own look
    // at programEnded, could take it and resume it before the end reaches it (M:N).
    t.waitKind = WAIT_SIGNAL;
    t.waitAddr = 0;
    transition(t, FROM_RUNNING, STATE_BLOCKED);
  } else {
    transition(t, FROM_RUNNING, STATE_RUNNABLE);
    runQueuePushFront(t);
  }
  schedLockDrop();
  suspend();
}

// ── Waiters, the host, CPU timers, fork ──────────────────────────────────────────────────────────────

/** Whether a thread waits in sigwait for a signal the host may raise: the program is not deadlocked. */
export function signalWaitersOutside(): bool { return signalsCanArrive && sigWaiters > 0; }

/** The host says whether it may raise signals (program.signal(), forwarded process signals). */
export function signalSourceSet(on: bool): void { signalsCanArrive = on; }

/** Wakes a thread in sigwait for `t`'s signal (step 5 for a thread that waits for it). Scheduler lock held. */
export function signalWaitWake(b: SignalBlock): void {
  let word = changetype<usize>(b) + offsetof<SignalBlock>("waitWord");
  store<i32>(word, load<i32>(word) + 1);
  futexWakeLocked(word, 1);
}

/** Signals the host raised (HOST_SIGNALS): generated for the process here, on a processor, with the lock. */
export function signalsFromHost(): void {
  if (SHARED_MEMORY) {
    if (atomic.load<u64>(HOST_SIGNALS) == 0) return;
  } else if (load<u64>(HOST_SIGNALS) == 0) return;
  schedLockTake();
  let raised = SHARED_MEMORY ? atomic.xchg<u64>(HOST_SIGNALS, 0) : load<u64>(HOST_SIGNALS);
  if (!SHARED_MEMORY) store<u64>(HOST_SIGNALS, 0);
  while (raised != 0) {
    let sig = <i32>ctz<u64>(raised) + 1;
    raised &= raised - 1;
    hostSignalsSeen++;
    signalSend(null, sig);
  }
  schedLockDrop();
}

/** Whether the host raised signals not yet taken (read without the lock: the loop's cheap look). */
// @ts-ignore: decorator
@inline export function hostSignalsRaised(): bool {
  return SHARED_MEMORY ? atomic.load<u64>(HOST_SIGNALS) != 0 : load<u64>(HOST_SIGNALS) != 0;
}

/** Per-thread CPU timer: a tick charged `t` (preempt.ts) and its CPU time reached the timer. Scheduler
 *  lock held. */
export function signalCpuTimer(t: Thread): void {
  let b = changetype<SignalBlock>(t.signals);
  if (b.cpuAt <= 0 || t.cpu < b.cpuAt) return;
  b.cpuAt = b.cpuEvery > 0 ? t.cpu + b.cpuEvery : 0;
  signalSend(t, b.cpuSignal);
}

/** fork's child (core/fork.ts): nothing is pending, nobody waits in sigwait, no signal came from the host;
 *  the forker keeps its mask (POSIX). Its handlers' frames, if it forked inside one, are kept too. */
export function signalForkReset(t: Thread): void {
  processPending = 0;
  for (let i: usize = 0; i < 32 * 4; i += 4) store<u32>(PROCESS_RT + i, 0);
  store<u64>(HOST_SIGNALS, 0);
  sigWaiters = 0;
  terminatedBy = 0;
  alarmAt = 0;                                // POSIX: the child has no alarm pending
  alarmGeneration++;
  if (t.signals != 0) {
    let b = changetype<SignalBlock>(t.signals);
    b.pending = 0;
    b.waitSet = 0;
    b.cpuAt = 0;
    for (let i: usize = 0; i < 32 * 4; i += 4) store<u32>(t.signals + BLOCK_RT + i, 0);
  }
  setWake(t, 0);
}
