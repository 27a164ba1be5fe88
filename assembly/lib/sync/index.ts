// weft's blocking sync primitives, each a user-space fast path on core/atomics.ts and a slow path that parks on
// core/futex.ts with its WAIT_* kind (so a deadlock report names the primitive and its address).
//
//   Mutex      non-recursive, owner-checked lock (mutex.ts)
//   Cond       condition variable on a sequence futex (cond.ts)
//   RwLock     readers-writer lock, writer-preferring (rwlock.ts)
//   Semaphore  counting semaphore (semaphore.ts)
//   Barrier    reusable barrier with one serial thread per round (barrier.ts)
//   Once       run a function exactly once (once.ts)
//   WaitGroup  wait for a counter of tasks to reach zero (waitgroup.ts)
//
// Misuse that a caller can act on returns an errno (EPERM, EDEADLK, ETIMEDOUT, EINVAL); the aborts are
// for states that cannot be continued: a negative WaitGroup counter, a constructor given an invalid count
// (Barrier(0), Semaphore(-1); use Barrier.create / Semaphore.create for a null instead).

export { Mutex } from "./mutex";
export { Cond } from "./cond";
export { RwLock } from "./rwlock";
export { Semaphore } from "./semaphore";
export { Barrier } from "./barrier";
export { Once } from "./once";
export { WaitGroup } from "./waitgroup";
