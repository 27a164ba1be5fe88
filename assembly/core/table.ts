// The thread table: ids to records, free slots, and the count of live threads.
//
// Design note
// -----------
// Ids. An id names a slot and that slot's generation (id = generation << SLOT_BITS | slot), so an id
// stays dead after its thread was reaped even when the slot is reused: join and detach on a stale id say
// ESRCH instead of touching another thread. Up to 4M slots; 512 generations per slot.
//
// Slots live in chunks of CHUNK_SLOTS entries that never move once made (a directory of chunk
// addresses, static), so a processor reads and writes its own entries without a lock. Free slots
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
// entry by the processor whose list holds it (the shared list: under the table lock). A thread born
// detached leaves the table without the scheduler lock (tableRemove).

import { Thread } from "./layout";
import { heapTryAlloc } from "../runtime/index";
import { SHARED_MEMORY } from "./atomics";
import { isOneToOne, processorIndex, spinLockContended, spinLockDrop, processors, schedLockPassed, PROCESSORS_MAX } from "./processor";

export type ThreadId = i32;

// @ts-ignore: decorator
@inline export const SLOT_BITS: u32 = 22;
// @ts-ignore: decorator
@inline export const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
// @ts-ignore: decorator
@inline const GENERATION_MASK: u32 = 0x1ff;

/** Bytes spawn leaves free under a heap limit (weft_configure), so that after -ENOMEM the program can
 *  still print, join and run (bytes; 256 KiB covers a few thousand strings and save areas). */
// @ts-ignore: decorator
@inline export const SPAWN_RESERVE: usize = 256 << 10;

/** Log2 of the entries per chunk (4,096: 32 KiB; a program's first chunk is made by its first spawn).
 *  Not configurable. */
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
  if (SHARED_MEMORY) spinLockDrop(TABLE_LOCK);
}

/** Whether this run keeps free slots per processor (not 1:1: see the design note). */
// @ts-ignore: decorator
@inline function slotCaching(): bool { return !(SHARED_MEMORY && isOneToOne()); }

/** A free slot for a new thread, or -1 when the table is full (tableFull) or memory is out. */
export function allocSlot(): i32 {
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
export function freeSlot(slot: u32, generation: u32): void {
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

/** The table has no slot left to hand out (4M: ids have SLOT_BITS for it). */
export function tableFull(): bool { return tableUsed > SLOT_MASK; }

/** The generation a new thread in free `slot` gets (the reap that freed it bumped it). */
// @ts-ignore: decorator
@inline export function slotGeneration(slot: u32): u32 { return load<u32>(entryAt(slot), 4) & GENERATION_MASK; }

/** The id of the thread in `slot` at `generation`. */
// @ts-ignore: decorator
@inline export function idOf(generation: u32, slot: u32): ThreadId { return <i32>(generation << SLOT_BITS | slot); }

/** Enters `tp` (the new thread `id`) into its slot; the push that makes it runnable publishes it. */
// @ts-ignore: decorator
@inline export function tableEnter(id: ThreadId, tp: usize): void {
  let e = entryAt(<u32>id & SLOT_MASK);
  store<u32>(e, (<u32>id >> SLOT_BITS) & GENERATION_MASK, 4);
  store<usize>(e, tp);
}

/** Takes thread `id` out of the table and gives its slot back, a generation on. `unlocked` (a thread
 *  born detached, ended without the scheduler lock): the entry is cleared with a seq-cst store and this
 *  returns only once the scheduler lock has been seen free after it, so that no holder of the lock that
 *  read the entry before still has the record (threadReap frees it next). The slot itself may be reused
 *  at once: a holder checks the id in the record, not the slot's. */
export function tableRemove(id: ThreadId, unlocked: bool): void {
  let slot = <u32>id & SLOT_MASK;
  let e = entryAt(slot);
  if (SHARED_MEMORY && unlocked) atomic.store<usize>(e, 0); else store<usize>(e, 0);
  freeSlot(slot, ((<u32>id >> SLOT_BITS) + 1) & GENERATION_MASK);
  if (SHARED_MEMORY && unlocked) schedLockPassed();
}

/** Counts a thread made (+1) or reaped (-1) on this processor (LIVE). */
// @ts-ignore: decorator
@inline export function liveAdd(delta: i32): void {
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
