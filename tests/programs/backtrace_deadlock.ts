// A deadlock's report carries each thread's backtrace (tests/backtrace.test.ts): main holds a mutex and
// joins a thread that waits for it, after moving to the next processor (on processors; a yield in N:1).
import { spawn, join, yieldNow, migrate, Mutex, SpawnOptions } from "weft";

const lock = new Mutex();

function takeLock(): void { lock.lock(); }
function stuck(arg: usize): i32 { migrate(); takeLock(); return 0; }

function awaitStuck(t: i32): void { join(t); }

export function main(): i32 {
  lock.lock();
  let o = new SpawnOptions();
  o.name = "stuck";
  let t = spawn(stuck, 0, o);
  yieldNow();
  awaitStuck(t);
  return 0;
}
