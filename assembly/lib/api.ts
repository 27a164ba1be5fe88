// Small conveniences over the thread calls.
import { yieldNow, sleepUntil } from "../core/scheduler";
import { self } from "../core/thread";
import { hostNow } from "../core/host";
import { currentThread } from "../core/scheduler";
import { Thread as ThreadRecord } from "../core/layout";
import { FUTEX_INTERRUPTED } from "../core/futex";

/** Parks the calling thread for at least `ms` milliseconds; the other threads run meanwhile. Returns 0, or,
 *  when a signal's handler interrupted it, the milliseconds that were left (never restarted, as POSIX
 *  says of sleep and nanosleep). */
export function sleep(ms: f64): f64 {
  if (!(ms > 0)) { yieldNow(); return 0; }
  let deadline = hostNow() + ms;
  sleepUntil(deadline);
  if (changetype<ThreadRecord>(currentThread).waitResult != FUTEX_INTERRUPTED) return 0;
  return max<f64>(deadline - hostNow(), 0);
}

/** Static forms of the thread calls, for names that are reserved words: Thread.yield(). */
export class Thread {
  static yield(): void { yieldNow(); }
  static self(): i32 { return self(); }
  static sleep(ms: f64): f64 { return sleep(ms); }
}
