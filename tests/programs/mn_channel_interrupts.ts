// Signals into a thread parked on a channel whose lock is busy (tests/signals.test.ts runs this in N:1 and
// on processors): a receiver waits on a channel nobody sends to, while POLLERS threads poll the same
// channel with tryRecv as fast as they can, so that its lock is often held when a signal comes. On
// processors a signal that finds the lock held is delivered by a processor's loop later (core/parked.ts,
// "Signals"); either way the receiver's handler must run for every signal while it stays parked, and
// the receive must go on waiting and then take the value sent at the end. What it prints does not depend
// on timing.
import { spawn, join, sleep, print, Channel, Received, sigaction, pthreadKill, SIGUSR1 } from "weft";
import { Counter } from "./lib/counter";

const POLLERS = 3;
const SIGNALS = 200;

const handled = new Counter();
const stop = new Counter();
function onSignal(sig: i32): void { handled.inc(); }

const channel = new Channel<i32>(0);
let received: i32 = 0;
function receiver(arg: usize): i32 { received = channel.recv(); return 0; }

function poller(arg: usize): i32 {
  let out = new Received<i32>();
  let polls = 0;
  while (stop.get() == 0) {
    if (channel.tryRecv(out)) return 1;               // nobody sends until the pollers have stopped
    polls++;
  }
  return polls > 0 ? 0 : 2;
}

export function main(): i32 {
  sigaction(SIGUSR1, onSignal);
  let r = spawn(receiver);
  let pollers = new StaticArray<i32>(POLLERS);
  for (let i = 0; i < POLLERS; i++) pollers[i] = spawn(poller, i);
  sleep(5);                                           // the receiver parks
  let lost = 0;
  for (let k = 1; k <= SIGNALS; k++) {
    if (pthreadKill(r, SIGUSR1) != 0) return 1;
    let waited = 0;
    while (handled.get() < k && waited < 10_000) { sleep(1); waited++; }   // 10 s at most a signal
    if (handled.get() < k) { lost++; break; }
  }
  stop.inc();
  let bad = 0;
  for (let i = 0; i < POLLERS; i++) bad += join(pollers[i]).value;
  channel.send(42);
  join(r);
  print("every_signal_handled=" + (lost == 0 && handled.get() == SIGNALS ? "yes" : "no (" + handled.get().toString() + ")"));
  print("pollers_polled=" + (bad == 0 ? "yes" : "no"));
  print("recv_after_handlers=" + received.toString());
  return 0;
}
