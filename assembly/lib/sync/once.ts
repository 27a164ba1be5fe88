// Once: run a function exactly once, however many threads race to call it.
//
// Design note
// -----------
// Problem: the first caller runs the function; every other caller, concurrent or later, must return only
// after it has finished (so it sees everything the function did), and after that a call must cost one
// load.
//
// Rejected: a mutex + done flag (Go's sync.Once: a lock per slow call, two words); spinning on a flag
// (in N:1 the spinner never lets the runner finish).
// Chosen: one state word that is also the futex word, with a waiters state so the runner calls futexWake
// only when someone sleeps.
//
// ╒════════ Once (offsets in the object) ════════╕
//   0 │ state   i32  NEW -> RUNNING [-> RUNNING_WAITED] -> DONE; the futex word
//   4 │ runner  i32  ThreadId running the function while RUNNING*, else 0
// ╘══════════════════════════════════════════════╛
// States:
//   NEW             nobody has called yet.
//   RUNNING         a caller (runner) is inside the function; nobody sleeps.
//   RUNNING_WAITED  as RUNNING, and at least one caller sleeps on the word.
//   DONE            the function returned. Final.
// Access rule: `state` atomic, every change by CAS or exchange. `runner` is written by the runner only
// (before it runs the function, cleared before DONE); others read it only to ask "is it me?".
//
// Call protocol:
//   1. state == DONE: return (the fast path, one load).
//   2. CAS NEW -> RUNNING won: runner = me; run the function; runner = 0; old = exchange(state, DONE);
//      if old was RUNNING_WAITED, futexWake(state, all).
//   3. Otherwise: if the runner is the caller, the function called its own Once: EDEADLK. Else set
//      RUNNING -> RUNNING_WAITED (CAS; restart on failure), then futexWaitFor(state, RUNNING_WAITED,
//      WAIT_ONCE) and loop until DONE. Ordering: the WAITED bit is set before sleeping, so the runner's
//      exchange in step 2 sees it.
// The function cannot fail (AssemblyScript has no exceptions): if it traps, its thread dies while RUNNING
// and the waiters sleep on; the deadlock report then names the once.

import { atomicCas, atomicExchange, atomicLoad } from "../../core/atomics";
import { futexWaitFor, futexWake, WAIT_ONCE } from "../../core/futex";
import { self } from "../../core/thread";
import { EDEADLK } from "../../core/errno";

// @ts-ignore: decorator
@inline const NEW: i32 = 0;
// @ts-ignore: decorator
@inline const RUNNING: i32 = 1;
// @ts-ignore: decorator
@inline const RUNNING_WAITED: i32 = 2;
// @ts-ignore: decorator
@inline const DONE: i32 = 3;

/** Step 3: wait for the runner. Returns 0, or EDEADLK when called from inside the function. */
function waitForRunner(once: Once): i32 {
  let addr = once.stateAddress();
  let state = atomicLoad(addr);
  while (state != DONE) {
    if (once.runningThread() == self()) return EDEADLK;
    if (state == RUNNING) {
      let seen = atomicCas(addr, RUNNING, RUNNING_WAITED);
      if (seen != RUNNING) { state = seen; continue; }
    }
    futexWaitFor(addr, RUNNING_WAITED, -1, WAIT_ONCE);
    state = atomicLoad(addr);
  }
  return 0;
}

/** Runs a function once (pthread_once_t / Go's sync.Once). */
@final export class Once {
  /** Atomic. NEW, RUNNING, RUNNING_WAITED or DONE. */
  private state: i32 = NEW;
  /** Written by the runner only. */
  private runner: i32 = 0;

  // @ts-ignore: decorator
  @inline stateAddress(): usize { return changetype<usize>(this) + offsetof<Once>("state"); }
  /** The thread running the function now, 0 if none. Exact only when the answer is the caller itself. */
  // @ts-ignore: decorator
  @inline runningThread(): i32 { return this.runner; }

  /**
   * Runs `fn` if no call has run it yet; otherwise waits until the call that runs it has finished.
   * Returns 0, or EDEADLK when `fn` itself calls this Once (it is not run again).
   */
  call(fn: () => void): i32 {
    let addr = this.stateAddress();
    if (atomicLoad(addr) == DONE) return 0;                             // 1
    if (atomicCas(addr, NEW, RUNNING) == NEW) {                         // 2
      this.runner = self();
      fn();
      this.runner = 0;
      if (atomicExchange(addr, DONE) == RUNNING_WAITED) futexWake(addr, -1);
      return 0;
    }
    return waitForRunner(this);                                         // 3
  }

  /** True once the function has run to the end. */
  done(): bool {
    return atomicLoad(this.stateAddress()) == DONE;
  }
}
