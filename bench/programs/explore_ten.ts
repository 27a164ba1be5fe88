// explore_runs_per_s (bench/explore.js): ten threads that each take a mutex, add to a shared counter and
// yield, ten times, and send their part to main over a channel: a schedule of a few hundred picks.
import { spawn, join, yieldNow, Mutex, Channel } from "weft";

const THREADS = 10, ROUNDS = 10;
const lock = new Mutex();
const parts = new Channel<i32>(THREADS);
let counter = 0;

function worker(i: usize): i32 {
  let mine = 0;
  for (let k = 0; k < ROUNDS; k++) {
    lock.lock();
    counter++;
    lock.unlock();
    mine++;
    yieldNow();
  }
  parts.send(mine);
  return 0;
}

export function main(): i32 {
  let ids = new StaticArray<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(worker, i);
  let total = 0;
  for (let i = 0; i < THREADS; i++) total += parts.recv();
  for (let i = 0; i < THREADS; i++) join(ids[i]);
  return total == THREADS * ROUNDS && counter == THREADS * ROUNDS ? 0 : 1;
}
