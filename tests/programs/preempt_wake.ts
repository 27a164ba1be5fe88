// A thread of higher priority made runnable preempts the running one at its next safepoint, not at the
// next tick (assembly/core/preempt.ts, preemptWoken). Run with a long tick (tests/preempt.test.ts: 50 ms): a
// priority-6 waiter parks on a word; a priority-4 spinner wakes it and spins on; the waiter notes how
// long after the wake it ran. Prints delay_ms_max= and delay_ms_median= over ROUNDS wakes.
import { spawn, join, now, print, futexWait, futexWake, SpawnOptions } from "weft";

const ROUNDS = 10;
const word = memory.data(4);
let wokeAt: f64 = 0;
let delays = new StaticArray<f64>(ROUNDS);
let round = 0;
let stop = false;

function waiter(arg: usize): i32 {
  for (let i = 0; i < ROUNDS; i++) {
    while (load<i32>(word) == 0) futexWait(word, 0, -1);
    delays[i] = now() - wokeAt;
    store<i32>(word, 0);
    round = i + 1;
  }
  return 0;
}

function spinner(arg: usize): i32 {
  let done = 0;
  while (!stop) {
    if (round == done && load<i32>(word) == 0) {
      let t = now();
      while (now() - t < 3) {}          // spin a while, then wake the waiter and spin on
      wokeAt = now();
      store<i32>(word, 1);
      futexWake(word, 1);
      done++;
      if (done == ROUNDS) stop = true;
    }
  }
  return 0;
}

export function main(): i32 {
  let high = new SpawnOptions();
  high.priority = 6;
  let w = spawn(waiter, 0, high);
  let s = spawn(spinner);
  join(w);
  stop = true;
  join(s);
  let sorted = new Array<f64>();
  for (let i = 0; i < ROUNDS; i++) sorted.push(delays[i]);
  sorted.sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
  print("delay_ms_max=" + sorted[ROUNDS - 1].toString());
  print("delay_ms_median=" + sorted[ROUNDS >> 1].toString());
  return 0;
}
