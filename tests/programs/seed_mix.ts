// Reproducible schedules (tests/seed.test.ts): four threads that compute (loops long enough for seeded
// ticks to preempt them inside), sleep, lock a mutex and send over a channel, each step logged in the
// order it happens. The log is the interleaving: the same seed must print it the same, byte for byte.
import { spawn, join, sleep, now, print, Mutex, Channel } from "weft";

const THREADS = 4, ROUNDS = 4;
const lock = new Mutex();
const done = new Channel<i32>(THREADS);
let log = "";
let shared = 0;

function spin(n: i32): i32 {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x * 31 + i) & 0xffff;
  return x;
}

function worker(i: usize): i32 {
  for (let r = 0; r < ROUNDS; r++) {
    let x = spin(3000 + 1000 * <i32>i);
    lock.lock();
    shared = (shared * 7 + x + <i32>i) & 0xffffff;
    log += i.toString();
    lock.unlock();
    if ((r + <i32>i) % 2 == 0) sleep(1 + <f64>i);
  }
  done.send(<i32>i);
  return 0;
}

export function main(): i32 {
  let start = now();
  let ids = new StaticArray<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(worker, i);
  let order = "";
  for (let i = 0; i < THREADS; i++) order += done.recv().toString();
  for (let i = 0; i < THREADS; i++) join(ids[i]);
  print("log=" + log);
  print("done=" + order);
  print("shared=" + shared.toString());
  print("elapsed=" + (now() - start).toString());
  return 0;
}
