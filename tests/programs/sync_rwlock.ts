// RwLock semantics: readers share, writers are exclusive (counter exact under contention with yields),
// try-locks, writer preference (a waiting writer goes before a later reader), and misuse as errnos.
import { spawn, join, yieldNow, sleep, print } from "weft";
import { RwLock } from "weft/assembly/sync/index";

const READERS = 3;
const WRITERS = 3;
const ITERATIONS = 40;

let lock = new RwLock();
let activeReaders = 0;
let activeWriters = 0;
let maxReaders = 0;
let violations = 0;      // a writer saw anyone else inside, or a reader saw a writer
let shared = 0;          // written under the write lock with a yield between read and write

function together(arg: usize): i32 {
  lock.readLock();
  activeReaders++;
  if (activeReaders > maxReaders) maxReaders = activeReaders;
  for (let i = 0; i < 1000 && activeReaders < READERS; i++) yieldNow();   // wait for the other readers
  if (activeReaders > maxReaders) maxReaders = activeReaders;
  activeReaders--;
  return lock.readUnlock();
}

function writer(arg: usize): i32 {
  for (let i = 0; i < ITERATIONS; i++) {
    lock.writeLock();
    if (activeWriters != 0 || activeReaders != 0) violations++;
    activeWriters++;
    let seen = shared;
    yieldNow();
    shared = seen + 1;
    if (activeReaders != 0) violations++;
    activeWriters--;
    lock.writeUnlock();
    if (i % 2 == <i32>arg % 2) yieldNow();
  }
  return 0;
}

function reader(arg: usize): i32 {
  for (let i = 0; i < ITERATIONS; i++) {
    lock.readLock();
    if (activeWriters != 0) violations++;
    activeReaders++;
    yieldNow();
    if (activeWriters != 0) violations++;
    activeReaders--;
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
  print("max_readers=" + maxReaders.toString());

  // 2. Writers exclude everyone; readers exclude writers.
  ids = new Array<i32>();
  for (let i = 0; i < WRITERS; i++) ids.push(spawn(writer, <usize>i));
  for (let i = 0; i < READERS; i++) ids.push(spawn(reader, <usize>i));
  for (let i = 0; i < ids.length; i++) join(ids[i]);
  print("shared=" + shared.toString());
  print("expected=" + (WRITERS * ITERATIONS).toString());
  print("violations=" + violations.toString());

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
