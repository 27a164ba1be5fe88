// Threads: creation, the thread table, exit, join and detach.
//
// Design note
// -----------
// A thread is a record (layout.ts) plus what it grows: a save area while suspended, a stack once a frame
// needs one, a TLS block once it sets a key. spawn allocates only the record, so it is cheap and never
// runs the thread: the new thread waits on the run queue.
//
// Ids. A thread id names a slot of the thread table and that slot's generation (id = generation << 22 |
// slot), so an id stays dead after its thread was reaped even when the slot is reused: join and detach on
// a stale id say ESRCH instead of touching another thread. Up to 4M slots; 512 generations per slot.
//
// Lifecycle (states in layout.ts):
//   spawn ─► RUNNABLE ⇄ RUNNING ⇄ BLOCKED/SLEEPING
//                          │
//              return / exit ─► EXITED ─► joined (or detached) ─► reaped: record and slot freed
//              trap           ─► TRAPPED ─┘
// Exit protocol (threadFinish):
//   1. run TLS destructors (they run in the thread, and may block);
//   2. store exitValue, set state EXITED;
//   3. wake a joiner (it waits on the state word, futex kind WAIT_JOIN);
//   4. if this is the main thread, the program ends;
//   5. the loop frees the stack and save area; a detached thread's record is reaped there too.
// Join protocol: check the id (ESRCH), self (EDEADLK), detached or already joined (EINVAL); mark the
// joiner; futex-wait on the state word until EXITED or TRAPPED; collect value and error; reap.
//
// The table. Slots live in chunks of CHUNK_SLOTS entries that never move once made (a directory of
// chunk addresses, static), so a processor reads and writes its own entries without a lock. Free slots
// are kept per processor (a list through the entries, no lock), as the heap caches blocks: spawn takes
// one, reaping gives one back. A processor whose list is empty takes SLOT_BATCH slots from the shared
// list, or SLOT_BATCH never-used slots if that is empty too; one whose list grows past SLOT_CACHE_MAX
// gives half back. Those moves take the table lock (a spin lock of its own, held for one batch; lock
// order: scheduler lock, table lock, heap lock). 1:1 keeps no per-processor list (a processor retires
// with its thread): it uses the shared one, under the table lock.
//
// ╒═══ thread table entry (8 bytes) ═══╕
//   0 │ thread  usize  the Thread, or 0 when the slot is free
//   4 │ info    u32    generation (bits 0-8) | next free slot + 1 (bits 9-31) while free
// ╘═════════════════════════════════════╛
// Access rule: an entry is written by the processor that spawns or reaps its thread; a free slot's
// entry by the processor whose list holds it (the shared list: under the table lock).

import {
  Thread, THREAD_RECORD_SIZE, STATE_FREE, STATE_RUNNABLE, STATE_RUNNING, STATE_EXITED, STATE_TRAPPED, STATE_BLOCKED,
  STATE_SLEEPING, FLAG_DETACHED, FLAG_BORN_DETACHED, FLAG_MAIN, FLAG_EXITING, PRIORITY_DEFAULT, PRIORITY_LEVELS,
  FROM_FREE, FROM_RUNNABLE, FROM_RUNNING, FROM_WAITING, FROM_LIVE, FROM_FINISHED, transition,
} from "./layout";
import { heapTryAlloc, heapFree } from "./runtime/index";
import { currentThread, makeRunnable, suspend, endProgram, releaseFrames, cancelTimer } from "./scheduler";
import { futexWaitFor, futexWake, futexDequeue, inTable, WAIT_JOIN, WAIT_IO } from "./futex";
import { STACK_NONE, STACK_MAX_DEFAULT } from "./stack";
import { tlsRunDestructors, tlsRelease } from "./tls";
import { runQueueRemove } from "./runqueue";
import { hostThreadDied, hostProcessorStart } from "./host";
import { SHARED_MEMORY, atomicLoad } from "./atomics";
import { schedLockTake, schedLockDrop, schedLockPassed, isOneToOne, processorAdd, processorIndex, spinLockContended, processors, PROCESSORS_MAX } from "./processor";
import { EAGAIN, ENOMEM, ESRCH, EDEADLK, EINVAL } from "./errno";
import { groupExists, fairShareOn, preemptEnter } from "./preempt";

export type ThreadId = i32;

// @ts-ignore: decorator
@inline const SLOT_BITS: u32 = 22;
// @ts-ignore: decorator
@inline const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
// @ts-ignore: decorator
@inline const GENERATION_MASK: u32 = 0x1ff;

/** Bytes spawn leaves free under a heap limit (weft_configure), so that after -ENOMEM the program can
 *  still print, join and run (bytes; 256 KiB covers a few thousand strings and save areas). */
// @ts-ignore: decorator
@inline const SPAWN_RESERVE: usize = 256 << 10;

/** Log2 of the entries per chunk of the thread table (4,096: 32 KiB; a program's first chunk is made by its first
 *  spawn). Not configurable. */
// @ts-ignore: decorator
@inline const CHUNK_BITS: u32 = 12;
// @ts-ignore: decorator
@inline const CHUNK_SLOTS: u32 = 1 << CHUNK_BITS;
/** Slots a processor's free list takes from the shared one at once, and the most it keeps before it
 *  gives half back (64 and 256: one trip through the table lock per 64 spawns at most). Not
 *  configurable. */
// @ts-ignore: decorator
@inline const SLOT_BATCH: u32 = 64;
// @ts-ignore: decorator
@inline const SLOT_CACHE_MAX: u32 = 256;

// @ts-ignore: decorator
@lazy const DIRECTORY: usize = memory.data(<i32>((SLOT_MASK + 1) >> CHUNK_BITS) << 2, 16);  // chunk addresses
// @ts-ignore: decorator
@lazy const TABLE_LOCK: usize = memory.data(64, 64);
/** Threads spawned minus threads reaped, per processor (a thread may be reaped on another processor
 *  than made it: only the sum means anything). One cache line each. */
// @ts-ignore: decorator
@lazy const LIVE: usize = memory.data(<i32>(SHARED_MEMORY ? PROCESSORS_MAX : 1) << 6, 64);

let tableUsed: u32 = 1;      // slots ever handed out; slot 0 is never used, so no id is 0
let freeSlots: u32 = 0;      // the shared list: first free slot + 1; 0 = none (table lock)
let cachedSlots: u32 = 0;    // this processor's list: first free slot + 1 (per processor)
let cachedCount: u32 = 0;    // its length (per processor)
let mainValue: i32 = 0;
let mainError: usize = 0;    // why main died, when the core ended it (a String), else 0

/** Options for spawn. */
export class SpawnOptions {
  /** Shown in errors, deadlock reports and the host's outcomes. */
  name: string | null = null;
  /** The most bytes the thread's stack may grow to; 0 = default (1 MiB). */
  stackSize: i32 = 0;
  /** 0 (lowest) .. 7 (highest); higher-priority runnable threads run first (preempt.ts: a thread kept
   *  waiting moves up by aging). Default 4. */
  priority: i32 = PRIORITY_DEFAULT;
  /** Fair-share group (groupCreate); -1 = the spawning thread's group (the default group 0 for main). */
  group: i32 = -1;
  /** Weight within the group, 1 .. 1,000,000: its share of the group's CPU is its weight over the
   *  weights of the group's threads that want to run. Default 1. */
  weight: i32 = 1;
  /** Start detached (as detach(id) at once, without its own trip through the scheduler lock): nobody
   *  joins it, and its memory goes when it finishes — in M:N without the scheduler lock, by the
   *  processor that ran it last (unless it has TLS or statistics). */
  detached: bool = false;
}

/** What join tells about a finished thread. */
export class JoinResult {
  /** 0, or why join failed: ESRCH (no such thread), EDEADLK (joining yourself), EINVAL (detached or
   *  already being joined). */
  code: i32 = 0;
  /** What the thread returned or passed to exit. */
  value: i32 = 0;
  /** Why the thread died (trap, abort, stack or save-area overflow), or null if it finished normally. */
  error: string | null = null;
  /** The thread's name, or null. */
  name: string | null = null;
  get ok(): bool { return this.code == 0 && this.error === null; }
}

// @ts-ignore: decorator
@inline function entryAt(slot: u32): usize {
  return load<usize>(DIRECTORY + (<usize>(slot >> CHUNK_BITS) << 2)) + (<usize>(slot & (CHUNK_SLOTS - 1)) << 3);
}

// @ts-ignore: decorator
@inline function tableLockTake(): void {
  if (SHARED_MEMORY && atomic.cmpxchg<i32>(TABLE_LOCK, 0, 1) != 0) spinLockContended(TABLE_LOCK);
}

// @ts-ignore: decorator
@inline function tableLockDrop(): void {
  if (SHARED_MEMORY) atomic.store<i32>(TABLE_LOCK, 0);
}

/** Whether this run keeps free slots per processor (not 1:1: see "The table"). */
// @ts-ignore: decorator
@inline function slotCaching(): bool { return !(SHARED_MEMORY && isOneToOne()); }

/** A free slot for a new thread, or -1 when the table is full (4M slots) or memory is out. */
function allocSlot(): i32 {
  if (slotCaching()) {
    if (cachedSlots == 0 && !refillSlots()) return -1;
    let slot = cachedSlots - 1;
    cachedSlots = load<u32>(entryAt(slot), 4) >> 9;
    cachedCount--;
    return <i32>slot;
  }
  tableLockTake();
  let slot: i32 = -1;
  if (freeSlots != 0) {
    slot = <i32>(freeSlots - 1);
    freeSlots = load<u32>(entryAt(<u32>slot), 4) >> 9;
  } else if (carve(1)) {
    slot = <i32>(tableUsed - 1);
  }
  tableLockDrop();
  return slot;
}

/** This processor's list is empty: moves up to SLOT_BATCH slots into it from the shared list, else
 *  carves new ones. False when there are none. */
function refillSlots(): bool {
  tableLockTake();
  let taken: u32 = 0;
  while (freeSlots != 0 && taken < SLOT_BATCH) {
    let slot = freeSlots - 1;
    let e = entryAt(slot);
    freeSlots = load<u32>(e, 4) >> 9;
    store<u32>(e, (load<u32>(e, 4) & GENERATION_MASK) | (cachedSlots << 9), 4);
    cachedSlots = slot + 1;
    taken++;
  }
  if (taken == 0) {
    // A small table grows a slot at a time, so that a program with a few threads numbers them as N:1
    // does; from 512 slots, SLOT_BATCH at once.
    let first = tableUsed;
    let count = min<u32>(min<u32>(SLOT_BATCH, max<u32>(1, first >> 3)), SLOT_MASK + 1 - first);
    while (count > 0 && !carve(count)) count >>= 1;  // near a heap limit, fewer
    // Linked highest first, so that the list hands them out in order.
    for (let i = count; i > 0; i--) {
      let slot = first + i - 1;
      let e = entryAt(slot);
      store<u32>(e, (load<u32>(e, 4) & GENERATION_MASK) | (cachedSlots << 9), 4);
      cachedSlots = slot + 1;
    }
    taken = count;
  }
  tableLockDrop();
  cachedCount += taken;
  return taken != 0;
}

/** With the table lock held: hands out `count` never-used slots (tableUsed moves past them), making
 *  the chunks they fall in. False if the table is full or a chunk finds no memory. */
function carve(count: u32): bool {
  let first = tableUsed;
  if (count == 0 || first + count - 1 > SLOT_MASK) return false;
  for (let c = first >> CHUNK_BITS, last = (first + count - 1) >> CHUNK_BITS; c <= last; c++) {
    let at = DIRECTORY + (<usize>c << 2);
    if (load<usize>(at) != 0) continue;
    let chunk = heapTryAlloc(<usize>CHUNK_SLOTS << 3, SPAWN_RESERVE);
    if (chunk == 0) return false;
    for (let i: usize = 0; i < <usize>CHUNK_SLOTS << 3; i += 8) store<u64>(chunk + i, 0);
    if (SHARED_MEMORY) atomic.store<u32>(at, <u32>chunk); else store<usize>(at, chunk);
  }
  tableUsed = first + count;
  return true;
}

/** Gives `slot` back (its entry already cleared, generation bumped). */
function freeSlot(slot: u32, generation: u32): void {
  let e = entryAt(slot);
  if (slotCaching()) {
    store<u32>(e, generation | (cachedSlots << 9), 4);
    cachedSlots = slot + 1;
    if (++cachedCount > SLOT_CACHE_MAX) spillSlots();
    return;
  }
  tableLockTake();
  store<u32>(e, generation | (freeSlots << 9), 4);
  freeSlots = slot + 1;
  tableLockDrop();
}

/** This processor keeps too many free slots: half go to the shared list. */
function spillSlots(): void {
  tableLockTake();
  for (let i: u32 = 0; i < SLOT_CACHE_MAX / 2; i++) {
    let slot = cachedSlots - 1;
    let e = entryAt(slot);
    cachedSlots = load<u32>(e, 4) >> 9;
    store<u32>(e, (load<u32>(e, 4) & GENERATION_MASK) | (freeSlots << 9), 4);
    freeSlots = slot + 1;
  }
  tableLockDrop();
  cachedCount -= SLOT_CACHE_MAX / 2;
}

// @ts-ignore: decorator
@inline function liveAdd(delta: i32): void {
  let at = LIVE + (SHARED_MEMORY ? <usize>processorIndex << 6 : 0);
  store<i32>(at, load<i32>(at) + delta);
}

/** The thread with id `id`, or null if there is none (never was, or already reaped). */
export function threadById(id: ThreadId): Thread | null {
  let slot = <u32>id & SLOT_MASK;
  if (id <= 0 || slot == 0 || slot >= tableUsed) return null;
  let tp = load<usize>(entryAt(slot));
  if (tp == 0 || changetype<Thread>(tp).id != id) return null;
  return changetype<Thread>(tp);
}

/** Starts a thread running `entry(arg)`. Returns its id, or -ENOMEM / -EAGAIN / -EINVAL. */
export function spawn(entry: (arg: usize) => i32, arg: usize = 0, options: SpawnOptions | null = null): ThreadId {
  let priority = PRIORITY_DEFAULT;
  let stackMax = STACK_MAX_DEFAULT;
  let name: usize = 0;
  let group = currentThread != 0 ? changetype<Thread>(currentThread).group : 0;
  let weight = 1;
  let detached = false;
  if (options) {
    priority = options.priority;
    if (priority < 0 || priority >= PRIORITY_LEVELS) return -EINVAL;
    if (options.group >= 0) group = options.group;
    if (options.group < -1 || !groupExists(group)) return -EINVAL;
    weight = options.weight;
    if (weight < 1 || weight > 1000000) return -EINVAL;
    if (weight != 1) fairShareOn();
    if (options.stackSize < 0) return -EINVAL;
    if (options.stackSize > 0) stackMax = max<u32>(<u32>options.stackSize, 64);
    name = changetype<usize>(options.name);
    detached = options.detached;
  }
  let tp = heapTryAlloc(THREAD_RECORD_SIZE, SPAWN_RESERVE);
  if (tp == 0) return -ENOMEM;
  // No scheduler lock (M:N): the slot comes from this processor's list, the record is ours until it is
  // pushed, and the push takes the queue's lock. 1:1 takes it to add a processor.
  let oneToOne = SHARED_MEMORY && isOneToOne();
  if (oneToOne) schedLockTake();
  let slot = allocSlot();
  if (slot < 0) {
    let full = tableUsed > SLOT_MASK;
    if (oneToOne) schedLockDrop();
    heapFree(tp);
    return full ? -EAGAIN : -ENOMEM;
  }
  for (let i: usize = 0; i < THREAD_RECORD_SIZE; i += 8) store<u64>(tp + i, 0); // not memory.fill: V8 calls out for it
  let t = changetype<Thread>(tp);
  let e = entryAt(<u32>slot);
  let generation = load<u32>(e, 4) & GENERATION_MASK;
  t.id = <i32>(generation << SLOT_BITS | <u32>slot);
  t.priority = priority;
  t.basePriority = priority;
  t.group = group;
  t.weight = weight;
  t.stackBase = STACK_NONE;
  t.stackTop = STACK_NONE;
  t.stackPointer = STACK_NONE;
  t.stackMax = stackMax;
  t.entry = changetype<usize>(entry);
  t.arg = arg;
  t.timerSlot = -1;
  t.name = name;
  // 1:1: the thread gets a processor of its own (main keeps the first); the host starts its Worker.
  let processor = -1;
  if (oneToOne) {
    processor = currentThread == 0 ? 0 : processorAdd();
    if (processor < 0) {
      freeSlot(<u32>slot, generation);
      schedLockDrop();
      heapFree(tp);
      return -EAGAIN;                         // no processor left (PROCESSORS_MAX)
    }
    t.pinned = processor + 1;
  }
  store<u32>(e, generation, 4);
  store<usize>(e, tp);                        // published by the push that makes it runnable
  liveAdd(1);
  let id = t.id;
  if (detached) t.flags |= FLAG_DETACHED | FLAG_BORN_DETACHED;
  makeRunnable(t);
  if (oneToOne) schedLockDrop();
  if (processor > 0) hostProcessorStart(processor);
  return id;
}

/** The scheduler loop calls this once the entry returned (Thread.exitValue holds its value): the TLS
 *  destructors, which may switch. Then the loop ends the thread (threadExited) in the same hold of the
 *  scheduler lock that takes it off its processor (scheduler.ts, leaveProcessor). */
export function threadFinishing(tp: usize): void {
  tlsRunDestructors(changetype<Thread>(tp));
}

/** The exit protocol's last steps, with the scheduler lock held and Thread.exitValue set: EXITED, the
 *  program's end if it is main. True if a thread waits to join it (the caller wakes it). */
export function threadExited(t: Thread): bool {
  transition(t, FROM_RUNNING, STATE_EXITED);
  if (t.flags & FLAG_MAIN) { mainValue = t.exitValue; endProgram(); }
  return t.joiner != 0;
}

/** The exit protocol for exit(): destructors, then EXITED, and the joiner woken. */
function threadFinish(t: Thread, value: i32): void {
  tlsRunDestructors(t);
  schedLockTake();
  t.exitValue = value;
  let joined = threadExited(t);
  schedLockDrop();
  if (joined) futexWake(changetype<usize>(t) + offsetof<Thread>("state"), -1);
}

/** Ends the calling thread with `value`, from any depth; TLS destructors run first. */
export function exit(value: i32): void {
  let t = changetype<Thread>(currentThread);
  t.flags |= FLAG_EXITING;
  threadFinish(t, value);
  suspend();                        // never resumed: the loop discards the frames of an exited thread
  abort("exit: a finished thread was resumed");
}

/** Ends thread `t` with an error: it trapped, overflowed, or the runtime could not keep it. */
/** The caller reaps a detached thread afterwards (the loop, once the thread is off its processor). */
export function threadKill(t: Thread, message: string): void {
  schedLockTake();
  let state = t.state;
  if (state == STATE_RUNNABLE) runQueueRemove(t);
  if (state == STATE_BLOCKED && inTable(t)) futexDequeue(t);
  if (state == STATE_BLOCKED || state == STATE_SLEEPING) cancelTimer(t);
  t.error = changetype<usize>(message);
  transition(t, FROM_LIVE, STATE_TRAPPED);
  if (t.flags & FLAG_MAIN) { mainValue = 1; mainError = changetype<usize>(message); endProgram(); }
  schedLockDrop();
  hostThreadDied(changetype<usize>(t));
  releaseFrames(t);
  futexWake(changetype<usize>(t) + offsetof<Thread>("state"), -1);
}

/** Whether a processor runs `t` or still saves its frames (M:N; processor.ts). */
// @ts-ignore: decorator
@inline function onCpu(t: Thread): bool {
  return SHARED_MEMORY && atomicLoad(changetype<usize>(t) + offsetof<Thread>("onCpu")) != 0;
}

/** Waits until `t` is off every processor, so that its record may be freed. */
// @ts-ignore: decorator
@inline function waitOffCpu(t: Thread): void {
  while (onCpu(t)) {}
}

/** Frees a finished thread's record and slot. The caller decides it alone: it holds the scheduler lock
 *  (join, detach, the loop), or the thread was born detached and this is the processor that ran it last
 *  (leaveProcessor, `unlocked`). The thread must be off every processor (waitOffCpu).
 *  Unlocked, a holder of the scheduler lock may have read the entry just before it was cleared: setPriority
 *  writes the record, join and detach read it to refuse. The record is freed only once the lock has been
 *  seen free after the clear (schedLockPassed), so none of them still has it; the slot may be reused at
 *  once, as a holder checks the id in the record, not the slot's. */
export function threadReap(t: Thread, unlocked: bool = false): void {
  let slot = <u32>t.id & SLOT_MASK;
  let e = entryAt(slot);
  let generation = ((<u32>t.id >> SLOT_BITS) + 1) & GENERATION_MASK;
  if (SHARED_MEMORY && unlocked) atomic.store<usize>(e, 0); else store<usize>(e, 0);
  freeSlot(slot, generation);
  tlsRelease(t);
  transition(t, FROM_FINISHED, STATE_FREE);
  if (SHARED_MEMORY && unlocked) schedLockPassed();
  if (t.stats) { heapFree(t.stats); t.stats = 0; }
  heapFree(changetype<usize>(t));
  liveAdd(-1);
}

/** Waits for thread `id` to finish; returns its value or error (see JoinResult). A new JoinResult each
 *  time (weft has no GC yet, so each costs 32 bytes for good): loops that join many threads can pass
 *  their own with joinInto. */
export function join(id: ThreadId): JoinResult {
  let result = new JoinResult();
  joinInto(id, result);
  return result;
}

/** join, filling `result`; returns result.code. */
export function joinInto(id: ThreadId, result: JoinResult): i32 {
  result.code = 0;
  result.value = 0;
  result.error = null;
  result.name = null;
  schedLockTake();
  let t = threadById(id);
  let code = 0;
  if (t === null) code = ESRCH;
  else if (changetype<usize>(t) == currentThread) code = EDEADLK;
  else if ((t.flags & FLAG_DETACHED) || t.joiner != 0) code = EINVAL;
  else t.joiner = self();
  schedLockDrop();
  if (code != 0) return result.code = code;
  let target = changetype<Thread>(t);
  let stateAddr = changetype<usize>(target) + offsetof<Thread>("state");
  while (true) {
    let state = atomicLoad(stateAddr);
    if (state == STATE_EXITED || state == STATE_TRAPPED) break;
    futexWaitFor(stateAddr, state, -1, WAIT_JOIN);
  }
  waitOffCpu(target);
  result.value = target.exitValue;
  if (target.error) result.error = changetype<string>(target.error);
  if (target.name) result.name = changetype<string>(target.name);
  schedLockTake();
  threadReap(target);
  schedLockDrop();
  return 0;
}

/** Lets thread `id` be reaped as soon as it finishes; it can no longer be joined. 0, ESRCH or EINVAL. */
export function detach(id: ThreadId): i32 {
  schedLockTake();
  let t = threadById(id);
  let code = 0;
  if (t === null) code = ESRCH;
  else if ((t.flags & FLAG_DETACHED) || t.joiner != 0) code = EINVAL;
  else {
    t.flags |= FLAG_DETACHED;
    // Finished and off its processor: nobody else will reap it. (Still on one: that processor's loop
    // reaps it, seeing the flag under the same lock as it leaves the thread.)
    if ((t.state == STATE_EXITED || t.state == STATE_TRAPPED) && !onCpu(t)) threadReap(t);
  }
  schedLockDrop();
  return code;
}

/** The calling thread's id. */
export function self(): ThreadId {
  return currentThread ? changetype<Thread>(currentThread).id : 0;
}

/** Names the calling thread. */
export function setName(name: string): void {
  changetype<Thread>(currentThread).name = changetype<usize>(name);
}

/** The name of thread `id` (the caller if 0), or "" if it has none. */
export function getName(id: ThreadId = 0): string {
  let t = id == 0 ? changetype<Thread>(currentThread) : threadById(id);
  if (t === null || t.name == 0) return "";
  return changetype<string>(t.name);
}

/** Starts the program: `main` becomes thread 1's entry, named "main". */
export function startMain(main: (arg: usize) => i32): ThreadId {
  preemptEnter();
  let options = new SpawnOptions();
  options.name = "main";
  let id = spawn(main, 0, options);
  if (id > 0) changetype<Thread>(threadById(id)).flags |= FLAG_MAIN;
  return id;
}

/** Why main died, if the core ended it (0 otherwise: a trap the host caught is known to the host). */
export function mainErrorMessage(): usize { return mainError; }

/** main's exit value (1 if main trapped). */
export function mainExitValue(): i32 { return mainValue; }

/** Records not yet reaped (the processors' counts summed: a snapshot while they run). */
export function liveThreadCount(): i32 {
  let live = 0;
  for (let i = 0, n = SHARED_MEMORY ? processors() : 1; i < n; i++) live += load<i32>(LIVE + (<usize>i << 6));
  return live;
}

/** The thread in `slot`, or 0 (free, or never handed out). */
export function threadAt(slot: u32): usize {
  if (slot == 0 || slot >= tableUsed) return 0;
  return load<usize>(entryAt(slot));
}

/** How many slots have been handed out (threadAt is 0 at and past it). */
export function threadTableUsed(): u32 { return tableUsed; }
