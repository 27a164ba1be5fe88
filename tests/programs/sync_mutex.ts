// Mutex semantics: mutual exclusion under contention (yields inside the critical section), tryLock busy,
// non-recursive, lockTimed timeout and success, unlock by a non-owner (EPERM), self-lock (EDEADLK), and a
// timed waiter that gives up must not strand a sleeper. Prints key=value lines; tests/sync.test.ts checks.
import { spawn, join, self, yieldNow, sleep, now, print } from "weft";
import { Mutex } from "weft/assembly/lib/sync/index";

const WORKERS = 4;
const ITERATIONS = 100;

let m = new Mutex();
let counter = 0;        // guarded by m; read-yield-write, so lost updates show without the lock
let inside = 0;         // threads inside the critical section now
let maxInside = 0;
let contended = 0;      // lock() calls that found the mutex held

function worker(arg: usize): i32 {
  for (let i = 0; i < ITERATIONS; i++) {
    if (m.isLocked()) contended++;
    m.lock();
    inside++;
    if (inside > maxInside) maxInside = inside;
    let seen = counter;
    yieldNow();
    if ((i + <i32>arg) % 5 == 0) sleep(0.01);
    counter = seen + 1;
    inside--;
    m.unlock();
    if (i % 3 == <i32>arg % 3) yieldNow();
  }
  return 0;
}

let tryResult = -1;
let timedResult = -1;
let timedElapsed: f64 = 0;
let unlockResult = -1;
let mainUnlocked = false;                 // set by main before it lets go in case 5 (the mutex orders it)
let lockedAfterUnlock = false;

function tryLocker(arg: usize): i32 { tryResult = m.tryLock() ? 1 : 0; return 0; }
function timedLocker(arg: usize): i32 {
  let start = now();
  timedResult = m.lockTimed(<f64>arg) ? 1 : 0;
  timedElapsed = now() - start;
  if (timedResult) m.unlock();
  return 0;
}
function foreignUnlocker(arg: usize): i32 { unlockResult = m.unlock(); return 0; }
function blockingLocker(arg: usize): i32 {
  m.lock();
  lockedAfterUnlock = mainUnlocked;
  return m.unlock();
}

export function main(): i32 {
  // 1. Mutual exclusion under contention.
  let ids = new Array<i32>();
  for (let i = 0; i < WORKERS; i++) ids.push(spawn(worker, <usize>i));
  for (let i = 0; i < WORKERS; i++) join(ids[i]);
  print("counter=" + counter.toString());
  print("expected=" + (WORKERS * ITERATIONS).toString());
  print("max_inside=" + maxInside.toString());
  print("contended=" + (contended > 0 ? "yes" : "no"));
  print("free_after=" + (m.isLocked() ? "no" : "yes"));

  // 2. tryLock: busy while held by another thread, and by the caller itself; owner() names the holder.
  print("trylock_free=" + (m.tryLock() ? "1" : "0"));
  print("owner_is_self=" + (m.owner() == self() ? "1" : "0"));
  print("trylock_self=" + (m.tryLock() ? "1" : "0"));
  print("lock_self=" + m.lock().toString());                 // EDEADLK = 35
  print("locktimed_self=" + (m.lockTimed(1000) ? "1" : "0"));
  join(spawn(tryLocker));
  print("trylock_other=" + tryResult.toString());

  // 3. Unlock by a thread that does not own it: EPERM, and the mutex stays held by us.
  join(spawn(foreignUnlocker));
  print("unlock_foreign=" + unlockResult.toString());        // EPERM = 1
  print("still_owner=" + (m.owner() == self() ? "1" : "0"));

  // 4. lockTimed gives up after the timeout while the mutex stays held.
  join(spawn(timedLocker, 30));
  print("timed_busy=" + timedResult.toString());
  print("timed_busy_waited=" + (timedElapsed >= 29 ? "yes" : "no:" + timedElapsed.toString()));

  // 5. A timed waiter that gives up must not strand an untimed sleeper queued behind it.
  let timed = spawn(timedLocker, 10);
  let blocked = spawn(blockingLocker);
  sleep(40);                                                 // both are asleep; the timed one gives up
  mainUnlocked = true;
  print("unlock_owner=" + m.unlock().toString());
  join(timed);
  // "late": it got the mutex once main let go, not before (however late it ran).
  print("blocking_got_it=" + join(blocked).value.toString() + "," + (lockedAfterUnlock ? "late" : "early"));

  // 6. lockTimed succeeds when the holder lets go in time.
  m.lock();
  let waiter = spawn(timedLocker, 5000);
  sleep(10);
  m.unlock();
  join(waiter);
  print("timed_success=" + timedResult.toString() + "," + (timedElapsed < 5000 ? "in_time" : "late"));

  // 7. Unlocking a free mutex is EPERM too.
  print("unlock_free=" + m.unlock().toString());
  return 0;
}
