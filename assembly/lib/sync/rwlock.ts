// RwLock: a readers-writer lock that prefers writers, on two futex words.
//
// Design note
// -----------
// Problem: many readers may hold the lock together, a writer alone; a steady stream of readers must not
// keep a writer out forever; uncontended read and write locks must cost one CAS.
//
// Rejected: a mutex plus two condition variables (three words, and every read lock takes the mutex);
// reader preference (writers starve under a steady stream of readers); strict FIFO queueing (needs a
// queue of waiter records).
// Chosen: Rust std's futex RwLock (library/std/src/sys/sync/rwlock/futex.rs). One `state` word holds the
// reader count and two waiting bits; readers sleep on `state`, writers on a separate notification
// counter so that an unlock can wake one writer without waking every reader.
//
// Writer preference: a reader does not take the lock while a writer waits (WRITERS_WAITING set), and an
// unlock that finds both kinds waiting wakes one writer and leaves the readers asleep. So writers never
// starve; readers can, under a steady stream of writers. A reader that already holds a read lock and asks
// for another while a writer waits therefore deadlocks (as POSIX allows); use one read lock per thread.
//
// ╒════════ RwLock (offsets in the object) ════════╕
//   0 │ state         i32  bits 0..29: 0 free, 1..MAX_READERS readers, WRITE_LOCKED (all ones) a writer
//     │                    bit 30 READERS_WAITING: readers sleep on `state`
//     │                    bit 31 WRITERS_WAITING: writers sleep on `writerNotify`
//   4 │ writerNotify  i32  bumped for every writer wake-up; the futex word writers sleep on
//   8 │ writer        i32  ThreadId of the write holder, 0 otherwise
// ╘════════════════════════════════════════════════╛
// Access rule: `state` and `writerNotify` atomic. `writer` is stored only by the thread that holds the
// write lock (after locking, and cleared before unlocking); other threads read it only to answer EPERM /
// EDEADLK questions about themselves, where a stale value cannot equal their own id.
//
// Read lock (readContended): 1. if read-lockable (count < MAX_READERS, no waiting bits), CAS count + 1;
// 2. otherwise set READERS_WAITING (CAS; restart on failure); 3. futexWaitFor(state, seen | READERS_WAITING).
// Write lock (writeContended): 1. if count == 0, CAS in WRITE_LOCKED, keeping WRITERS_WAITING if we ever
// set it (others may still wait); 2. otherwise set WRITERS_WAITING; 3. read writerNotify, then re-check
// state — ordering: notify before state, so a wake between the two is seen as a changed counter; 4. sleep
// on writerNotify unless the lock became free or the bit was cleared.
// Unlock (wakeWriterOrReaders, with the count at 0): only writers wait -> clear the bit, wake one writer;
// both wait -> keep READERS_WAITING, wake one writer (if no writer was asleep to take it, go on to the
// readers); only readers wait -> clear the bit, wake all readers. If a CAS fails because another thread
// locked meanwhile, that thread's unlock takes over the waking.

import { atomicAdd, atomicCas, atomicLoad, atomicSub } from "../../core/atomics";
import { futexWaitFor, futexWake, WAIT_RWLOCK, WAIT_RWLOCK_WRITE } from "../../core/futex";
import { self } from "../../core/thread";
import { currentThread } from "../../core/scheduler";
import { Thread as ThreadRecord } from "../../core/layout";
import { waitForCheck, waitForDone, RWLOCK_WRITE_LOCKED, RWLOCK_NOTIFY, RWLOCK_WRITER } from "../../core/waitfor";
import { EDEADLK, EPERM } from "../../core/errno";

// @ts-ignore: decorator
@inline const READ_LOCKED: i32 = 1;
// @ts-ignore: decorator
@inline const MASK: i32 = (1 << 30) - 1;
// @ts-ignore: decorator
@inline const WRITE_LOCKED: i32 = MASK;
// @ts-ignore: decorator
@inline const MAX_READERS: i32 = MASK - 1;
// @ts-ignore: decorator
@inline const READERS_WAITING: i32 = 1 << 30;
// @ts-ignore: decorator
@inline const WRITERS_WAITING: i32 = 1 << 31;

// @ts-ignore: decorator
@inline function isUnlocked(state: i32): bool { return (state & MASK) == 0; }
// @ts-ignore: decorator
@inline function isWriteLocked(state: i32): bool { return (state & MASK) == WRITE_LOCKED; }
// @ts-ignore: decorator
@inline function hasReadersWaiting(state: i32): bool { return (state & READERS_WAITING) != 0; }
// @ts-ignore: decorator
@inline function hasWritersWaiting(state: i32): bool { return (state & WRITERS_WAITING) != 0; }
/** Readers may not join while anyone waits: see "Writer preference" above. */
// @ts-ignore: decorator
@inline function isReadLockable(state: i32): bool {
  return (state & MASK) < MAX_READERS && (state & (READERS_WAITING | WRITERS_WAITING)) == 0;
}

// ─── Slow paths ───

function readContended(lock: RwLock): void {
  if (!layoutAgrees()) ERROR("RwLock's words are not where core/waitfor.ts's RWLOCK_* say");
  let addr = lock.stateAddress();
  let state = atomicLoad(addr);
  while (true) {
    if (isReadLockable(state)) {                                            // 1
      let seen = atomicCas(addr, state, state + READ_LOCKED);
      if (seen == state) return;
      state = seen;
      continue;
    }
    if ((state & MASK) == MAX_READERS) abort("RwLock.readLock: reader count overflow");
    if (!hasReadersWaiting(state)) {                                        // 2
      let seen = atomicCas(addr, state, state | READERS_WAITING);
      if (seen != state) { state = seen; continue; }
    }
    // A cycle through a writer? (core/waitfor.ts: a wait for a write holder is an edge to it.)
    if (isWriteLocked(state)) waitForCheck(changetype<ThreadRecord>(currentThread), WAIT_RWLOCK, addr);
    futexWaitFor(addr, state | READERS_WAITING, -1, WAIT_RWLOCK);           // 3
    waitForDone(changetype<ThreadRecord>(currentThread));
    state = atomicLoad(addr);
  }
}

function writeContended(lock: RwLock): void {
  let addr = lock.stateAddress();
  let state = atomicLoad(addr);
  let otherWritersWaiting = 0;
  while (true) {
    if (isUnlocked(state)) {                                                // 1
      let seen = atomicCas(addr, state, state | WRITE_LOCKED | otherWritersWaiting);
      if (seen == state) return;
      state = seen;
      continue;
    }
    if (!hasWritersWaiting(state)) {                                        // 2
      let seen = atomicCas(addr, state, state | WRITERS_WAITING);
      if (seen != state) { state = seen; continue; }
    }
    otherWritersWaiting = WRITERS_WAITING;
    let notify = atomicLoad(lock.writerNotifyAddress());                    // 3
    state = atomicLoad(addr);
    if (isUnlocked(state) || !hasWritersWaiting(state)) continue;
    if (isWriteLocked(state)) waitForCheck(changetype<ThreadRecord>(currentThread), WAIT_RWLOCK_WRITE, lock.writerNotifyAddress());
    futexWaitFor(lock.writerNotifyAddress(), notify, -1, WAIT_RWLOCK_WRITE); // 4
    waitForDone(changetype<ThreadRecord>(currentThread));
    state = atomicLoad(addr);
  }
}

/** Bumps the writer counter and wakes one writer; true if one was asleep. */
function wakeWriter(lock: RwLock): bool {
  atomicAdd(lock.writerNotifyAddress(), 1);
  return futexWake(lock.writerNotifyAddress(), 1) > 0;
}

/** The unlock protocol; `state` was seen with the count at 0. */
function wakeWriterOrReaders(lock: RwLock, state: i32): void {
  let addr = lock.stateAddress();
  if (state == WRITERS_WAITING) {
    let seen = atomicCas(addr, state, 0);
    if (seen == state) { wakeWriter(lock); return; }
    state = seen;                           // readers may have started waiting too
  }
  if (state == (READERS_WAITING | WRITERS_WAITING)) {
    if (atomicCas(addr, state, READERS_WAITING) != state) return;   // locked meanwhile: not ours now
    if (wakeWriter(lock)) return;
    state = READERS_WAITING;                // no writer was asleep to take it: wake the readers
  }
  if (state == READERS_WAITING) {
    if (atomicCas(addr, state, 0) == state) futexWake(addr, -1);
  }
}

// ─── The lock ───

// The wait-for graph (core/waitfor.ts) reads a waiting thread's edge from these words by their places.
// @ts-ignore: decorator
@inline function layoutAgrees(): bool {
  return offsetof<RwLock>("state") == 0 && offsetof<RwLock>("writerNotify") == RWLOCK_NOTIFY &&
    offsetof<RwLock>("writer") == RWLOCK_WRITER && WRITE_LOCKED == RWLOCK_WRITE_LOCKED;
}
/** A readers-writer lock (pthread_rwlock_t / Go's sync.RWMutex), preferring writers. */
@final export class RwLock {
  /** Atomic. See the layout above. */
  private state: i32 = 0;
  /** Atomic. The futex word writers sleep on. */
  private writerNotify: i32 = 0;
  /** Written by the write holder only. */
  private writer: i32 = 0;

  // @ts-ignore: decorator
  @inline stateAddress(): usize { return changetype<usize>(this) + offsetof<RwLock>("state"); }
  // @ts-ignore: decorator
  @inline writerNotifyAddress(): usize { return changetype<usize>(this) + offsetof<RwLock>("writerNotify"); }

  /** Takes a shared lock. Returns 0, or EDEADLK if the caller holds the write lock. */
  readLock(): i32 {
    let addr = this.stateAddress();
    let state = atomicLoad(addr);
    if (isReadLockable(state) && atomicCas(addr, state, state + READ_LOCKED) == state) return 0;
    if (isWriteLocked(state) && this.writer == self()) return EDEADLK;
    readContended(this);
    return 0;
  }

  /** Takes a shared lock if no writer holds or waits for the lock. */
  tryReadLock(): bool {
    let addr = this.stateAddress();
    let state = atomicLoad(addr);
    while (isReadLockable(state)) {
      let seen = atomicCas(addr, state, state + READ_LOCKED);
      if (seen == state) return true;
      state = seen;
    }
    return false;
  }

  /** Releases a shared lock. Returns 0, or EPERM when no reader holds the lock (nothing changes). */
  readUnlock(): i32 {
    let addr = this.stateAddress();
    let state = atomicLoad(addr);
    while (true) {
      if (isUnlocked(state) || isWriteLocked(state)) return EPERM;
      let seen = atomicCas(addr, state, state - READ_LOCKED);
      if (seen == state) break;
      state = seen;
    }
    state -= READ_LOCKED;
    // A reader waits on a read-locked lock only behind a waiting writer; the last reader hands over.
    if (isUnlocked(state) && hasWritersWaiting(state)) wakeWriterOrReaders(this, state);
    return 0;
  }

  /** Takes the exclusive lock. Returns 0, or EDEADLK if the caller already holds it. */
  writeLock(): i32 {
    let me = self();
    if (atomicCas(this.stateAddress(), 0, WRITE_LOCKED) != 0) {
      if (isWriteLocked(atomicLoad(this.stateAddress())) && this.writer == me) return EDEADLK;
      writeContended(this);
    }
    this.writer = me;
    return 0;
  }

  /** Takes the exclusive lock if nobody holds the lock. */
  tryWriteLock(): bool {
    let addr = this.stateAddress();
    let state = atomicLoad(addr);
    while (isUnlocked(state)) {
      let seen = atomicCas(addr, state, state | WRITE_LOCKED);
      if (seen == state) { this.writer = self(); return true; }
      state = seen;
    }
    return false;
  }

  /** Releases the exclusive lock. Returns 0, or EPERM when the caller does not hold it (nothing changes). */
  writeUnlock(): i32 {
    let addr = this.stateAddress();
    if (!isWriteLocked(atomicLoad(addr)) || this.writer != self()) return EPERM;
    this.writer = 0;
    let state = atomicSub(addr, WRITE_LOCKED) - WRITE_LOCKED;
    if (hasWritersWaiting(state) || hasReadersWaiting(state)) wakeWriterOrReaders(this, state);
    return 0;
  }

  /** Readers holding the lock now (0 when free or write-locked). A snapshot. */
  readers(): i32 {
    let count = atomicLoad(this.stateAddress()) & MASK;
    return count == WRITE_LOCKED ? 0 : count;
  }

  /** The thread holding the write lock, 0 if none. A snapshot. */
  writeOwner(): i32 {
    return isWriteLocked(atomicLoad(this.stateAddress())) ? this.writer : 0;
  }
}
