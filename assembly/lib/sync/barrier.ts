// Barrier: `count` threads meet, then all go on; reusable round after round.
//
// Design note
// -----------
// Problem: the last of `count` arrivals must release the others, exactly one arrival per round must be
// told it is the serial one, and a fast thread that races into the next round must not be confused with
// the stragglers of the round before.
//
// Rejected: a mutex + cond pair (works, but every arrival takes the lock); a "sense-reversing" flag (the
// same idea with one bit; a generation counter says the same and cannot be mistaken after two rounds).
// Chosen: an arrival counter and a generation counter. Arrivals sleep on the generation; the last arrival
// resets the counter and bumps the generation, which is the futex word, then wakes everyone.
//
// ╒════════ Barrier (offsets in the object) ════════╕
//   0 │ generation  i32  rounds completed (wraps); the futex word
//   4 │ arrived     i32  threads that reached wait() this round
//   8 │ count       i32  threads per round, > 0; set once by the constructor
// ╘═════════════════════════════════════════════════╛
// Access rule: `generation` and `arrived` atomic; `count` immutable after construction.
//
// Wait protocol:
//   1. g = generation. Ordering: read before step 2, so the round we join is the one we counted in: the
//      generation cannot move on until our own arrival has been counted.
//   2. n = arrived += 1.
//   3. n == count (the serial thread): arrived = 0, THEN generation += 1, then futexWake(generation, all);
//      return true. Ordering: the reset comes before the bump, because a released thread may call wait()
//      again at once and must find a zeroed counter.
//   4. Otherwise sleep on futexWaitFor(generation, g, WAIT_BARRIER) until generation != g; return false.
//
// Invalid count: `new Barrier(count)` with count <= 0 aborts ("Barrier: count must be > 0") because a
// constructor cannot return an error number; Barrier.create(count) is the checked form and returns null
// (pthread_barrier_init's EINVAL) instead.
// More than `count` threads in one round is a caller error: the extra ones count toward the next round.

import { atomicAdd, atomicLoad, atomicStore } from "../../core/atomics";
import { futexWaitFor, futexWake, WAIT_BARRIER } from "../../core/futex";

/** A reusable barrier (pthread_barrier_t). */
@final export class Barrier {
  /** Atomic. Rounds completed; the futex word. */
  private generation: i32 = 0;
  /** Atomic. Arrivals in the current round. */
  private arrived: i32 = 0;
  /** Immutable. Threads per round. */
  private count: i32;

  /** A barrier for `count` threads. Aborts when count <= 0 (see "Invalid count"). */
  constructor(count: i32) {
    if (count <= 0) abort("Barrier: count must be > 0, got " + count.toString());
    this.count = count;
  }

  /** A barrier for `count` threads, or null (EINVAL) when count <= 0. */
  static create(count: i32): Barrier | null {
    return count <= 0 ? null : new Barrier(count);
  }

  // @ts-ignore: decorator
  @inline private generationAddress(): usize { return changetype<usize>(this) + offsetof<Barrier>("generation"); }
  // @ts-ignore: decorator
  @inline private arrivedAddress(): usize { return changetype<usize>(this) + offsetof<Barrier>("arrived"); }

  /** Waits until `count` threads have called wait this round. True for exactly one of them per round. */
  wait(): bool {
    let generationAddr = this.generationAddress();
    let round = atomicLoad(generationAddr);                            // 1
    let arrivals = atomicAdd(this.arrivedAddress(), 1) + 1;            // 2
    if (arrivals == this.count) {                                      // 3
      atomicStore(this.arrivedAddress(), 0);
      atomicAdd(generationAddr, 1);
      futexWake(generationAddr, -1);
      return true;
    }
    while (atomicLoad(generationAddr) == round) {                      // 4
      futexWaitFor(generationAddr, round, -1, WAIT_BARRIER);
    }
    return false;
  }

  /** Threads per round. */
  threads(): i32 {
    return this.count;
  }

  /** Rounds completed so far (wraps). */
  rounds(): i32 {
    return atomicLoad(this.generationAddress());
  }
}
