// Two threads take two mutexes in opposite order: the run must end as a deadlock naming a mutex. Each
// waits, holding its first mutex, until the other holds its own (at most 10 s), so that they deadlock
// however late one of them starts (in M:N, on a processor the kernel may keep off its core).
import { spawn, join, sleep, now, print } from "weft";
import { Mutex } from "weft/assembly/lib/sync/index";
import { Counter } from "./lib/counter";

let first = new Mutex();
let second = new Mutex();
let holding = new Counter();             // threads that hold their first mutex

function holdOne(): void {
  holding.inc();
  let start = now();
  while (holding.get() < 2 && now() - start < 10_000) sleep(1);
}

function forward(arg: usize): i32 {
  first.lock();
  holdOne();
  second.lock();
  print("forward got both");
  second.unlock();
  return first.unlock();
}

function backward(arg: usize): i32 {
  second.lock();
  holdOne();
  first.lock();
  print("backward got both");
  first.unlock();
  return second.unlock();
}

export function main(): i32 {
  let a = spawn(forward);
  let b = spawn(backward);
  print("started");
  join(a);
  join(b);
  print("joined");
  return 0;
}
