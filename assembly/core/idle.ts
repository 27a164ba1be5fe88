// A processor with nothing to run: what its loop does when the run queue is empty. In N:1 the loop
// returns and says why (every thread waits on a time or on I/O, or none can run again: a deadlock). On
// processors it spins a little, then sleeps until woken (processor.ts, "Idle processors"), and it is the
// processor that finds every other one asleep with nothing timed or in flight that declares the deadlock.
// 1:1: a processor whose one thread finished retires. The loop is scheduler.ts. Every global here is per
// processor (host/compiler/passes/shared.ts).

import { SHARED_MEMORY } from "./atomics";
import { timerCount, timerEarliest } from "./timer";
import { runQueueWorkFor } from "./runqueue";
import { hostNow } from "./host";
import { ioPending } from "./completion";
import { signalsFromHost, hostSignalsRaised, signalWaitersOutside } from "./signal";
import { preemptIdle } from "./preempt";
import { tracing, traceClock } from "./trace";
import {
  schedLockDrop, schedLockTake, wakeAllProcessors, allOthersIdle, markDeadlocked, isDeadlocked, idleWait, spinForWork,
  processorRetire, ioInFlight, allIdleOrRetired, hostTurnAsked,
} from "./processor";
import { programEnded, hostTurnSoon, RUN_EXITED, RUN_WAIT, RUN_DEADLOCK, RUN_RETIRED } from "./scheduler";
import { interruptsOwed } from "./parked";

let wakeAt: f64 = Infinity;     // when RUN_WAIT is returned: the earliest deadline

/** 1:1: this processor's thread finished; it leaves the run (and counts as asleep for deadlocks). */
export function retire(): i32 {
  schedLockTake();
  processorRetire();
  // This may have been the last processor awake: the others all sleep in nothingToRun, each having seen
  // this one still running, and none would look again. If nothing can wake them, it is a deadlock.
  if (!programEnded && allIdleOrRetired() && timerCount() == 0 && ioInFlight() == 0 && !signalWaitersOutside() && !runQueueWorkFor(true)) {
    markDeadlocked();
    wakeAllProcessors();
  }
  schedLockDrop();
  return RUN_RETIRED;
}

/** The run queue is empty (the lock is held). N:1: returns why the loop stops. M:N: returns why, or
 *  sleeps until woken and returns -1 (the lock is dropped in every case). */
export function nothingToRun(): i32 {
  preemptIdle();
  if (SHARED_MEMORY) {
    if (programEnded) { wakeAllProcessors(); schedLockDrop(); return RUN_EXITED; }
    if (isDeadlocked()) { schedLockDrop(); return RUN_DEADLOCK; }
    if (hostSignalsRaised()) { schedLockDrop(); signalsFromHost(); return -1; }
    if (interruptsOwed()) { schedLockDrop(); return -1; }   // the loop's top delivers them (parked.ts)
    if (deadlockedNow()) {
      markDeadlocked();                       // nothing runs anywhere and nothing is timed
      wakeAllProcessors();
      schedLockDrop();
      return RUN_DEADLOCK;
    }
    // Pending I/O does not keep it awake: the host wakes it when it appends a completion (processor.ts,
    // "Idle processors"), and deadlockedNow counts every processor's requests.
    if (spinForWork() || programEnded) { schedLockDrop(); return -1; }
    // Others may have gone to sleep while this one spun: the deadlock check again, then sleep.
    if (deadlockedNow()) {
      markDeadlocked();
      wakeAllProcessors();
      schedLockDrop();
      return RUN_DEADLOCK;
    }
    if (tracing()) traceClock();              // an idle stretch: readings at both ends (trace.ts)
    idleWait(timerCount() > 0 ? max<f64>(timerEarliest() - hostNow(), 0) : -1);
    if (tracing()) traceClock();
    schedLockDrop();
    if (hostTurnAsked()) hostTurnSoon();    // its host asked for a turn (processor.ts): the loop returns
    return -1;
  }
  if (hostSignalsRaised()) { signalsFromHost(); return -1; }   // raised from inside an import (print's callback)
  if (timerCount() > 0) { wakeAt = timerEarliest(); return RUN_WAIT; }
  if (ioPending > 0 || signalWaitersOutside()) { wakeAt = Infinity; return RUN_WAIT; }
  return RUN_DEADLOCK;
}

/** With the scheduler lock held, on a processor that found nothing to run: every other processor is
 *  asleep (or gone, 1:1), nothing is timed or in flight (on any processor's host), and no queue this one may take from holds a
 *  thread. The last look is under the queues' locks: the loop's pop took no scheduler lock, so a thread
 *  pushed since (by a processor that has gone to sleep after) would otherwise be missed. Nothing can be
 *  pushed after it: only a processor that runs a thread pushes, and none does. */
function deadlockedNow(): bool {
  return timerCount() == 0 && ioInFlight() == 0 && !signalWaitersOutside() && allOthersIdle() && !runQueueWorkFor(true);
}

/** After RUN_WAIT: the earliest deadline (ms, monotonic). */
export function nextWakeAt(): f64 { return wakeAt; }
