// Signals: the calls a program makes (lib/signal.ts wraps these): sigaction, the mask, what is pending,
// sigwait. Generation and delivery are signal.ts (its design note), a handler's frame sigframe.ts.

import { Thread } from "./layout";
import { schedLockTake, schedLockDrop } from "./processor";
import { currentThread } from "./scheduler";
import { futexWaitFor, FUTEX_INTERRUPTED, WAIT_SIGNAL } from "./futex";
import { threadAt, threadTableUsed } from "./table";
import { hostNow } from "./host";
import { EAGAIN, EINVAL, EINTR } from "./errno";
import {
  SIGKILL, SIGSTOP, SIGRTMIN, SIG_DFL, SIG_BLOCK, SIG_UNBLOCK, UNBLOCKABLE, sigbit, validSignal, realTime,
} from "./signum";
import {
  SignalBlock, PROCESS_RT, BLOCK_RT, processPending, sigWaiters, actionAt, handlerOf, ignored, maskOf, signalBlockOf,
  dequeue, signalRecalc, signalRestarts, signalCheckpoint,
} from "./signal";

/** Sets `sig`'s disposition. 0 or -EINVAL (a bad number; SIGKILL or SIGSTOP). */
export function signalAction(sig: i32, handler: usize, flags: u32, mask: u64): i32 {
  if (!validSignal(sig) || sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
  schedLockTake();
  let action = actionAt(sig);
  store<usize>(action, handler);
  store<u32>(action, flags, 4);
  store<u64>(action, mask, 8);
  // POSIX: setting SIG_IGN (or SIG_DFL of an ignored-by-default signal) discards it where it is pending.
  if (ignored(sig)) discardPending(sig);
  schedLockDrop();
  return 0;
}

/** Drops every pending `sig` (it became ignored). Scheduler lock held. */
function discardPending(sig: i32): void {
  let bit = sigbit(sig);
  processPending &= ~bit;
  if (realTime(sig)) store<u32>(PROCESS_RT + (<usize>(sig - SIGRTMIN) << 2), 0);
  let used = threadTableUsed();
  for (let i: u32 = 0; i < used; i++) {
    let tp = threadAt(i);
    if (tp == 0 || changetype<Thread>(tp).signals == 0) continue;
    let b = changetype<SignalBlock>(changetype<Thread>(tp).signals);
    b.pending &= ~bit;
    if (realTime(sig)) store<u32>(changetype<usize>(b) + BLOCK_RT + (<usize>(sig - SIGRTMIN) << 2), 0);
  }
}

/** The raw disposition of `sig` (SIG_DFL, SIG_IGN or a Function), and its flags. */
export function signalHandler(sig: i32): usize { return validSignal(sig) ? handlerOf(sig) : SIG_DFL; }
export function signalFlags(sig: i32): u32 { return validSignal(sig) ? load<u32>(actionAt(sig), 4) : 0; }

/** Changes the calling thread's mask (SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK); returns the old one, or -1 as
 *  u64 for a bad `how` (the caller checks `how` first). A signal it unblocks that is pending runs its
 *  handler before this returns. */
export function signalMask(how: i32, set: u64): u64 {
  let t = changetype<Thread>(currentThread);
  schedLockTake();
  let b = signalBlockOf(t);
  if (b === null) { schedLockDrop(); return 0; }
  let old = b.mask;
  set &= ~UNBLOCKABLE;
  if (how == SIG_BLOCK) b.mask = old | set;
  else if (how == SIG_UNBLOCK) b.mask = old & ~set;
  else b.mask = set;
  signalRecalc(t);
  schedLockDrop();
  signalCheckpoint();
  return old;
}

/** The calling thread's mask. */
export function signalMaskOf(): u64 { return maskOf(changetype<Thread>(currentThread)); }

/** What is pending for the calling thread: its own and the process's. */
export function signalPending(): u64 {
  let t = changetype<Thread>(currentThread);
  schedLockTake();
  let own = t.signals != 0 ? changetype<SignalBlock>(t.signals).pending : 0;
  let all = own | processPending;
  schedLockDrop();
  return all;
}

/** Waits until one of `set` is pending for the calling thread, takes it and returns its number; or, after
 *  `timeoutMs` (< 0: forever), -EAGAIN; or -EINTR when a handler of another signal ran meanwhile. */
export function signalWait(set: u64, timeoutMs: f64): i32 {
  let t = changetype<Thread>(currentThread);
  set &= ~UNBLOCKABLE;
  if (set == 0) return -EINVAL;
  let deadline = timeoutMs >= 0 ? hostNow() + timeoutMs : Infinity;
  while (true) {
    schedLockTake();
    let b = signalBlockOf(t);
    if (b === null) { schedLockDrop(); return -EAGAIN; }
    let sig = dequeue(t, b, set);
    if (sig != 0) { b.waitSet = 0; signalRecalc(t); schedLockDrop(); return sig; }
    let left = deadline - hostNow();
    if (left <= 0) { schedLockDrop(); return -EAGAIN; }
    b.waitSet = set;
    let word = changetype<usize>(b) + offsetof<SignalBlock>("waitWord");
    let seen = load<i32>(word);
    sigWaiters++;
    schedLockDrop();
    let result = waitOnWord(word, seen, deadline == Infinity ? -1 : left);
    schedLockTake();
    sigWaiters--;
    b.waitSet = 0;
    signalRecalc(t);
    schedLockDrop();
    if (result == FUTEX_INTERRUPTED && !signalRestarts()) return -EINTR;
  }
}

// @ts-ignore: decorator
@inline function waitOnWord(word: usize, seen: i32, timeoutMs: f64): i32 {
  return futexWaitFor(word, seen, timeoutMs, WAIT_SIGNAL);
}
