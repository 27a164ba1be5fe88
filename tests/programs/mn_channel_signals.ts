// Signals into threads parked on channel operations, racing their wakers (tests/signals.test.ts runs this
// in N:1 and on processors): PAIRS pairs ping-pong over unbuffered channels while a signaller sends
// SIGUSR1 to their members as fast as it can. A signal that takes a parked operation out of its parker
// word races the waker's exchange (core/futex.ts, parkOn); whichever wins, every value must arrive once,
// every thread must go on, and no handler may run more often than signals were sent. What it prints does
// not depend on timing.
import { spawn, join, yieldNow, print, Channel, sigaction, pthreadKill, SIGUSR1 } from "weft";
import { Counter } from "./lib/counter";

const PAIRS = 4;
const ROUNDS = 20_000;

const handled = new Counter();
const sent = new Counter();
const finished = new Counter();
function onSignal(sig: i32): void { handled.inc(); }

const pings = new StaticArray<Channel<i32>>(PAIRS);
const pongs = new StaticArray<Channel<i32>>(PAIRS);
for (let i = 0; i < PAIRS; i++) { pings[i] = new Channel<i32>(0); pongs[i] = new Channel<i32>(0); }

function echo(i: usize): i32 {
  let ping = pings[<i32>i], pong = pongs[<i32>i];
  for (let k = 0; k < ROUNDS; k++) pong.send(ping.recv() + 1);
  return 0;
}

function pinger(i: usize): i32 {
  let ping = pings[<i32>i], pong = pongs[<i32>i];
  let sum: i64 = 0;
  for (let k = 0; k < ROUNDS; k++) { ping.send(k); sum += pong.recv(); }
  finished.inc();
  return sum == <i64>ROUNDS * (<i64>ROUNDS + 1) / 2 ? 0 : 1;
}

const ids = new StaticArray<i32>(2 * PAIRS);
function signaller(arg: usize): i32 {
  let k = 0;
  while (finished.get() < PAIRS) {
    if (pthreadKill(ids[k], SIGUSR1) == 0) sent.inc();
    k = (k + 1) % (2 * PAIRS);
    if ((k & 3) == 0) yieldNow();
  }
  return 0;
}

export function main(): i32 {
  sigaction(SIGUSR1, onSignal);
  for (let i = 0; i < PAIRS; i++) {
    ids[2 * i] = spawn(echo, i);
    ids[2 * i + 1] = spawn(pinger, i);
  }
  let s = spawn(signaller);
  let bad = 0;
  for (let i = 0; i < 2 * PAIRS; i++) bad += join(ids[i]).value;
  join(s);
  print("pairs_exact=" + (bad == 0 ? "yes" : "no"));
  print("handled_at_most_sent=" + (handled.get() <= sent.get() ? "yes" : "no"));
  print("signals_sent=" + (sent.get() > 0 ? "some" : "none"));
  return 0;
}
