// Partial deadlocks (tests/waitfor.test.ts): of ten threads, two lock two mutexes in opposite orders and
// two join each other, while six others work, sleep and finish. The cycles are reported as they form;
// main joins the six, waits until the four others are blocked (each cycle is reported before its last
// thread blocks), and ends.
import { spawn, join, sleep, print, yieldNow, Mutex } from "weft";
import { Counter } from "./lib/counter";
import { detachedNamed, awaitBlocked } from "./lib/stuck";

const a = new Mutex(), b = new Mutex();
const HELD: usize = memory.data(4, 4);        // 1 once ab holds a
const BOTH: usize = memory.data(4, 4);        // 1 once ba holds b too
const done = new Counter();
let joiners = new StaticArray<i32>(2);

// ba starts only once ab holds a: on processors the two run at once, and a ba that took both mutexes
// first would end holding them, leaving no cycle (and main waiting for a thread that is gone).
function ab(arg: usize): i32 { a.lock(); atomic.store<i32>(HELD, 1); while (atomic.load<i32>(BOTH) < 1) sleep(1); b.lock(); return 0; }
function ba(arg: usize): i32 { while (atomic.load<i32>(HELD) < 1) sleep(1); b.lock(); atomic.store<i32>(BOTH, 1); a.lock(); return 0; }
function joinOther(i: usize): i32 {
  while (joiners[1 - <i32>i] == 0) yieldNow();
  join(joiners[1 - <i32>i]);
  return 0;
}
function worker(i: usize): i32 {
  for (let k = 0; k < 20; k++) { sleep(1); yieldNow(); }
  done.inc();
  return <i32>i;
}

export function main(): i32 {
  let stuck = new StaticArray<i32>(4);
  stuck[0] = spawn(ab, 0, detachedNamed("ab"));
  stuck[1] = spawn(ba, 0, detachedNamed("ba"));
  let o0 = detachedNamed("joiner0"), o1 = detachedNamed("joiner1");
  o0.detached = false;
  o1.detached = false;
  joiners[0] = spawn(joinOther, 0, o0);
  joiners[1] = spawn(joinOther, 1, o1);
  let workers = new StaticArray<i32>(6);
  for (let i = 0; i < 6; i++) workers[i] = spawn(worker, i);
  for (let i = 0; i < 6; i++) join(workers[i]);
  print("others_finished=" + done.toString());
  stuck[2] = joiners[0];
  stuck[3] = joiners[1];
  if (!awaitBlocked(stuck)) return 1;             // one ended: no cycle
  return 0;
}
