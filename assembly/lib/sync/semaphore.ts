// Semaphore: a counting semaphore whose count is its futex word.
//
// Design note
// -----------
// Problem: acquire takes one unit, sleeping while there are none; release(n) adds n units and must wake up
// to n sleepers, but should not call into the futex when nobody sleeps.
//
// Rejected: a mutex + cond pair (three words and a lock round trip per acquire); encoding the waiter count
// in the value word as glibc does (saves a word, costs clarity, and our waits are not a syscall).
// Chosen: the count itself is the futex word, plus a separate count of sleepers.
//
// ╒════════ Semaphore (offsets in the object) ════════╕
//   0 │ value    i32  units available, >= 0; the futex word
//   4 │ waiters  i32  threads inside the acquire slow path
// ╘═══════════════════════════════════════════════════╛
// Access rule: both atomic. `value` only changes by CAS (never below 0, never past I32.MAX_VALUE).
//
// Acquire protocol (acquireContended):
//   1. waiters += 1. Ordering: before step 2's load, so a release that runs after that load sees a
//      sleeper (release adds first, then reads waiters: one of the two sees the other).
//   2. Take a unit if value > 0 (CAS value -> value - 1): done.
//   3. Timed and past the deadline: give up. Step 2 comes first, so a wake-up that arrives at the deadline
//      still gets its unit instead of being lost.
//   4. futexWaitFor(value, 0, WAIT_SEMAPHORE): sleeps only while the value is still 0. Back to 2.
//   5. waiters -= 1 on the way out.
// Release protocol: 1. value += n (CAS, refusing overflow); 2. if waiters > 0, futexWake(value, n).
// A woken thread can lose its unit to a running thread that acquires first (no FIFO hand-off); it then
// sleeps again. Units are never stranded: each unit either went to someone or left a sleeper awake.

import { atomicAdd, atomicCas, atomicLoad, atomicSub } from "../../core/atomics";
import { futexWaitFor, futexWake, WAIT_SEMAPHORE } from "../../core/futex";
import { EINVAL } from "../../core/errno";
import { deadlineAfter, msUntil } from "./mutex";

/** Acquire protocol, steps 1-5. True when a unit was taken, false on timeout. */
function acquireContended(sem: Semaphore, deadline: f64): bool {
  let valueAddr = sem.valueAddress();
  atomicAdd(sem.waitersAddress(), 1);                                  // 1
  let taken = false;
  while (true) {
    if (sem.tryAcquire()) { taken = true; break; }                     // 2
    let wait = msUntil(deadline);                                      // 3
    if (wait == 0) break;
    futexWaitFor(valueAddr, 0, wait, WAIT_SEMAPHORE);                  // 4
  }
  atomicSub(sem.waitersAddress(), 1);                                  // 5
  return taken;
}

/** A counting semaphore (sem_t / a buffered channel of empty values). */
@final export class Semaphore {
  /** Atomic. Units available; the futex word. */
  private count: i32 = 0;
  /** Atomic. Threads in the acquire slow path. */
  private waiters: i32 = 0;

  /** `initial` units. A negative `initial` is a programming error: aborts (see Semaphore.create). */
  constructor(initial: i32 = 0) {
    if (initial < 0) abort("Semaphore: initial value must be >= 0, got " + initial.toString());
    this.count = initial;
  }

  /** A semaphore with `initial` units, or null when `initial` < 0 (the checked form of `new`). */
  static create(initial: i32): Semaphore | null {
    return initial < 0 ? null : new Semaphore(initial);
  }

  // @ts-ignore: decorator
  @inline valueAddress(): usize { return changetype<usize>(this) + offsetof<Semaphore>("count"); }
  // @ts-ignore: decorator
  @inline waitersAddress(): usize { return changetype<usize>(this) + offsetof<Semaphore>("waiters"); }

  /** Takes a unit if one is available, without waiting. */
  tryAcquire(): bool {
    let addr = this.valueAddress();
    let value = atomicLoad(addr);
    while (value > 0) {
      let seen = atomicCas(addr, value, value - 1);
      if (seen == value) return true;
      value = seen;
    }
    return false;
  }

  /** Takes a unit, sleeping until one is released. */
  acquire(): void {
    if (!this.tryAcquire()) acquireContended(this, -1);
  }

  /** Takes a unit, waiting at most `ms` milliseconds. False on timeout. */
  acquireTimed(ms: f64): bool {
    return this.tryAcquire() || acquireContended(this, deadlineAfter(ms < 0 ? 0 : ms));
  }

  /** Adds `n` units and wakes up to `n` sleepers. Returns 0, or EINVAL if n < 0 or the count would overflow. */
  release(n: i32 = 1): i32 {
    if (n < 0) return EINVAL;
    if (n == 0) return 0;
    let addr = this.valueAddress();
    let value = atomicLoad(addr);
    while (true) {
      if (value > I32.MAX_VALUE - n) return EINVAL;
      let seen = atomicCas(addr, value, value + n);
      if (seen == value) break;
      value = seen;
    }
    if (atomicLoad(this.waitersAddress()) > 0) futexWake(addr, n);
    return 0;
  }

  /** Units available now (a snapshot; never negative). */
  value(): i32 {
    return atomicLoad(this.valueAddress());
  }
}
