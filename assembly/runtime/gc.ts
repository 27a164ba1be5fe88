// The collector's mechanism: managed objects, their lists and marks, marking and sweeping.
//
// Design note
// -----------
// Problem: managed objects (`new`, strings, arrays, maps) must be freed once no thread can reach them,
// and the threads are many, mostly suspended, each with its own linear-memory stack; in M:N several
// processors allocate at once, each from its own heap cache, without a lock.
//
// Rejected: AssemblyScript's own collectors. Both keep their state in Wasm globals (per instance, so one
// per processor in M:N) and scan one stack, from __stack_pointer to __heap_base; a suspended thread's stack
// is elsewhere, so its objects would be freed under it. Its incremental one (itcms) also moves each object
// between doubly linked lists on every mark and needs its write barrier (__link) to be exact; a copying
// or compacting collector cannot work at all, since threads keep raw addresses (usize) of objects, in
// spawn arguments, TLS slots, channel buffers and waiters, that the compiler does not describe.
// Chosen: non-moving mark-sweep, marking in slices and sweeping lazily (core/gc.ts says when, who
// collects and what the roots are). Marks are epochs: a collection takes the next number and an object
// is marked when its gcInfo word holds it, so nothing has to be cleared between collections. Every object
// is on the list of the processor that allocated it (a singly linked list through gcInfo2, pushed without
// a lock: only its processor pushes, and others touch the lists only while every processor is stopped).
// While marking runs in slices the program goes on, so a reference it stores could hide an object the
// marking has not reached behind one it has passed: the write barrier (__link, which the compiler calls
// for every store of a reference into an object, and gcShade, which weft calls where it stores one for a
// thread) marks the stored object (Dijkstra's insertion barrier); stacks and globals have no barrier and
// are looked at again at the end (core/gc.ts, "Remark"). Objects made while marking runs start unmarked:
// one still reachable at the end is found through a root, a barrier or a marked object (sweep.ts).
//
// What is an object. A pointer from the heap's range counts as an object only if its block's tag (heap.ts)
// says so, so a stale or made-up value (a freed block, a raw block, a number in a TLS slot) is never
// marked: marking writes to the object's header, which in any other block is someone's data. Pointers
// below __heap_base are AssemblyScript's static objects (string literals, constant arrays); they are never
// freed, but are marked and scanned like any other, since a static array may hold heap objects.
//
// ╒═══ managed object (a heap block whose payload starts with AssemblyScript's object header) ═══╕
//  p-24 │ tag      u32  OBJECT_TAG (heap.ts's block tag)                                         │
//  p-20 │ mmInfo   u32  block capacity (heap.ts)                                                 │
//  p-16 │ gcInfo   u32  the epoch of the last collection that reached it (0: none yet)            │
//  p-12 │ gcInfo2  u32  next object on its processor's list (its `p`), 0 at the end                │
//  p-8  │ rtId     u32  class id (AssemblyScript's)                                              │
//  p-4  │ rtSize   u32  payload size in bytes                                                     │
//  p    │ payload                                                                                   │
// ╘═════════════════════════════════════════════════════════════════════════════════════════════════╛
// A static object has the same header from mmInfo on (gcInfo, gcInfo2 zero until marked) and no tag.
//
// Access rule: an object's header is written by its processor while it allocates it, and by the
// collector while the world is stopped; a list head is its processor's (the collector's while stopped);
// the mark stack and pin list belong to the collector (pins: the pin lock).

import { OBJECT_OVERHEAD, OBJECT_MAXSIZE } from "rt/common";
import { heapTryAlloc, heapFree, heapCapacity, HEADER, TAG_OFFSET } from "./heap";

/** The block tag of a managed object (heap.ts, "Block layout"): 'wobj'. */
// @ts-ignore: decorator
@inline export const OBJECT_TAG: u32 = 0x6a626f77;
/** Processors with an object list of their own: as many as a run may have (core/processor.ts,
 *  PROCESSORS_MAX, which checks that the two agree). 4 KiB of static memory. */
// @ts-ignore: decorator
@inline export const LISTS_MAX: u32 = 1024;
/** Entries the mark stack starts with (4 bytes each; it doubles when full). Not configurable. */
// @ts-ignore: decorator
@inline const MARK_STACK_INITIAL: usize = 4096;

@unmanaged class GcState {
  stop: u32;         // M:N: not 0 while a collection stops or holds the world (core/gc.ts); atomic
  phase: u32;        // PHASE_*: changed by the collector only while the world is stopped; atomic
  markLock: u32;     // M:N: guards the mark stack against barriers of running processors
  epoch: u32;        // the mark of the collection under way (or the last one)
  listsUsed: u32;    // lists that may hold objects: the highest processor index that allocated, + 1
  markStack: usize;  // the collector's stack of objects whose fields are still to visit
  markTop: usize;    // entries in it
  markCap: usize;    // its capacity (entries)
  overflowed: u32;   // a marked object could not be pushed (no memory to grow the stack): see gcMarkDrain
  staticCount: u32;  // static objects waiting in STATICS (the same case)
  pinLock: u32;
  pins: usize;       // pinned objects (__pin), an array; may repeat
  pinCount: u32;
  pinCap: u32;
}

/** Phases: no collection; marking (the barriers are on); sweeping (lazily, each processor its own). */
export const enum Phase { IDLE = 0, MARKING = 1, SWEEPING = 2 }

// @ts-ignore: decorator
@lazy const STATE: usize = memory.data(offsetof<GcState>(), 16);
/** The object lists' heads, one per processor. */
// @ts-ignore: decorator
@lazy export const LISTS: usize = memory.data(<i32>LISTS_MAX * sizeof<usize>(), 16);
// @ts-ignore: decorator
@inline function gc(): GcState { return changetype<GcState>(STATE); }

/** This processor's list head (LISTS + 4 × its index). Per processor. */
let listHead: usize = LISTS;

/** Bytes of objects this processor allocated since it last reported them (gcAllocated). Per processor. */
export let allocPending: usize = 0;
/** When allocPending reaches this, __new takes its slow path (core/gc.ts sets it). Per processor. */
export let allocBudget: usize = 0x400000;   // until core/gc.ts sets it

/** Why __new calls the slow path: its budget is spent (or, M:N, a collection waits for this processor),
 *  the heap could not give it a block, or the program asked for a collection (__collect). */
export const enum SlowPath { BUDGET = 0, NO_MEMORY = 1, ASKED = 2 }

/** The slow path: core/gc.ts decides there whether to collect, and parks this processor while another
 *  collects (the runtime cannot call up into the core directly, so the core hands it this function). */
let slowPath: ((why: i32) => void) | null = null;

/** Sets the slow path (core/gc.ts, once, before any thread runs). Until then nothing is collected. */
export function gcSetSlowPath(f: (why: i32) => void): void { slowPath = f; }

/** Takes the slow path; false if there is none yet (no collection is possible). */
export function gcSlowPath(why: i32): bool {
  let f = slowPath;
  if (f === null) { allocPending = 0; return false; }
  f(why);
  return true;
}

/** M:N: whether a collection asks this processor to stop (core/gc.ts writes the word: 1). A fork's stop
 *  (2, core/gcstop.ts) is not one: it stops processors only at their loop's top (stopRequested). */
// @ts-ignore: decorator
@inline export function gcStopRequested(): bool {
  return isDefined(WEFT_SHARED_MEMORY) && atomic.load<u32>(STATE + offsetof<GcState>("stop")) == 1;
}

/** M:N: whether any stop is asked for, a collection's or a fork's (the loop's top, a processor entering). */
// @ts-ignore: decorator
@inline export function stopRequested(): bool {
  return isDefined(WEFT_SHARED_MEMORY) && atomic.load<u32>(STATE + offsetof<GcState>("stop")) != 0;
}

/** The collection's phase (Phase). */
// @ts-ignore: decorator
@inline export function gcPhase(): u32 {
  return isDefined(WEFT_SHARED_MEMORY) ? atomic.load<u32>(STATE + offsetof<GcState>("phase")) : load<u32>(STATE + offsetof<GcState>("phase"));
}

/** Sets the phase (the collector, with the world stopped). */
export function gcSetPhase(phase: u32): void { atomic.store<u32>(STATE + offsetof<GcState>("phase"), phase); }

/** How many lists there may be objects on (the highest processor index that allocated + 1). */
export function gcListsUsed(): u32 { return max<u32>(atomic.load<u32>(STATE + offsetof<GcState>("listsUsed")), 1); }

/** The mark of the collection under way, or of the last one. */
export function gcEpoch(): u32 { return gc().epoch; }

/** The word gcStopRequested reads, for core/gc.ts to set, clear, wait and notify on. */
export function gcStopWord(): usize { return STATE + offsetof<GcState>("stop"); }

/** The index of this processor's list (its processor's index; 0 in N:1). */
export function gcOwnList(): u32 { return <u32>((listHead - LISTS) >> alignof<usize>()); }

/** Processor `index` allocates objects onto list `index` (heapCacheEnter). */
export function gcEnter(index: u32): void {
  if (index >= LISTS_MAX) return;
  listHead = LISTS + (<usize>index << alignof<usize>());
  let s = gc();
  if (isDefined(WEFT_SHARED_MEMORY)) {
    let used = atomic.load<u32>(STATE + offsetof<GcState>("listsUsed"));
    while (used < index + 1) {
      let seen = atomic.cmpxchg<u32>(STATE + offsetof<GcState>("listsUsed"), used, index + 1);
      if (seen == used) break;
      used = seen;
    }
  } else if (s.listsUsed < index + 1) s.listsUsed = index + 1;
}

// ─── Objects ───

/** Makes the block `ptr` (OBJECT_OVERHEAD + size bytes from heapTryAlloc) an object of class `id` and
 *  puts it on this processor's list; returns its payload pointer. */
// @ts-ignore: decorator
@inline export function objectInit(ptr: usize, size: usize, id: u32): usize {
  let p = ptr + OBJECT_OVERHEAD;
  store<u32>(ptr, 0);                               // gcInfo: not marked
  store<u32>(ptr, <u32>load<usize>(listHead), 4);   // gcInfo2: the list
  store<u32>(ptr, id, 8);                           // rtId
  store<u32>(ptr, <u32>size, 12);                   // rtSize
  store<u32>(ptr - TAG_OFFSET, OBJECT_TAG);
  store<usize>(listHead, p);
  allocPending += heapCapacity(ptr) + HEADER;
  return p;
}

/** Whether `p` is a managed object of the heap that is still allocated (see "What is an object"). */
// @ts-ignore: decorator
@inline function isHeapObject(p: usize): bool {
  return p > __heap_base && (p & 15) == 0 && load<u32>(p - OBJECT_OVERHEAD - TAG_OFFSET) == OBJECT_TAG;
}

// ─── Marking (the collector only, with the world stopped) ───

/** Starts a collection's marking: the next epoch; returns it. */
export function gcMarkBegin(): u32 {
  let s = gc();
  let epoch = s.epoch + 1;
  if (epoch == 0) epoch = 1;                        // 0 is "never marked"
  s.epoch = epoch;
  s.markTop = 0;
  s.overflowed = 0;
  s.staticCount = 0;
  if (s.markStack == 0) gcReserve();           // none yet: markPush copes with a stack of 0
  return epoch;
}

/** Makes the mark stack (core/gc.ts, at start-up, while memory is plentiful). */
export function gcReserve(): bool {
  let s = gc();
  if (s.markStack != 0) return true;
  s.markStack = heapTryAlloc(MARK_STACK_INITIAL << alignof<usize>());
  s.markCap = s.markStack != 0 ? MARK_STACK_INITIAL : 0;
  return s.markStack != 0;
}

/** Static objects the mark stack could not take (see markPush). A program has few (its constant arrays
 *  and the like), so STATICS_MAX is plenty; past it, the collection stops with a message. */
// @ts-ignore: decorator
@inline const STATICS_MAX: u32 = 1024;
// @ts-ignore: decorator
@lazy const STATICS: usize = memory.data(<i32>STATICS_MAX * 4, 16);

/** Pushes `p` (an object just marked) on the mark stack, growing it when full. With no memory to grow
 *  it, a heap object stays marked but unvisited (gcMarkDrain finds it again on its list), and a static
 *  one goes into STATICS. A collection never fails for want of memory, and never calls itself back. */
function markPush(p: usize): void {
  let s = gc();
  if (s.markTop == s.markCap) {
    let cap = max<usize>(s.markCap << 1, 16);
    let grown = heapTryAlloc(cap << alignof<usize>());
    if (grown == 0) {
      s.overflowed = 1;
      if (p < __heap_base) {
        if (s.staticCount == STATICS_MAX) abort("gc: too many static objects to mark with the heap full");
        store<usize>(STATICS + (<usize>s.staticCount << alignof<usize>()), p);
        s.staticCount++;
      }
      return;
    }
    memory.copy(grown, s.markStack, s.markCap << alignof<usize>());
    heapFree(s.markStack);
    s.markStack = grown;
    s.markCap = cap;
  }
  store<usize>(s.markStack + (s.markTop << alignof<usize>()), p);
  s.markTop++;
}

// @ts-ignore: decorator
@inline function markLockTake(): void {
  if (isDefined(WEFT_SHARED_MEMORY)) {
    while (atomic.cmpxchg<u32>(STATE + offsetof<GcState>("markLock"), 0, 1) != 0) {}
  }
}
// @ts-ignore: decorator
@inline function markLockDrop(): void {
  if (isDefined(WEFT_SHARED_MEMORY)) atomic.store<u32>(STATE + offsetof<GcState>("markLock"), 0);
}

/** The write barrier: while marking runs, marks `p` (a reference just stored into an object, or by weft
 *  where it keeps one for a thread) so that the marking cannot miss it. Costs a load and a branch
 *  otherwise. */
// @ts-ignore: decorator
@inline export function gcShade(p: usize): void {
  if (p != 0 && gcPhase() == Phase.MARKING) shade(p);
}

/** gcShade for a word that may or may not be an object (a channel slot, a spawn argument). */
// @ts-ignore: decorator
@inline export function gcShadeMaybe(p: usize): void {
  if (p != 0 && gcPhase() == Phase.MARKING && isHeapObject(p)) shade(p);
}

/** A barrier's mark, taken by a running processor (M:N: others run too, hence the lock). */
function shade(p: usize): void {
  markLockTake();
  gcMark(p);
  markLockDrop();
}

/** Marks the object at `p` if it is not yet marked. `p` comes from the compiler's description of
 *  memory (a global, a field, a stack slot): 0, a static object, or a heap object; anything else in the
 *  heap's range is skipped. */
export function gcMark(p: usize): void {
  if (p == 0) return;
  if (p < __heap_base) {
    if ((p & 15) != 0 || p < OBJECT_OVERHEAD + 16 || p >= __data_end) return;   // static data only
  } else if (!isHeapObject(p)) return;
  let info = p - OBJECT_OVERHEAD;
  let mark = load<u32>(info);
  let epoch = gc().epoch;
  if (mark == epoch) return;
  store<u32>(info, epoch);
  markPush(p);
}

/** Marks `p` if it is a heap object; anything else (a number, a static object, a freed block) is
 *  ignored. For words weft keeps on a thread's behalf whose type it does not know (spawn arguments, TLS
 *  values, channel slots of references). */
export function gcMarkMaybe(p: usize): void {
  if (isHeapObject(p)) gcMark(p);
}

/** Marks every object the words in [from, to) point to (a stack: each word is an object or 0). */
export function gcMarkRange(from: usize, to: usize): void {
  for (let at = from & ~(sizeof<usize>() - 1); at < to; at += sizeof<usize>()) gcMark(load<usize>(at));
}

/** Visits the fields of up to `budget` marked objects; true when none is left to visit (an overflow
 *  is then also dealt with, see gcMarkDrain). */
export function gcMarkSome(budget: i32): bool {
  let s = gc();
  while (s.markTop > 0 && budget-- > 0) {
    let top = s.markTop - 1;
    s.markTop = top;
    __visit_members(load<usize>(s.markStack + (top << alignof<usize>())), 0);
  }
  if (s.markTop > 0) return false;
  if (s.overflowed) gcMarkDrain();
  return true;
}

/** Visits the fields of every marked object until none is left to visit. After an overflow (markPush),
 *  walks every list and visits the fields of each marked object again, until a walk overflows no more:
 *  slow, and only when memory is all but gone. */
export function gcMarkDrain(): void {
  let s = gc();
  drainStack();
  while (s.overflowed) {
    s.overflowed = 0;
    while (s.staticCount > 0) {
      s.staticCount--;
      __visit_members(load<usize>(STATICS + (<usize>s.staticCount << alignof<usize>())), 0);
      drainStack();
    }
    let epoch = s.epoch;
    for (let i: u32 = 0; i < max<u32>(s.listsUsed, 1); i++) {
      let p = load<usize>(LISTS + (<usize>i << alignof<usize>()));
      while (p != 0) {
        let info = p - OBJECT_OVERHEAD;
        if (load<u32>(info) == epoch) { __visit_members(p, 0); drainStack(); }
        p = <usize>load<u32>(info, 4);
      }
    }
  }
}

function drainStack(): void {
  let s = gc();
  while (s.markTop > 0) {
    let top = s.markTop - 1;
    s.markTop = top;
    let p = load<usize>(s.markStack + (top << alignof<usize>()));
    __visit_members(p, 0);
  }
}

/** Marks the pinned objects (__pin). */
export function gcMarkPins(): void {
  let s = gc();
  for (let i: u32 = 0; i < s.pinCount; i++) gcMark(load<usize>(s.pins + (<usize>i << alignof<usize>())));
}

// ─── Pins (objects the host holds: AssemblyScript's __pin / __unpin) ───

// @ts-ignore: decorator
@inline function pinLockTake(): void {
  if (isDefined(WEFT_SHARED_MEMORY)) {
    while (atomic.cmpxchg<u32>(STATE + offsetof<GcState>("pinLock"), 0, 1) != 0) {}
  }
}
// @ts-ignore: decorator
@inline function pinLockDrop(): void {
  if (isDefined(WEFT_SHARED_MEMORY)) atomic.store<u32>(STATE + offsetof<GcState>("pinLock"), 0);
}

/** Keeps `p` alive however unreachable, until gcUnpin. False when there is no memory for it. */
export function gcPin(p: usize): bool {
  pinLockTake();
  let s = gc();
  if (s.pinCount == s.pinCap) {
    let cap = max<u32>(16, s.pinCap << 1);
    let grown = heapTryAlloc(<usize>cap << alignof<usize>());
    if (grown == 0) { pinLockDrop(); return false; }
    if (s.pins) { memory.copy(grown, s.pins, <usize>s.pinCount << alignof<usize>()); heapFree(s.pins); }
    s.pins = grown;
    s.pinCap = cap;
  }
  store<usize>(s.pins + (<usize>s.pinCount << alignof<usize>()), p);
  s.pinCount++;
  pinLockDrop();
  return true;
}

/** Undoes one gcPin of `p`; false if it was not pinned. */
export function gcUnpin(p: usize): bool {
  pinLockTake();
  let s = gc();
  for (let i: u32 = 0; i < s.pinCount; i++) {
    let at = s.pins + (<usize>i << alignof<usize>());
    if (load<usize>(at) == p) {
      s.pinCount--;
      store<usize>(at, load<usize>(s.pins + (<usize>s.pinCount << alignof<usize>())));
      pinLockDrop();
      return true;
    }
  }
  pinLockDrop();
  return false;
}
