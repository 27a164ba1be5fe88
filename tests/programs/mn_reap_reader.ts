// A thread born detached ends without the scheduler lock, while a holder of that lock has its record
// (setPriority, join and detach read the table under the lock). The record must outlive the holder's hold.
// Built without safepoints (a tick would have a spinning holder take the lock again).
//   - ROUNDS times: a thread born detached spins on GO, on another processor than main's. main takes
//     the scheduler lock, finds the thread's record through the table, and lets it return. Still holding
//     the lock, main waits until the thread's processor has cleared its table entry, then a further
//     HOLD_MS, then looks at the record: its id must still be there (a freed block's first word is the
//     heap's free-list link).
//     Then main drops the lock and waits until the thread is gone.
// Prints `rounds=`, `cleared=` (rounds where the entry was cleared while main held the lock), `kept=`
// (rounds where the record was still whole after it), `gone=` (rounds where the thread then ended).
import { spawn, SpawnOptions, yieldNow, sleep, processorId, print } from "weft";
import { schedLockTake, schedLockDrop } from "weft/assembly/core/processor";
import { threadById, threadAt, liveThreadCount, SLOT_MASK } from "weft/assembly/core/table";
import { Thread } from "weft/assembly/core/layout";
import { hostNow } from "weft/assembly/core/host";

const ROUNDS = 20;
const HOLD_MS = 20;
const WAIT_MS = 5000;       // the most main waits for the entry to be cleared (a round past it is not counted)

const STARTED = memory.data(4, 4);
const GO = memory.data(4, 4);

// main's processor and the target's: the target spins only on another processor than main's, and yields
// while they share one, so that main (or a thief) can move one of them.
const MAIN_ON = memory.data(4, 4);

function target(arg: usize): i32 {
  while (atomic.load<u32>(GO) == 0) {
    if (processorId() == atomic.load<i32>(MAIN_ON)) { atomic.store<u32>(STARTED, 0); yieldNow(); continue; }
    atomic.store<u32>(STARTED, 1);
  }
  return 0;
}

function settle(): bool {
  for (let ms = 0; liveThreadCount() > 1 && ms < 10_000; ms++) sleep(1);
  return liveThreadCount() == 1;
}

export function main(): i32 {
  let detached = new SpawnOptions();
  detached.detached = true;
  let cleared = 0, kept = 0, gone = 0;
  for (let round = 0; round < ROUNDS; round++) {
    atomic.store<u32>(STARTED, 0);
    atomic.store<u32>(GO, 0);
    let id = spawn(target, 0, detached);
    if (id < 0) abort("mn_reap_reader: spawn failed");
    // Until the target spins on another processor than main's (main yields, and may move).
    let tries = 0;
    for (; tries < 10_000_000; tries++) {
      atomic.store<i32>(MAIN_ON, processorId());
      if (atomic.load<u32>(STARTED) != 0 && atomic.load<i32>(MAIN_ON) == processorId()) break;
      yieldNow();
    }
    if (tries == 10_000_000) abort("mn_reap_reader: the target never ran beside main");
    schedLockTake();
    let t = threadById(id);
    if (t === null) { schedLockDrop(); abort("mn_reap_reader: the target is not in the table"); }
    let record = changetype<usize>(t);
    atomic.store<u32>(GO, 1);
    let slot = <u32>id & SLOT_MASK;
    let until = hostNow() + WAIT_MS;
    while (threadAt(slot) != 0 && hostNow() < until) {}
    let wasCleared = threadAt(slot) == 0;
    if (wasCleared) {
      cleared++;
      let hold = hostNow() + HOLD_MS;
      while (hostNow() < hold) {}
      if (atomic.load<i32>(record) == id) kept++;
    }
    schedLockDrop();
    if (settle()) gone++;
  }
  print("rounds=" + ROUNDS.toString());
  print("cleared=" + cleared.toString());
  print("kept=" + kept.toString());
  print("gone=" + gone.toString());
  return 0;
}
