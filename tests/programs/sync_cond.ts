// Cond semantics: wait returns holding the mutex, EPERM without it, signal releases one waiter and
// broadcast all, waitTimed times out (still holding the mutex) or returns 0 when signalled in time.
import { spawn, join, self, yieldNow, sleep, now, print, threadStats } from "weft";
import { Mutex, Cond } from "weft/assembly/lib/sync/index";

const WAITERS = 4;

let m = new Mutex();
let c = new Cond();
let entered = 0;         // guarded by m: waiters that reached their wait loop
let permits = 0;         // guarded by m: the predicate
let released = 0;        // guarded by m: waiters that left their wait loop
let ownerErrors = 0;     // wait returned without the caller holding m
let waitErrors = 0;      // wait returned something other than 0

function waiter(arg: usize): i32 {
  m.lock();
  entered++;
  while (permits == 0) {
    let r = c.wait(m);
    if (r != 0) waitErrors++;
    if (m.owner() != self()) ownerErrors++;
  }
  permits--;
  released++;
  return m.unlock();
}

/** Lets woken threads run: until `count` have left (at most 10 s: 1:1 Workers on a loaded machine can take
 *  a while), then 5 ms more, in which a wrongly woken extra one would leave too. */
function settle(count: i32): void {
  let start = now();
  while (readReleased() < count && now() - start < 10_000) { yieldNow(); sleep(1); }
  for (let i = 0; i < 20; i++) yieldNow();
  sleep(5);
  for (let i = 0; i < 20; i++) yieldNow();
}

function allAsleep(ids: Array<i32>): bool {
  for (let i = 0; i < ids.length; i++) {
    let s = threadStats(ids[i]);
    if (s === null || s.state != "blocked") return false;
  }
  return true;
}

function readReleased(): i32 {
  m.lock();
  let r = released;
  m.unlock();
  return r;
}

let signaller = false;
function lateSignaller(arg: usize): i32 {
  sleep(<f64>arg);
  m.lock();
  signaller = true;
  c.signal();
  return m.unlock();
}

export function main(): i32 {
  // 1. Waiting without holding the mutex is EPERM (and does not block).
  print("wait_unlocked=" + c.wait(m).toString());

  // 2. signal releases one waiter, broadcast the rest.
  let ids = new Array<i32>();
  for (let i = 0; i < WAITERS; i++) ids.push(spawn(waiter));
  while (true) {                      // until every waiter sits in wait (it entered under m)
    m.lock();
    let e = entered;
    m.unlock();
    if (e == WAITERS) break;
    yieldNow();
  }
  // A waiter that has let go of m but not yet slept would return on the signal's sequence bump as well as
  // the one the signal wakes (POSIX allows it; cond.ts says when). "One signal, one release" holds once
  // every waiter sleeps on the futex: wait for that (1:1 Workers get there in their own time).
  while (!allAsleep(ids)) { yieldNow(); sleep(1); }
  print("waiting=" + c.waiting().toString());
  m.lock();
  permits = WAITERS;                  // enough for all: only the wake-ups limit who leaves
  c.signal();
  m.unlock();
  settle(1);
  print("after_signal=" + readReleased().toString());
  m.lock();
  c.broadcast();
  m.unlock();
  for (let i = 0; i < WAITERS; i++) join(ids[i]);
  print("after_broadcast=" + readReleased().toString());
  print("owner_errors=" + ownerErrors.toString());
  print("wait_errors=" + waitErrors.toString());
  print("waiting_end=" + c.waiting().toString());

  // 3. signal and broadcast with nobody waiting are no-ops.
  c.signal();
  c.broadcast();

  // 4. waitTimed times out and returns holding the mutex.
  m.lock();
  let start = now();
  let r = c.waitTimed(m, 30);
  let elapsed = now() - start;
  print("timed_result=" + r.toString());                       // ETIMEDOUT = 110
  print("timed_owner=" + (m.owner() == self() ? "1" : "0"));
  print("timed_waited=" + (elapsed >= 29 ? "yes" : "no:" + elapsed.toString()));

  // 5. waitTimed returns 0 when signalled before the timeout.
  let t = spawn(lateSignaller, 10);
  start = now();
  let result = 0;
  while (!signaller && result == 0) result = c.waitTimed(m, 5000);
  elapsed = now() - start;
  print("timed_signalled=" + result.toString() + "," + (signaller ? "seen" : "unseen") + "," +
        (elapsed < 5000 ? "in_time" : "late"));
  print("timed_signalled_owner=" + (m.owner() == self() ? "1" : "0"));
  m.unlock();
  join(t);
  return 0;
}
