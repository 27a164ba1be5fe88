// Mutex: a non-recursive lock that knows its owner, on one futex word.
//
// Design note
// -----------
// Problem: most locks are taken and released without anyone else wanting them, so lock+unlock must cost a
// compare-and-swap each and nothing else; when threads do contend, a waiter must sleep (park on the futex)
// instead of spinning, and unlock must wake exactly one sleeper — but only pay for the wake when someone
// sleeps. The lock also has to say who holds it, for unlock-by-non-owner (EPERM) and for owner().
//
// Rejected: a separate owner field beside a Drepper 0/1/2 word (two stores per lock, and the owner can be
// seen stale); a ticket lock (fair, but every unlock must wake, and a sleeper cannot be skipped); spinning
// before sleeping (in N:1 a spinner only burns the time slice of the owner it waits for).
// Chosen: Drepper's "Futexes are tricky" mutex #3, with the owner's thread id in place of the value 1 and
// a WAITERS bit in place of the value 2. The word is the whole truth: 0 = free, otherwise owner | bits.
//
// ╒════════ Mutex (state word, offset 0 of the object) ════════╕
//   bit 31     WAITERS  set: someone may sleep on this word; unlock must wake one
//   bits 0..30 owner    ThreadId of the holder (ids are > 0), 0 = free
// ╘═════════════════════════════════════════════════════════════╛
// Access rule: `state` is atomic. Only the owner clears it (unlock); other threads only CAS 0 -> id
// (lock) or set WAITERS on a held word (before they sleep).
//
// Lock protocol (lockContended implements the slow path; steps refer to it):
//   1. Fast path: CAS 0 -> me. Success = locked, no waiters bit.
//   2. Slow path, loop on the value c last seen:
//      a. c == 0: CAS 0 -> me (plus WAITERS once we have slept: step 4). Success = locked.
//      b. c's owner is me: EDEADLK (non-recursive; without the check we would sleep forever).
//      c. WAITERS not set in c: CAS c -> c | WAITERS; on failure restart with the new value. Ordering
//         matters: the bit must be in the word before we sleep, or unlock takes its fast path and never
//         wakes us.
//      d. Timed and the deadline has passed: give up (ETIMEDOUT). We leave only after step c, so the word
//         still carries WAITERS for anyone else who sleeps: giving up never strands a sleeper.
//      e. futexWaitFor(state, c | WAITERS, WAIT_MUTEX): sleeps unless the word changed meanwhile.
//   3. Unlock fast path: CAS me -> 0. It fails only if WAITERS is set (or the caller is not the owner).
//   4. Unlock slow path: store 0, futexWake(state, 1). The woken thread, and any thread that has slept,
//      locks with WAITERS already set (2a), because unlock cleared the bit while others may still sleep.
//      That costs at most one spurious wake at the end of a contended run, and never loses a wake.
//
// Not fair: a running thread can take the lock between an unlock and the woken sleeper's retry (barging).
// That is what keeps the uncontended path short; the woken thread re-sets WAITERS and sleeps again.

import { atomicCas, atomicExchange, atomicLoad } from "../../core/atomics";
import { futexWaitFor, futexWake, WAIT_MUTEX } from "../../core/futex";
import { self, ThreadId } from "../../core/thread";
import { now } from "../clock";
import { EDEADLK, EPERM, ETIMEDOUT, EOWNERDEAD, ENOTRECOVERABLE, EINVAL } from "../../core/errno";
import { ownerFate } from "../../core/fork";
import { waitForCheck, waitForDone } from "../../core/waitfor";
import { currentThread } from "../../core/scheduler";
import { Thread as ThreadRecord } from "../../core/layout";
import { printError } from "../console";

// @ts-ignore: decorator
@inline const WAITERS: i32 = 1 << 31;
// @ts-ignore: decorator
@inline const OWNER_MASK: i32 = 0x7fffffff;

// ─── Deadlines (shared by the timed calls of every primitive in assembly/sync) ───

/** The monotonic time `ms` from now, or -1 (no deadline) when `ms` is negative. */
export function deadlineAfter(ms: f64): f64 {
  return ms < 0 ? -1 : now() + ms;
}

/** Milliseconds left until `deadline`: -1 for no deadline (wait forever), 0 when it has passed. */
export function msUntil(deadline: f64): f64 {
  if (deadline < 0) return -1;
  let left = deadline - now();
  return left > 0 ? left : 0;
}

// ─── Slow paths (not inlined: they keep the fast paths a handful of instructions) ───

/** Lock protocol, step 2. Returns 0, EDEADLK, or ETIMEDOUT (only with a deadline >= 0). */
function lockContended(mutex: Mutex, me: ThreadId, deadline: f64): i32 {
  if (me <= 0) abort("Mutex.lock: thread id " + me.toString() + " does not fit the owner field");
  if (mutex.robustState & NOT_RECOVERABLE) return ENOTRECOVERABLE;
  let addr = mutex.stateAddress();
  let lockBits = me;
  let c = atomicLoad(addr);
  while (true) {
    if (c == 0) {                                                   // 2a
      c = atomicCas(addr, 0, lockBits);
      if (c == 0) return 0;
      continue;
    }
    if ((c & OWNER_MASK) == me) return EDEADLK;                     // 2b
    if ((c & WAITERS) == 0) {                                       // 2c
      let seen = atomicCas(addr, c, c | WAITERS);
      if (seen != c) { c = seen; continue; }
      c |= WAITERS;
    }
    let wait = msUntil(deadline);                                   // 2d
    if (wait == 0) return ETIMEDOUT;
    let fate = ownerFate(c & OWNER_MASK);                           // "Owners that are gone"
    if (fate != 0) {
      // The owner may have unlocked and ended since `c` was read: gone while the word still names it
      // (an ended thread never writes the word again) is gone holding the mutex.
      let word = atomicLoad(addr);
      if (word != c) { c = word; continue; }
      if (mutex.robustState & ROBUST) {
        let seen = atomicCas(addr, c, me | WAITERS);            // WAITERS: unlock takes the slow path
        if (seen != c) { c = seen; continue; }
        mutex.robustState |= INCONSISTENT;
        return EOWNERDEAD;
      }
      ownerGone(mutex, me, c & OWNER_MASK, fate);
    } else if (deadline < 0) waitForCheck(changetype<ThreadRecord>(currentThread), WAIT_MUTEX, addr);   // a cycle? (core/waitfor.ts; a timed wait ends anyway)
    futexWaitFor(addr, c, wait, WAIT_MUTEX);                        // 2e
    waitForDone(changetype<ThreadRecord>(currentThread));
    lockBits = me | WAITERS;                                        // step 4
    c = atomicLoad(addr);
  }
}

/** A thread is about to sleep on a mutex whose owner is gone and will never unlock it: says so once per
 *  mutex (the deadlock report names it too, if nothing else runs). */
function ownerGone(mutex: Mutex, me: ThreadId, owner: ThreadId, fate: i32): void {
  if (mutex.robustState & WARNED) return;
  mutex.robustState |= WARNED;
  printError("weft: thread " + me.toString() + " waits for mutex at 0x" + mutex.stateAddress().toString(16) +
    " held by thread " + owner.toString() + (fate == 1
      ? ", which does not exist in this process: it was not copied by fork()"
      : ", which has ended holding it") + "; a robust Mutex would say EOWNERDEAD");
}

/** Unlock protocol, step 4 (or EPERM when the caller does not hold the mutex). */
function unlockContended(mutex: Mutex, me: ThreadId): i32 {
  if (mutex.robustState & INCONSISTENT) return unlockInconsistent(mutex, me);
  let addr = mutex.stateAddress();
  let c = atomicLoad(addr);
  if (c == 0 || (c & OWNER_MASK) != me) return EPERM;
  // Only the owner clears the word and WAITERS is the only bit others add, so c is me | WAITERS here.
  atomicExchange(addr, 0);
  futexWake(addr, 1);
  return 0;
}

// ─── Owners that are gone ───
//
// A mutex held by a thread that ended, or that fork() did not copy into this process (core/fork.ts), is
// never unlocked. A thread about to sleep on one looks at its owner (ownerFate): a plain mutex says so once
// on stderr and sleeps (the deadlock report names the owner too); a robust one is taken over, and lock
// returns EOWNERDEAD. Looked at only on the slow path, just before sleeping.

// @ts-ignore: decorator
@inline const ROBUST: i32 = 1;
// @ts-ignore: decorator
@inline const INCONSISTENT: i32 = 2;
// @ts-ignore: decorator
@inline const NOT_RECOVERABLE: i32 = 4;
// @ts-ignore: decorator
@inline const WARNED: i32 = 8;

/** A robust mutex unlocked while inconsistent (consistent() was not called): it becomes unusable. */
function unlockInconsistent(mutex: Mutex, me: ThreadId): i32 {
  if ((atomicLoad(mutex.stateAddress()) & OWNER_MASK) != me) return EPERM;
  mutex.robustState = (mutex.robustState & ~INCONSISTENT) | NOT_RECOVERABLE;
  atomicExchange(mutex.stateAddress(), OWNER_MASK);               // never free again: every lock takes the slow path
  futexWake(mutex.stateAddress(), -1);
  return 0;
}

// ─── The lock ───

/** A non-recursive mutual-exclusion lock (pthread_mutex_t with error checking / Go's sync.Mutex). */
@final export class Mutex {
  /** See the layout above. Atomic. */
  private state: i32 = 0;
  /** ROBUST, INCONSISTENT, NOT_RECOVERABLE, WARNED ("Owners that are gone"). Changed by the owner only
   *  (and WARNED, a hint, by any waiter). */
  robustState: i32 = 0;

  /** `robust`: as pthread_mutexattr_setrobust — when the owner is gone (it ended, or fork did not copy
   *  it), lock takes the mutex and returns EOWNERDEAD instead of waiting for ever; the new owner repairs
   *  what it guards and calls consistent(), or unlocks it and every later lock says ENOTRECOVERABLE. */
  constructor(robust: bool = false) { if (robust) this.robustState = ROBUST; }

  /** The address of the futex word (for deadlock reports and the sync tests). */
  // @ts-ignore: decorator
  @inline stateAddress(): usize { return changetype<usize>(this) + offsetof<Mutex>("state"); }

  /** Locks, sleeping while another thread holds the mutex. Returns 0, or EDEADLK if the caller holds it. */
  // @ts-ignore: decorator
  @inline lock(): i32 {
    let me = self();
    if (atomicCas(this.stateAddress(), 0, me) == 0) return 0;      // step 1
    return lockContended(this, me, -1);
  }

  /** Locks if the mutex is free. False when it is held, also when held by the caller. */
  // @ts-ignore: decorator
  @inline tryLock(): bool {
    return atomicCas(this.stateAddress(), 0, self()) == 0;
  }

  /** Locks, waiting at most `ms` milliseconds. False on timeout (and at once if the caller holds it). */
  lockTimed(ms: f64): bool {
    let me = self();
    if (atomicCas(this.stateAddress(), 0, me) == 0) return true;
    return lockContended(this, me, deadlineAfter(ms < 0 ? 0 : ms)) == 0;
  }

  /** Unlocks. Returns 0, or EPERM when the caller does not hold the mutex (which is left unchanged). */
  // @ts-ignore: decorator
  @inline unlock(): i32 {
    let me = self();
    if (atomicCas(this.stateAddress(), me, 0) == me) return 0;     // step 3 (a robust mutex taken over
    return unlockContended(this, me);                              // carries WAITERS: never this path)
  }

  /** A robust mutex taken with EOWNERDEAD: what it guards is repaired, the mutex is usable again. EINVAL
   *  unless the caller holds it in that state. */
  consistent(): i32 {
    if ((this.robustState & INCONSISTENT) == 0 || this.owner() != self()) return EINVAL;
    this.robustState &= ~INCONSISTENT;
    return 0;
  }

  /** The thread that holds the mutex, 0 when free. A snapshot: it may change as soon as it is read. */
  owner(): ThreadId {
    return atomicLoad(this.stateAddress()) & OWNER_MASK;
  }

  /** True when the mutex is held (by anyone). A snapshot. */
  isLocked(): bool {
    return atomicLoad(this.stateAddress()) != 0;
  }
}
