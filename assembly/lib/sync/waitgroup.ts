// WaitGroup: wait until a counter of outstanding tasks drops to zero (Go's sync.WaitGroup).
//
// Design note
// -----------
// Problem: add(n) / done() move a counter; wait() sleeps until the counter is zero; the transition to zero
// must wake every waiter, and other transitions must not call into the futex at all.
//
// Rejected: Go's packing of counter and waiter count into one 64-bit word (weft's atomics are 32-bit);
// a mutex + cond pair (a lock round trip per done()).
// Chosen: the counter is the futex word; a separate waiter count tells the zero transition whether to wake.
//
// ╒════════ WaitGroup (offsets in the object) ════════╕
//   0 │ counter  i32  outstanding tasks, >= 0; the futex word
//   4 │ waiters  i32  threads inside wait()
// ╘═══════════════════════════════════════════════════╛
// Access rule: both atomic.
//
// Wait protocol:
//   1. waiters += 1. Ordering: before step 2's load, so a done() that reaches zero after that load sees a
//      waiter (done() changes the counter first, then reads waiters: one of the two sees the other).
//   2. c = counter; zero -> step 4.
//   3. futexWaitFor(counter, c, WAIT_WAITGROUP): sleeps only while the counter still holds c; back to 2.
//   4. waiters -= 1.
// Add protocol: 1. c = (counter += n); 2. c < 0 -> abort; 3. c == 0 and waiters > 0 -> futexWake(all).
//
// A negative counter is misuse that has already corrupted the group's meaning (more done() than add()),
// and Go panics on it; weft aborts with "WaitGroup.add: negative counter (...)". It is the one sync misuse
// that aborts instead of returning an errno: add() and done() have no caller that could act on an error.

import { atomicAdd, atomicLoad, atomicSub } from "../../core/atomics";
import { futexWaitFor, futexWake, WAIT_WAITGROUP } from "../../core/futex";

/** Counts outstanding tasks; wait() returns when the count is zero. */
@final export class WaitGroup {
  /** Atomic. Outstanding tasks; the futex word. */
  private counter: i32 = 0;
  /** Atomic. Threads inside wait(). */
  private waiters: i32 = 0;

  // @ts-ignore: decorator
  @inline private counterAddress(): usize { return changetype<usize>(this) + offsetof<WaitGroup>("counter"); }
  // @ts-ignore: decorator
  @inline private waitersAddress(): usize { return changetype<usize>(this) + offsetof<WaitGroup>("waiters"); }

  /** Adds `delta` (may be negative) to the counter; wakes the waiters when it reaches zero. Aborts below zero. */
  add(delta: i32): void {
    let addr = this.counterAddress();
    let counter = atomicAdd(addr, delta) + delta;                      // 1
    if (counter < 0) {                                                 // 2
      abort("WaitGroup.add: negative counter (" + counter.toString() + ")");
    }
    if (counter == 0 && atomicLoad(this.waitersAddress()) > 0) futexWake(addr, -1); // 3
  }

  /** One task finished: add(-1). */
  done(): void {
    this.add(-1);
  }

  /** Sleeps until the counter is zero. */
  wait(): void {
    let addr = this.counterAddress();
    if (atomicLoad(addr) == 0) return;
    atomicAdd(this.waitersAddress(), 1);                               // 1
    let counter = atomicLoad(addr);                                    // 2
    while (counter != 0) {
      futexWaitFor(addr, counter, -1, WAIT_WAITGROUP);                 // 3
      counter = atomicLoad(addr);
    }
    atomicSub(this.waitersAddress(), 1);                               // 4
  }

  /** Outstanding tasks now (a snapshot). */
  count(): i32 {
    return atomicLoad(this.counterAddress());
  }
}
