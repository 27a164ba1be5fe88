// Cond: a condition variable on a sequence-number futex.
//
// Design note
// -----------
// Problem: a waiter must release its mutex and go to sleep as one step with respect to signals: a signal
// sent after the waiter let go of the mutex must not be lost, even if the waiter has not slept yet.
//
// Rejected: a queue of waiter records (needs its own lock and per-waiter memory; the futex already keeps
// the queue); a plain flag (a second signal overwrites the first).
// Chosen: a sequence word. A waiter reads the sequence while it still holds the mutex, unlocks, and sleeps
// only if the sequence is unchanged (futexWait compares atomically). Every signal and broadcast bumps the
// sequence first, so one that comes between the unlock and the sleep turns the sleep into an immediate
// return. A waiter count lets signal skip futexWake when nobody waits.
//
// ╒════════ Cond (offsets in the object) ════════╕
//   0 │ sequence  i32  bumped by every signal/broadcast; the futex word waiters sleep on
//   4 │ waiters   i32  threads between "about to wait" and "woke up"
// ╘══════════════════════════════════════════════╛
// Access rule: both fields atomic. `sequence` wraps; a waiter is fooled only if exactly 2^32 signals come
// between its read and its sleep.
//
// Wait protocol (Cond.waitUntil):
//   1. Check that the caller holds the mutex (EPERM otherwise).
//   2. waiters += 1. Ordering: before the unlock in step 4, so a signaller that changes the predicate under
//      the mutex after we checked it is sure to see waiters > 0 and wake.
//   3. s = sequence (still holding the mutex).
//   4. Unlock the mutex.
//   5. futexWaitFor(sequence, s, WAIT_COND): returns at once if a signal came after step 3.
//   6. waiters -= 1; lock the mutex again (always, also on timeout); report ETIMEDOUT if the futex did.
// Signal protocol: 1. sequence += 1; 2. if waiters > 0, futexWake(sequence, 1) (broadcast: all).
//
// Semantics (POSIX): wait may return without a signal (spuriously), and one signal may release more than
// one waiter (a waiter between steps 4 and 5 returns on the bumped sequence while futexWake wakes a
// sleeper). Callers loop on their predicate. A broadcast releases every thread waiting when it is sent.

import { atomicAdd, atomicLoad, atomicSub } from "../../core/atomics";
import { futexWaitFor, futexWake, FUTEX_TIMED_OUT, WAIT_COND } from "../../core/futex";
import { self } from "../../core/thread";
import { EPERM, ETIMEDOUT } from "../../core/errno";
import { Mutex, deadlineAfter, msUntil } from "./mutex";

/** A condition variable (pthread_cond_t / Go's sync.Cond), used with any Mutex. */
@final export class Cond {
  /** Atomic. The futex word. */
  private sequence: i32 = 0;
  /** Atomic. Threads inside wait. */
  private waiters: i32 = 0;

  // @ts-ignore: decorator
  @inline private sequenceAddress(): usize { return changetype<usize>(this) + offsetof<Cond>("sequence"); }
  // @ts-ignore: decorator
  @inline private waitersAddress(): usize { return changetype<usize>(this) + offsetof<Cond>("waiters"); }

  /** The wait protocol above; `timeoutMs` < 0 waits forever. Returns 0, EPERM or ETIMEDOUT. */
  private waitFor(mutex: Mutex, timeoutMs: f64): i32 {
    if (mutex.owner() != self()) return EPERM;                          // 1
    let deadline = deadlineAfter(timeoutMs);
    atomicAdd(this.waitersAddress(), 1);                                // 2
    let seen = atomicLoad(this.sequenceAddress());                      // 3
    mutex.unlock();                                                     // 4
    let result = futexWaitFor(this.sequenceAddress(), seen, msUntil(deadline), WAIT_COND); // 5
    atomicSub(this.waitersAddress(), 1);                                // 6
    mutex.lock();
    return result == FUTEX_TIMED_OUT ? ETIMEDOUT : 0;
  }

  /** Releases `mutex`, sleeps until signalled, locks `mutex` again. 0, or EPERM if the caller does not hold it. */
  wait(mutex: Mutex): i32 {
    return this.waitFor(mutex, -1);
  }

  /** Like wait, giving up after `ms` milliseconds: 0 or ETIMEDOUT, holding the mutex either way (or EPERM). */
  waitTimed(mutex: Mutex, ms: f64): i32 {
    return this.waitFor(mutex, ms < 0 ? 0 : ms);
  }

  /** Wakes at least one waiting thread, if any wait. */
  signal(): void {
    atomicAdd(this.sequenceAddress(), 1);
    if (atomicLoad(this.waitersAddress()) > 0) futexWake(this.sequenceAddress(), 1);
  }

  /** Wakes every waiting thread. */
  broadcast(): void {
    atomicAdd(this.sequenceAddress(), 1);
    if (atomicLoad(this.waitersAddress()) > 0) futexWake(this.sequenceAddress(), -1);
  }

  /** Threads currently inside wait/waitTimed (a snapshot, for tests and diagnostics). */
  waiting(): i32 {
    return atomicLoad(this.waitersAddress());
  }
}
