// The program examples/web/ draws: a pipeline with a worker pool, long enough (a few seconds) to watch.
//
//   source ──jobs (Channel, 4 slots)──▶ worker 1..4 ──results (Channel, 8 slots)──▶ sink
//                                          │
//                                          └─ ledger (a Mutex; every CHECKPOINT_EVERY-th job holds it
//                                             across a short sleep, "writing a checkpoint")
//
// The source sends jobs 1..jobCount() in bursts of BURST, napping PAUSE_MS between bursts; a worker turns
// job n into collatzSpan(n), the Collatz steps of every number in [n * SPAN, (n + 1) * SPAN), adds it to
// the ledger and sends it to the sink; the sink sums what it receives. So every state shows up: workers
// running and waiting for the processor (runnable), threads blocked on a channel, on the mutex or on a
// join, the source sleeping, and threads that ended before main joined them (exited).
//
// The result is exact: main prints "checksum N", the sum of collatzSpan(n) for n = 1..jobCount(), and
// returns 0 only if every job was handled and the sink's sum and the ledger agree. The page works the
// same sum out in JavaScript (checksum.js), and tests/web-example.test.ts knows it for 160 jobs.
//
// The page says how many jobs through a host function (README, "Host functions"), so a test can run a
// short pipeline and a visitor a long one. Built plain for run() and with --shared for runShared.
import { spawn, join, sleep, print, Channel, Mutex, SpawnOptions } from "weft";

@external("app", "jobCount") declare function jobCount(): i32;

/** Workers in the pool. */
const WORKERS = 4;
/** Numbers per job: about 2 ms of computing each on the machine it was tried on, so that the workers
 *  keep a processor busy; checksum.js has the same SPAN. */
const SPAN: u64 = 10000;
/** Jobs the source sends before it naps, and how long it naps (ms). */
const BURST = 8;
const PAUSE_MS: f64 = 15;
/** Every this-many jobs a worker holds the ledger across a CHECKPOINT_MS sleep. */
const CHECKPOINT_EVERY = 25;
const CHECKPOINT_MS: f64 = 3;

const jobs = new Channel<i32>(4);        // job numbers; closed by the source after the last
const results = new Channel<i32>(8);     // one collatzSpan per job
const ledger = new Mutex();
let ledgerTotal: i64 = 0;                // guarded by ledger
let sinkTotal: i64 = 0;                  // written by the sink only, read by main after joining it

/** Steps the Collatz map takes from x down to 1. */
function collatzSteps(x: u64): i32 {
  let steps = 0;
  while (x != 1) {
    x = (x & 1) ? 3 * x + 1 : x >> 1;
    steps++;
  }
  return steps;
}

/** Job n's work: the steps of every number in [n * SPAN, (n + 1) * SPAN). */
function collatzSpan(n: i32): i32 {
  let sum = 0;
  let first = <u64>n * SPAN;
  for (let x = first; x < first + SPAN; x++) sum += collatzSteps(x);
  return sum;
}

function source(count: usize): i32 {
  for (let n = 1; n <= <i32>count; n++) {
    jobs.send(n);
    if (n % BURST == 0) sleep(PAUSE_MS);
  }
  jobs.close();
  return 0;
}

function worker(index: usize): i32 {
  let done = 0;
  while (true) {
    let n = jobs.recv();
    if (n == 0) return done;             // closed and drained (jobs are numbered from 1)
    let steps = collatzSpan(n);
    ledger.lock();
    ledgerTotal += steps;
    if (n % CHECKPOINT_EVERY == 0) sleep(CHECKPOINT_MS);
    ledger.unlock();
    results.send(steps);
    done++;
  }
}

function sink(count: usize): i32 {
  for (let i = 0; i < <i32>count; i++) sinkTotal += results.recv();
  return 0;
}

function named(name: string): SpawnOptions {
  let options = new SpawnOptions();
  options.name = name;
  return options;
}

export function main(): i32 {
  let count = jobCount();
  let sinkId = spawn(sink, count, named("sink"));
  let workers = new StaticArray<i32>(WORKERS);
  for (let i = 0; i < WORKERS; i++) workers[i] = spawn(worker, i, named("worker " + (i + 1).toString()));
  let sourceId = spawn(source, count, named("source"));
  join(sinkId);
  let handled = join(sourceId).value;
  for (let i = 0; i < WORKERS; i++) handled += join(workers[i]).value;
  print("jobs " + handled.toString());
  print("checksum " + sinkTotal.toString());
  return handled == count && sinkTotal == ledgerTotal ? 0 : 1;
}
