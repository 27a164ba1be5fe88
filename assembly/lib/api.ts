// Small conveniences over the thread calls.
import { yieldNow, sleepUntil } from "../core/scheduler";
import { self } from "../core/thread";
import { hostNow } from "../core/host";

/** Parks the calling thread for at least `ms` milliseconds; the other threads run meanwhile. */
export function sleep(ms: f64): void {
  if (!(ms > 0)) { yieldNow(); return; }
  sleepUntil(hostNow() + ms);
}

/** Static forms of the thread calls, for names that are reserved words: Thread.yield(). */
export class Thread {
  static yield(): void { yieldNow(); }
  static self(): i32 { return self(); }
  static sleep(ms: f64): void { sleep(ms); }
}
