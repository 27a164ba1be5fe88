// Partial deadlocks through an RwLock's writer (tests/waitfor.test.ts): a writer that waits for a mutex
// whose holder waits to read the lock, and a writer that waits for a mutex whose holder waits to write
// it; four other threads work and finish. Each wait is taken in a forced order (flags), so each cycle
// forms on every run; main waits until the four are blocked, and ends.
import { spawn, join, sleep, print, yieldNow, Mutex, RwLock } from "weft";
import { detachedNamed, awaitBlocked } from "./lib/stuck";

const rw1 = new RwLock(), m1 = new Mutex();
const rw2 = new RwLock(), m2 = new Mutex();
const FLAGS: usize = memory.data(16, 4);      // 1 once: writer holds rw1, reader holds m1, w1 holds rw2, w2 holds m2

function set(i: i32): void { atomic.store<i32>(FLAGS + (<usize>i << 2), 1); }
function await_(i: i32): void { while (atomic.load<i32>(FLAGS + (<usize>i << 2)) < 1) sleep(1); }

function writer(arg: usize): i32 { rw1.writeLock(); set(0); await_(1); m1.lock(); return 0; }
function reader(arg: usize): i32 { await_(0); m1.lock(); set(1); rw1.readLock(); return 0; }
function w1(arg: usize): i32 { rw2.writeLock(); set(2); await_(3); m2.lock(); return 0; }
function w2(arg: usize): i32 { await_(2); m2.lock(); set(3); rw2.writeLock(); return 0; }
function worker(i: usize): i32 {
  for (let k = 0; k < 20; k++) { sleep(1); yieldNow(); }
  return <i32>i;
}

export function main(): i32 {
  let stuck = new StaticArray<i32>(4);
  stuck[0] = spawn(writer, 0, detachedNamed("writer"));
  stuck[1] = spawn(reader, 0, detachedNamed("reader"));
  stuck[2] = spawn(w1, 0, detachedNamed("w1"));
  stuck[3] = spawn(w2, 0, detachedNamed("w2"));
  let workers = new StaticArray<i32>(4);
  for (let i = 0; i < 4; i++) workers[i] = spawn(worker, i);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += join(workers[i]).value;
  print("others_finished=" + sum.toString());
  if (!awaitBlocked(stuck)) return 1;             // one ended: no cycle
  return 0;
}
