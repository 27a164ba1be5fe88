// Priorities changed while the threads run, yield, migrate and are stolen (M:N): setPriority finds a
// runnable thread on whichever processor's queue holds it and moves it to its new level, or finds it gone
// (popped meanwhile: it runs, and is requeued at its new level). A thread pushed twice would run on two
// processors at once and trap; one lost would never finish its rounds, and the run would not end.
//   - WORKERS threads each run ROUNDS rounds: add one to their own counter, yield; every MIGRATE_EVERY
//     rounds they migrate. Halfway, each waits (yielding) until the changer has changed CHANGES_BEFORE_HALF
//     priorities, so that the changes meet running threads however the processors are scheduled.
//   - A changer thread (priority 7) calls setPriority on the workers in turn, with priorities 0..7, until
//     every worker is done; it yields every CHANGES_PER_YIELD calls. On one processor it sleeps 1 ms
//     instead: a yield at the highest level would find no thread above it and go on, and the workers
//     would only run by aging.
// Prints `counted=` (workers whose counter reached ROUNDS), `workers=`, `changed=` (calls that returned
// 0), `changed_before_half=` (CHANGES_BEFORE_HALF), `gone=` (calls that said -ESRCH: the worker had
// finished), `refused=` (any other answer), `ran_on=` (processors that ran workers).
import { spawn, join, SpawnOptions, yieldNow, sleep, migrate, processors, processorId, setPriority, ESRCH, print } from "weft";

const WORKERS = 64;
const ROUNDS = 2000;
const MIGRATE_EVERY = 50;
const CHANGES_PER_YIELD = 16;
const CHANGES_BEFORE_HALF = 2 * WORKERS;

const counters = new StaticArray<i32>(WORKERS);
const ids = new StaticArray<i32>(WORKERS);
const DONE = memory.data(4, 4);
const GO = memory.data(4, 4);
const RAN_ON = memory.data(4, 4);
const CHANGED = memory.data(4, 4);        // calls that returned 0, for the workers' halfway wait

function worker(index: usize): i32 {
  for (let r = 1; r <= ROUNDS; r++) {
    atomic.or<u32>(RAN_ON, <u32>1 << <u32>processorId());
    counters[<i32>index]++;
    if (r == ROUNDS / 2) while (atomic.load<u32>(CHANGED) < <u32>CHANGES_BEFORE_HALF) yieldNow();
    if (r % MIGRATE_EVERY == 0) migrate(); else yieldNow();
  }
  atomic.add<u32>(DONE, 1);
  return 0;
}

let changed = 0, gone = 0, refused = 0;

function changer(arg: usize): i32 {
  while (atomic.load<u32>(GO) == 0) yieldNow();
  for (let k = 0; atomic.load<u32>(DONE) < <u32>WORKERS; k++) {
    let code = setPriority(ids[k % WORKERS], (k * 5) & 7);
    if (code == 0) { changed++; atomic.add<u32>(CHANGED, 1); }
    else if (code == -ESRCH) gone++;
    else refused++;
    if (k % CHANGES_PER_YIELD == 0) { if (processors() > 1) yieldNow(); else sleep(1); }
  }
  return 0;
}

export function main(): i32 {
  let high = new SpawnOptions();
  high.priority = 7;
  let c = spawn(changer, 0, high);
  for (let i = 0; i < WORKERS; i++) {
    let id = spawn(worker, <usize>i);
    if (id < 0) abort("mn_priority_churn: spawn failed");
    ids[i] = id;
  }
  atomic.store<u32>(GO, 1);
  for (let i = 0; i < WORKERS; i++) join(ids[i]);
  join(c);
  let counted = 0;
  for (let i = 0; i < WORKERS; i++) if (counters[i] == ROUNDS) counted++;
  print("counted=" + counted.toString());
  print("workers=" + WORKERS.toString());
  print("changed=" + changed.toString());
  print("changed_before_half=" + CHANGES_BEFORE_HALF.toString());
  print("gone=" + gone.toString());
  print("refused=" + refused.toString());
  print("ran_on=" + popcnt<u32>(atomic.load<u32>(RAN_ON)).toString());
  return 0;
}
