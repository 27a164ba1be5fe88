// Semaphore semantics: at most `initial` holders at once (and that many do get in), tryAcquire, value(),
// acquireTimed timeout, release(n) wakes n sleepers, misuse as EINVAL / null.
import { spawn, join, yieldNow, sleep, now, print } from "weft";
import { Semaphore } from "weft/assembly/lib/sync/index";

const THREADS = 5;
const ITERATIONS = 30;

let sem = new Semaphore(2);
// Counted with atomics: two holders run at once on different processors in M:N.
const ACTIVE = memory.data(4, 4);
const MAX_ACTIVE = memory.data(4, 4);
const PASSES = memory.data(4, 4);

function user(arg: usize): i32 {
  for (let i = 0; i < ITERATIONS; i++) {
    sem.acquire();
    let active = atomic.add<i32>(ACTIVE, 1) + 1;
    let max = atomic.load<i32>(MAX_ACTIVE);
    while (active > max && atomic.cmpxchg<i32>(MAX_ACTIVE, max, active) != max) max = atomic.load<i32>(MAX_ACTIVE);
    yieldNow();
    if ((i + <i32>arg) % 7 == 0) sleep(0.01);
    atomic.add<i32>(PASSES, 1);
    atomic.sub<i32>(ACTIVE, 1);
    sem.release();
  }
  return 0;
}

let gate = new Semaphore(0);
const ACQUIRED = memory.data(4, 4);
function sleeper(arg: usize): i32 {
  gate.acquire();
  atomic.add<i32>(ACQUIRED, 1);
  return 0;
}

/** Lets woken sleepers run: until `expected` have acquired (at most 10 s: in M:N a woken sleeper runs on
 *  a processor the kernel may keep off its core), then 5 ms more, in which one let through wrongly would
 *  acquire too. */
function settle(expected: i32): void {
  let start = now();
  while (atomic.load<i32>(ACQUIRED) < expected && now() - start < 10_000) { yieldNow(); sleep(1); }
  for (let i = 0; i < 20; i++) yieldNow();
  sleep(5);
  for (let i = 0; i < 20; i++) yieldNow();
}

export function main(): i32 {
  // 1. Two holders at most, and two do hold it together.
  let ids = new Array<i32>();
  for (let i = 0; i < THREADS; i++) ids.push(spawn(user, <usize>i));
  for (let i = 0; i < THREADS; i++) join(ids[i]);
  print("max_active=" + atomic.load<i32>(MAX_ACTIVE).toString());
  print("passes=" + atomic.load<i32>(PASSES).toString());
  print("value_after=" + sem.value().toString());

  // 2. tryAcquire and value().
  let empty = new Semaphore(0);
  print("tryacquire_empty=" + (empty.tryAcquire() ? "1" : "0"));
  print("release3=" + empty.release(3).toString());
  print("value3=" + empty.value().toString());
  let took = 0;
  while (empty.tryAcquire()) took++;
  print("took=" + took.toString());
  print("value0=" + empty.value().toString());

  // 3. acquireTimed times out on an empty semaphore, succeeds on a full one.
  let start = now();
  let ok = empty.acquireTimed(30);
  let elapsed = now() - start;
  print("timed_empty=" + (ok ? "1" : "0") + "," + (elapsed >= 29 ? "waited" : "early:" + elapsed.toString()));
  empty.release();
  print("timed_full=" + (empty.acquireTimed(30) ? "1" : "0"));

  // 4. release(n) lets exactly n sleepers through.
  ids = new Array<i32>();
  for (let i = 0; i < 4; i++) ids.push(spawn(sleeper));
  settle(0);
  print("acquired_before=" + atomic.load<i32>(ACQUIRED).toString());
  gate.release(2);
  settle(2);
  print("acquired_after2=" + atomic.load<i32>(ACQUIRED).toString());
  gate.release(2);
  for (let i = 0; i < 4; i++) join(ids[i]);
  print("acquired_after4=" + atomic.load<i32>(ACQUIRED).toString());
  print("gate_value=" + gate.value().toString());

  // 5. Misuse.
  print("release_negative=" + gate.release(-1).toString());     // EINVAL = 22
  let big = new Semaphore(I32.MAX_VALUE);
  print("release_overflow=" + big.release(1).toString());        // EINVAL = 22
  print("create_negative=" + (Semaphore.create(-1) === null ? "null" : "object"));
  return 0;
}
