// RwLock semantics: readers share, writers are exclusive (counter exact under contention with yields),
// try-locks, writer preference (a waiting writer goes before a later reader), and misuse as errnos.
import { spawn, join, yieldNow, sleep, now, print } from "weft";
import { RwLock } from "weft/assembly/lib/sync/index";

const READERS = 3;
const WRITERS = 3;
const ITERATIONS = 40;

let lock = new RwLock();
// Counted with atomics: in M:N, readers inside together run on different processors at once.
const ACTIVE_READERS = memory.data(4, 4);
const ACTIVE_WRITERS = memory.data(4, 4);
const MAX_READERS = memory.data(4, 4);
const ARRIVED = memory.data(4, 4);      // readers that took the lock in together (only grows)
const VIOLATIONS = memory.data(4, 4);   // a writer saw anyone else inside, or a reader saw a writer
// @ts-ignore: decorator
@inline function get(word: usize): i32 { return atomic.load<i32>(word); }
// @ts-ignore: decorator
@inline function bump(word: usize, by: i32): i32 { return atomic.add<i32>(word, by) + by; }
function noteReaders(n: i32): void {
  let max = get(MAX_READERS);
  while (n > max && atomic.cmpxchg<i32>(MAX_READERS, max, n) != max) max = get(MAX_READERS);
}
let shared = 0;          // written under the write lock with a yield between read and write

function together(arg: usize): i32 {
  lock.readLock();
  noteReaders(bump(ACTIVE_READERS, 1));
  bump(ARRIVED, 1);
  // Wait until every reader has taken the lock (bounded in time, 10 s: in M:N the kernel may keep a
  // processor off its core). ARRIVED, not ACTIVE_READERS: the first to see all three leaves, and the
  // others must not wait for a count that no longer comes.
  let t0 = now();
  while (get(ARRIVED) < READERS && now() - t0 < 10_000) yieldNow();
  noteReaders(get(ACTIVE_READERS));
  bump(ACTIVE_READERS, -1);
  return lock.readUnlock();
}

function writer(arg: usize): i32 {
  for (let i = 0; i < ITERATIONS; i++) {
    lock.writeLock();
    if (get(ACTIVE_WRITERS) != 0 || get(ACTIVE_READERS) != 0) bump(VIOLATIONS, 1);
    bump(ACTIVE_WRITERS, 1);
    let seen = shared;
    yieldNow();
    shared = seen + 1;
    if (get(ACTIVE_READERS) != 0) bump(VIOLATIONS, 1);
    bump(ACTIVE_WRITERS, -1);
    lock.writeUnlock();
    if (i % 2 == <i32>arg % 2) yieldNow();
  }
  return 0;
}

function reader(arg: usize): i32 {
  for (let i = 0; i < ITERATIONS; i++) {
    lock.readLock();
    if (get(ACTIVE_WRITERS) != 0) bump(VIOLATIONS, 1);
    bump(ACTIVE_READERS, 1);
    yieldNow();
    if (get(ACTIVE_WRITERS) != 0) bump(VIOLATIONS, 1);
    bump(ACTIVE_READERS, -1);
    lock.readUnlock();
    if (i % 3 == <i32>arg % 3) yieldNow();
  }
  return 0;
}

let order = "";
function orderWriter(arg: usize): i32 {
  lock.writeLock();
  order += "W";
  return lock.writeUnlock();
}
function orderReader(arg: usize): i32 {
  lock.readLock();
  order += "R";
  return lock.readUnlock();
}
let tryReadResult = -1;
let tryWriteResult = -1;
let foreignWriteUnlock = -1;
function tryReader(arg: usize): i32 {
  tryReadResult = lock.tryReadLock() ? 1 : 0;
  if (tryReadResult) lock.readUnlock();
  return 0;
}
function tryWriter(arg: usize): i32 {
  tryWriteResult = lock.tryWriteLock() ? 1 : 0;
  if (tryWriteResult) lock.writeUnlock();
  return 0;
}
function foreignWriteUnlocker(arg: usize): i32 { foreignWriteUnlock = lock.writeUnlock(); return 0; }

export function main(): i32 {
  // 1. Readers hold the lock together.
  let ids = new Array<i32>();
  for (let i = 0; i < READERS; i++) ids.push(spawn(together));
  for (let i = 0; i < READERS; i++) join(ids[i]);
  print("max_readers=" + get(MAX_READERS).toString());

  // 2. Writers exclude everyone; readers exclude writers.
  ids = new Array<i32>();
  for (let i = 0; i < WRITERS; i++) ids.push(spawn(writer, <usize>i));
  for (let i = 0; i < READERS; i++) ids.push(spawn(reader, <usize>i));
  for (let i = 0; i < ids.length; i++) join(ids[i]);
  print("shared=" + shared.toString());
  print("expected=" + (WRITERS * ITERATIONS).toString());
  print("violations=" + get(VIOLATIONS).toString());

  // 3. Try-locks.
  lock.readLock();
  join(spawn(tryReader));
  print("tryread_while_read=" + tryReadResult.toString());
  join(spawn(tryWriter));
  print("trywrite_while_read=" + tryWriteResult.toString());
  lock.readUnlock();
  lock.writeLock();
  join(spawn(tryReader));
  print("tryread_while_write=" + tryReadResult.toString());
  join(spawn(tryWriter));
  print("trywrite_while_write=" + tryWriteResult.toString());

  // 4. Misuse: a second write lock by the holder, unlock by a non-holder, unlocks of a free lock.
  print("writelock_twice=" + lock.writeLock().toString());      // EDEADLK = 35
  print("readlock_while_writing=" + lock.readLock().toString());// EDEADLK = 35
  join(spawn(foreignWriteUnlocker));
  print("writeunlock_foreign=" + foreignWriteUnlock.toString()); // EPERM = 1
  print("readunlock_while_write=" + lock.readUnlock().toString()); // EPERM = 1
  print("writeunlock_owner=" + lock.writeUnlock().toString());
  print("writeunlock_free=" + lock.writeUnlock().toString());    // EPERM = 1
  print("readunlock_free=" + lock.readUnlock().toString());      // EPERM = 1

  // 5. Writer preference: with a reader inside and a writer waiting, a new reader waits for the writer.
  lock.readLock();
  let w = spawn(orderWriter);
  sleep(5);                                   // the writer is asleep in writeLock
  join(spawn(tryReader));
  print("tryread_writer_waiting=" + tryReadResult.toString());
  let r = spawn(orderReader);
  sleep(5);                                   // the reader is asleep in readLock behind the writer
  order += "U";
  lock.readUnlock();
  join(w);
  join(r);
  print("order=" + order);
  print("free_at_end=" + (lock.readers() == 0 && lock.writeOwner() == 0 && lock.tryWriteLock() ? "1" : "0"));
  return 0;
}
