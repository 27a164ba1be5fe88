// Two threads take two mutexes in opposite order: the run must end as a deadlock naming a mutex.
import { spawn, join, sleep, print } from "weft";
import { Mutex } from "weft/assembly/lib/sync/index";

let first = new Mutex();
let second = new Mutex();

function forward(arg: usize): i32 {
  first.lock();
  sleep(5);
  second.lock();
  print("forward got both");
  second.unlock();
  return first.unlock();
}

function backward(arg: usize): i32 {
  second.lock();
  sleep(5);
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
