// The timeline trace (tests/trace.test.ts): a program that does each thing the trace shows once or more —
// spawns, a channel hand-off, a mutex wait, a sleep, a join, I/O, a collection, a preemption.
import { spawn, join, sleep, print, now, gc, ioDelay, setTimeSlice, threadStats, Mutex, Channel, SpawnOptions } from "weft";

const ROUNDS = 20;
let ch = new Channel<i32>(0);
let m = new Mutex();

function named(name: string): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  return o;
}

function pinger(arg: usize): i32 {
  for (let i = 0; i < ROUNDS; i++) ch.send(i);
  return 0;
}

function ponger(arg: usize): i32 {
  let sum = 0;
  for (let i = 0; i < ROUNDS; i++) sum += ch.recv();
  return sum;
}

const HELD: usize = memory.data(4, 4);        // 1 once the holder holds m
const WAITER: usize = memory.data(4, 4);      // the waiter's id, once spawned

/** Holds m until the waiter is blocked on it (1:1 starts a thread's Worker when it likes). */
function holder(arg: usize): i32 {
  m.lock();
  atomic.store<i32>(HELD, 1);
  sleep(5);
  while (true) {
    let w = atomic.load<i32>(WAITER);
    let s = w != 0 ? threadStats(w) : null;
    if (s !== null && s.state == "blocked") break;
    sleep(1);
  }
  m.unlock();
  return 0;
}

function waiter(arg: usize): i32 {
  while (atomic.load<i32>(HELD) == 0) sleep(1);
  m.lock();
  m.unlock();
  return 0;
}

function reader(arg: usize): i32 { return ioDelay(5); }

/** Runs for `ms` without yielding: a tick preempts it while another thread waits (slice 1 ms). */
function spinner(ms: usize): i32 {
  let start = now();
  let x = 0;
  while (now() - start < <f64>ms) x++;
  return x > 0 ? 0 : 1;
}

function churn(arg: usize): i32 {
  let kept = 0;
  for (let i = 0; i < 2000; i++) { let a = new Array<i32>(64); kept += a.length; }
  gc();                                        // a collection: its pauses are in the trace
  return kept > 0 ? 0 : 1;
}

export function main(): i32 {
  setTimeSlice(1);
  let ids = [
    spawn(pinger, 0, named("pinger")), spawn(ponger, 0, named("ponger")),
    spawn(holder, 0, named("holder")), spawn(waiter, 0, named("waiter")),
    spawn(reader, 0, named("reader")), spawn(churn, 0, named("churn")),
    spawn(spinner, 30, named("spinner1")), spawn(spinner, 30, named("spinner2")),
  ];
  atomic.store<i32>(WAITER, ids[3]);
  let values = "";
  for (let i = 0; i < ids.length; i++) values += (i > 0 ? "," : "") + join(ids[i]).value.toString();
  print("values=" + values);
  return 0;
}
