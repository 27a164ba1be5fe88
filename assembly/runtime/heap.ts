// The allocator: weft's memory manager for every processor, below the collector (gc.ts).
//
// Design note
// -----------
// AssemblyScript's own runtimes assume one instance owns the heap: their state lives in Wasm globals
// (per instance) and is initialised by the start function (run again by every instantiation). weft runs
// one instance per processor over one memory (M:N), so this runtime keeps all of its state in linear
// memory, guards it with one lock, and initialises itself once, lazily, on the first allocation.
//
// Approaches rejected: TLSF (AssemblyScript's) keeps its root in a global and coalesces on free, which
// makes every free touch neighbours; a bump allocator (the stub) never reuses memory, so spawn/join in a
// loop would grow without bound. Chosen: segregated free lists by size class, no coalescing. Thread
// records, save areas and stacks come in a few sizes and are reused exactly, which is what spawn/join
// needs to be fast.
//
// Size classes: payloads are multiples of 16 bytes. Up to 1 KiB every multiple of 16 is a class (64
// classes); above, each power of two is split into 4 classes (at most 25% slack). A freed block goes to
// the head of its class list and is handed out again only for that class.
//
// Block layout (the AssemblyScript BLOCK header sits right before the payload; a managed object's own
// header is the first 16 bytes of the payload, see gc.ts):
//
//  ptr-16      ptr-8        ptr-4            ptr                                   ptr+size
//   ├─ (free) ─┼─ tag (u32) ┼─ size (u32) ───┼── payload (16-aligned) ─────────────┤
//                tag: OBJECT_TAG while a managed object lives here (gc.ts), else 0
//                              mmInfo: payload capacity in bytes (the class size)
//  A free block stores the next free block of its class in its first payload word. heapFree clears the
//  tag, so a stale pointer to a freed block never passes for an object.
//
// What is freed and when: memory that the runtime owns (thread records, save areas, stacks, TLS blocks,
// wait-queue nodes) is freed by the runtime, when the thread is joined, or when it exits if detached.
// Managed objects (`new`, strings, arrays) are freed by the collector (gc.ts) once unreachable.
//
// Processor caches (shared builds only). One lock for every allocation makes the processors queue on it
// (skynet on 2 processors spent ~30% of its time in the heap's lock). So each processor keeps its own
// free lists for the small classes (a cache block, made when the processor enters): it allocates from
// them and frees into them without the lock, refills a class that ran dry by sweeping on while its
// objects are being swept (sweep.ts, "Sweeping on demand"), else with CACHE_BATCH blocks at once under the
// lock (FRESH_BATCH, carved in one piece, when they must come from fresh memory), and gives half back
// when a class holds more than cacheMax(cls). A block freed on another processor than the one that allocated
// it simply joins that processor's cache. `allocated` counts blocks out of the global lists;
// heapAllocated() subtracts what the caches hold, so it still says what is in use.
//
// ╒═══ processor cache (per processor; `caches[i]` in the state holds processor i's) ═══╕
//   0 │ cached  usize  payload bytes the cache holds                                      │
//   8 │ lists   {head usize, count u32} × SMALL_CLASSES                                    │
// ╘═════════════════════════════════════════════════════════════════════════════════════╛
//
// State (HeapState below, in static memory that no data segment covers, so re-instantiation keeps it):
//   lock  — atomic spin lock; guards every other field.
//   ready — 0 until the first allocation initialised the heap (done under the lock, so once).
//   top   — the bump pointer: the first byte never handed out. Guarded by lock.
//   limit — the most the heap may grow to (bytes; 0 = memory's own maximum): a cache line of its own
//           (LIMIT), set before the program runs and read on every spawn, so that no lock or refill
//           writes the line it is read from.
//   heads — the free list head of each class. Guarded by lock.

import { AL_MASK, BLOCK, BLOCK_MAXSIZE, OBJECT, OBJECT_OVERHEAD, OBJECT_MAXSIZE } from "rt/common";
import { gcSweepDemand } from "./sweep";

// @ts-ignore: decorator
@inline export const HEADER: usize = 16;
/** Where a block's tag sits, before its payload (see the block layout). */
// @ts-ignore: decorator
@inline export const TAG_OFFSET: usize = 8;
// @ts-ignore: decorator
@inline const SMALL_LIMIT: usize = 1024;
// @ts-ignore: decorator
@inline const SMALL_CLASSES: u32 = 64;
// @ts-ignore: decorator
@inline const CLASSES: u32 = SMALL_CLASSES + 4 * 20 + 1; // up to 2^30

@unmanaged class HeapState {
  lock: u32;
  ready: u32;
  top: usize;
  allocated: usize; // bytes in blocks handed out and not freed (payload capacity)
}

/** Processors that can have a cache (core/processor.ts, PROCESSORS_MAX). */
// @ts-ignore: decorator
@inline const CACHES_MAX: u32 = 64;
/** Blocks a processor takes from the global list of a class at once. 16: one lock round trip per 16
 *  allocations, and at most 16 KiB held per class. Not configurable. */
// @ts-ignore: decorator
@inline const CACHE_BATCH: u32 = 16;
/** Bytes of blocks a processor's class may hold before it gives half back, and the fewest blocks (for the
 *  large small classes). A sweep frees a processor's objects into its own cache, ~2,000 at a time; what
 *  does not fit goes back to the global lists, and refills take it back later by chasing blocks that
 *  have gone cold, one after the other, under the lock (with 64 blocks a class, examples/http.ts on
 *  processors spent ~6% of their time there). 32 KiB a class keeps most of what a sweep batch frees of
 *  it in the cache (the HTTP server's refill samples halved). Not configurable. */
// @ts-ignore: decorator
@inline const CACHE_CLASS_BYTES: u32 = 32 << 10;
// @ts-ignore: decorator
@inline const CACHE_MIN: u32 = 64;
/** Blocks class `cls` of a processor's cache may hold. */
// @ts-ignore: decorator
@inline function cacheMax(cls: u32): u32 { return max<u32>(CACHE_MIN, CACHE_CLASS_BYTES / ((cls + 1) << 4)); }
/** Blocks a refill carves out of fresh memory at once (the global list of the class being empty): one
 *  lock round trip per 32 fresh blocks. Programs that allocate faster than they free take most blocks
 *  this way; skynet on 2 processors refilled ~70,000 times with 16. Half of
 *  CACHE_MIN, so a full refill does not spill at its next free. Not configurable. */
// @ts-ignore: decorator
@inline const FRESH_BATCH: u32 = 32;
// @ts-ignore: decorator
@inline const CACHE_LISTS: usize = 8;
// @ts-ignore: decorator
@inline const CACHE_BYTES: usize = CACHE_LISTS + <usize>SMALL_CLASSES * 8;

// @ts-ignore: decorator
@lazy const STATE: usize = memory.data(offsetof<HeapState>() + CLASSES * sizeof<usize>(), 16);
// @ts-ignore: decorator
@lazy const LIMIT: usize = memory.data(64, 64);
// @ts-ignore: decorator
@inline function heapLimit(): usize { return load<usize>(LIMIT); }
// caches[i]: processor i's cache block, 0 if it has none.
// @ts-ignore: decorator
@lazy const CACHES: usize = memory.data(CACHES_MAX * sizeof<usize>(), 16);
/** This processor's cache block (shared builds), or 0. Per processor (host/compiler/passes/shared.ts). */
let cache: usize = 0;
// @ts-ignore: decorator
@inline function state(): HeapState { return changetype<HeapState>(STATE); }
// @ts-ignore: decorator
@inline function headAddr(cls: u32): usize { return STATE + offsetof<HeapState>() + (<usize>cls << alignof<usize>()); }

// The lock is needed only when processors share the memory (see assembly/core/atomics.ts).
// @ts-ignore: decorator
@inline function lockHeap(): void {
  if (isDefined(WEFT_SHARED_MEMORY)) {
    // Test and test-and-set: a waiter spins on a load (its cache's copy of the line), not on cmpxchg.
    while (atomic.cmpxchg<u32>(STATE, 0, 1) != 0) { while (atomic.load<u32>(STATE) != 0) {} }
  }
}
// @ts-ignore: decorator
@inline function unlockHeap(): void { if (isDefined(WEFT_SHARED_MEMORY)) atomic.store<u32>(STATE, 0); }

/** The class of a payload of `size` bytes (size > 0). */
function classOf(size: usize): u32 {
  if (size <= SMALL_LIMIT) return <u32>((size + 15) >> 4) - 1;
  let k = 31 - clz<u32>(<u32>(size - 1));           // 2^k < size <= 2^(k+1)
  let sub = <u32>((size - 1) >> (k - 2)) & 3;
  return SMALL_CLASSES + <u32>(k - 10) * 4 + sub;
}

/** The payload capacity of class `cls`. */
function classSize(cls: u32): usize {
  if (cls < SMALL_CLASSES) return (<usize>cls + 1) << 4;
  let c = cls - SMALL_CLASSES;
  let k = (c >> 2) + 10;
  return (<usize>1 << k) + ((<usize>(c & 3) + 1) << (k - 2));
}

function initHeap(): void {
  let s = state();
  s.top = (__heap_base + HEADER + AL_MASK) & ~AL_MASK;
  s.ready = 1;
}

/** Moves the bump pointer by `bytes`, growing memory; false when the limit or memory.grow says no. */
function growTop(bytes: usize): bool {
  let s = state();
  let newTop = s.top + bytes;
  if (newTop < s.top) return false;
  let limit = heapLimit();
  if (limit != 0 && newTop > limit) return false;
  let have = <usize>memory.size() << 16;
  if (newTop > have) {
    let need = <i32>((newTop - have + 0xffff) >>> 16);
    let want = max<i32>(need, <i32>(have >>> 17)); // grow by half again, at least what is needed
    if (memory.grow(want) < 0 && memory.grow(need) < 0) return false;
  }
  s.top = newTop;
  return true;
}

/** Allocates `size` bytes (16-aligned) or returns 0 when memory is exhausted. Never aborts. With a
 *  `reserve`, a block that would have to come from fresh memory is refused unless `reserve` bytes stay
 *  free under the heap's limit after it (spawn keeps room for the program to go on after ENOMEM). */
export function heapTryAlloc(size: usize, reserve: usize = 0): usize {
  if (size > BLOCK_MAXSIZE) return 0;
  let cls = classOf(max<usize>(size, 16));
  // A reserve matters only under a heap limit (spawn): then the global path checks it.
  if (isDefined(WEFT_SHARED_MEMORY) && cache != 0 && cls < SMALL_CLASSES && (reserve == 0 || heapLimit() == 0)) {
    let list = cache + CACHE_LISTS + (<usize>cls << 3);
    let ptr = load<usize>(list);
    if (ptr == 0) {
      gcSweepDemand(list);                    // sweep.ts, "Sweeping on demand"
      if (load<usize>(list) == 0 && !cacheRefill(cls, list)) return 0;
      ptr = load<usize>(list);
    }
    store<usize>(list, load<usize>(ptr));
    store<u32>(list, load<u32>(list, 4) - 1, 4);
    store<usize>(cache, load<usize>(cache) - classSize(cls));   // a small class's blocks have its exact size
    return ptr;
  }
  let head = headAddr(cls);
  lockHeap();
  let s = state();
  if (!s.ready) initHeap();
  let ptr = load<usize>(head);
  let cap = classSize(cls);                   // a listed block of the class has this capacity too
  if (ptr) {
    store<usize>(head, load<usize>(ptr));
    s.allocated += cap;
    unlockHeap();
    return ptr;
  }
  let at = s.top;
  let limit = heapLimit();
  if (reserve != 0 && limit != 0 && at + cap + HEADER + reserve > limit) { unlockHeap(); return 0; }
  if (!growTop(cap + HEADER)) {
    ptr = takeLarger(cls);                    // no fresh memory: split a larger free block
    unlockHeap();
    return ptr;
  }
  s.allocated += cap;
  unlockHeap();
  // Fresh memory, touched outside the lock. Not always zero (heapMerge may have lowered the top): the tag
  // is cleared, so that what was there never passes for an object.
  changetype<BLOCK>(at - sizeof<usize>()).mmInfo = cap;
  store<u32>(at - TAG_OFFSET, 0);
  return at;
}

/** Takes CACHE_BATCH blocks of class `cls` into this processor's `list` (empty) from the global list,
 *  or, once that is empty, FRESH_BATCH blocks of fresh memory carved out of one move of the bump pointer.
 *  False when there is none at all. */
function cacheRefill(cls: u32, list: usize): bool {
  let head = headAddr(cls);
  let cap = classSize(cls);
  let got: u32 = 0;
  lockHeap();
  let s = state();
  if (!s.ready) initHeap();
  while (got < CACHE_BATCH) {
    let ptr = load<usize>(head);
    if (ptr == 0) break;
    store<usize>(head, load<usize>(ptr));
    store<usize>(ptr, load<usize>(list));
    store<usize>(list, ptr);
    got++;
  }
  let fresh: usize = 0;
  let step = cap + HEADER;
  if (got == 0) {
    // One growTop for the whole batch, not one per block; near the limit, as many single blocks as fit.
    fresh = s.top;
    let n: u32 = growTop(step * FRESH_BATCH) ? FRESH_BATCH : 0;
    if (n == 0) while (n < CACHE_BATCH && growTop(step)) n++;
    got = n;
    if (got == 0) {
      fresh = 0;
      let ptr = takeLarger(cls);              // counts itself in `allocated`
      if (ptr != 0) { store<usize>(ptr, load<usize>(list)); store<usize>(list, ptr); s.allocated -= cap; got = 1; }
    }
  }
  s.allocated += cap * got;
  unlockHeap();
  // The fresh blocks are ours alone once the bump pointer moved past them: they are laid out after the
  // lock is dropped, because the first touch of fresh memory faults its pages in (microseconds each),
  // and the other processors would wait for that on the lock.
  if (fresh != 0) {
    for (let i: u32 = 0; i < got; i++) {
      let ptr = fresh + <usize>i * step;
      changetype<BLOCK>(ptr - sizeof<usize>()).mmInfo = cap;
      store<u32>(ptr - TAG_OFFSET, 0);        // see heapTryAlloc
      store<usize>(ptr, load<usize>(list));
      store<usize>(list, ptr);
    }
  }
  store<u32>(list, got, 4);
  store<usize>(cache, load<usize>(cache) + cap * got);
  return got != 0;
}

/** Gives half of this processor's `list` of class `cls` back to the global list. */
function cacheSpill(cls: u32, list: usize): void {
  let cap = classSize(cls);
  let n = load<u32>(list, 4) >> 1;
  let first = load<usize>(list), last = first;
  for (let i: u32 = 1; i < n; i++) last = load<usize>(last);
  store<usize>(list, load<usize>(last));
  store<u32>(list, load<u32>(list, 4) - n, 4);
  store<usize>(cache, load<usize>(cache) - cap * n);
  let head = headAddr(cls);
  lockHeap();
  store<usize>(last, load<usize>(head));
  store<usize>(head, first);
  state().allocated -= cap * n;
  unlockHeap();
}

// ─── When memory runs out: splitting and merging free blocks ───
//
// Size classes never mix on their own: memory freed in small blocks cannot serve a large request, nor the
// reverse, and a program whose objects change size over its life (the collector frees millions of them)
// would run out with most of its heap free. So, only once fresh memory is exhausted:
//   - an allocation whose class list is empty splits the smallest larger free block (takeLarger);
//   - a collection that was started because an allocation failed merges every run of adjacent free
//     blocks, with every processor stopped (heapMerge, called by core/gc.ts); a run that reaches the top
//     gives its memory back to the bump pointer.
// Either way every block on a list keeps exactly its class's capacity (carve).

/** The largest class whose capacity is at most `cap` (cap >= 16, a multiple of 16). */
function classFloor(cap: usize): u32 {
  let c = classOf(cap);
  return classSize(c) > cap ? c - 1 : c;
}

/** Lays out the `span` bytes at `ptr` (the payload of a block whose header is in place; a multiple of 16,
 *  at least 16) as free blocks of exact classes, onto the global lists. Heap lock held. */
function carve(ptr: usize, span: usize): void {
  while (span >= 16) {
    let cap = span;
    if (cap > SMALL_LIMIT) {
      cap = classSize(classFloor(span));
      if (span - cap == HEADER) cap = classSize(classFloor(span) - 1);   // no room for a block after it
    }
    store<u32>(ptr - TAG_OFFSET, 0);
    changetype<BLOCK>(ptr - sizeof<usize>()).mmInfo = <u32>cap;
    let head = headAddr(classOf(cap));
    store<usize>(ptr, load<usize>(head));
    store<usize>(head, ptr);
    if (span == cap) return;
    ptr += cap + HEADER;
    span -= cap + HEADER;
  }
}

/** A block of class `cls` split off the smallest larger free block (the rest goes back to the lists), or
 *  0 if there is none. Counts it in `allocated`. Heap lock held. */
function takeLarger(cls: u32): usize {
  let cap = classSize(cls);
  for (let c = cls + 1; c < CLASSES; c++) {
    let head = headAddr(c);
    let ptr = load<usize>(head);
    let whole = classSize(c);
    if (ptr == 0 || whole - cap == HEADER) continue;     // (16 bytes over: no room for a second block)
    store<usize>(head, load<usize>(ptr));
    if (whole != cap) {
      changetype<BLOCK>(ptr - sizeof<usize>()).mmInfo = <u32>cap;
      let rest = ptr + cap + HEADER;
      carve(rest, whole - cap - HEADER);
      whole = cap;
    }
    state().allocated += whole;
    return ptr;
  }
  return 0;
}

/** A block's tag while heapMerge runs: it is free. */
// @ts-ignore: decorator
@inline const FREE_TAG: u32 = 0x65657266;

/** Merges every run of adjacent free blocks (see above). Only with every other processor stopped (a
 *  collection, core/gc.ts): the processors' caches are emptied into the global lists first. Returns the
 *  bytes given back to the bump pointer. */
export function heapMerge(): usize {
  lockHeap();
  let s = state();
  if (!s.ready) { unlockHeap(); return 0; }
  // 1. Every cached block back on the global lists.
  if (isDefined(WEFT_SHARED_MEMORY)) {
    for (let i: u32 = 0; i < CACHES_MAX; i++) {
      let c = load<usize>(CACHES + (<usize>i << alignof<usize>()));
      if (c == 0) continue;
      for (let cls: u32 = 0; cls < SMALL_CLASSES; cls++) {
        let list = c + CACHE_LISTS + (<usize>cls << 3);
        let ptr = load<usize>(list);
        while (ptr != 0) {
          let next = load<usize>(ptr);
          let head = headAddr(cls);
          store<usize>(ptr, load<usize>(head));
          store<usize>(head, ptr);
          s.allocated -= classSize(cls);
          ptr = next;
        }
        store<usize>(list, 0);
        store<u32>(list, 0, 4);
      }
      store<usize>(c, 0);
    }
  }
  // 2. Tag every free block, and empty the lists.
  for (let cls: u32 = 0; cls < CLASSES; cls++) {
    let head = headAddr(cls);
    let ptr = load<usize>(head);
    while (ptr != 0) { store<u32>(ptr - TAG_OFFSET, FREE_TAG); ptr = load<usize>(ptr); }
    store<usize>(head, 0);
  }
  // 3. Walk the heap in address order; each run of free blocks becomes one span, carved again.
  let first = (__heap_base + HEADER + AL_MASK) & ~AL_MASK;
  let top = s.top;
  let run: usize = 0;                         // payload of the run's first block, 0 outside a run
  let p = first;
  let returned: usize = 0;
  while (p < top) {
    let next = p + <usize>changetype<BLOCK>(p - sizeof<usize>()).mmInfo + HEADER;
    if (load<u32>(p - TAG_OFFSET) == FREE_TAG) {
      if (run == 0) run = p;
    } else if (run != 0) {
      carve(run, p - HEADER - run);
      run = 0;
    }
    p = next;
  }
  if (run != 0) {                             // the last run: fresh memory again
    returned = top - run;
    s.top = run;
    store<u32>(run - TAG_OFFSET, 0);
  }
  unlockHeap();
  return returned;
}

/** Gives this processor a cache (shared builds; processor `index` enters). False when out of memory. */
export function heapCacheEnter(index: u32): bool {
  if (!isDefined(WEFT_SHARED_MEMORY) || index >= CACHES_MAX) return true;
  let block = heapTryAlloc(CACHE_BYTES);
  if (block == 0) return false;
  memory.fill(block, 0, CACHE_BYTES);
  store<usize>(CACHES + (<usize>index << alignof<usize>()), block);
  cache = block;
  return true;
}

/** Returns a block to its class list (this processor's cache, in shared builds). */
export function heapFree(ptr: usize): void {
  if (ptr == 0) return;
  if ((ptr & AL_MASK) != 0 || ptr < __heap_base) abort("heapFree: not a heap block");
  let cap = changetype<BLOCK>(ptr - sizeof<usize>()).mmInfo;
  store<u32>(ptr - TAG_OFFSET, 0);                 // no longer an object, whatever it was
  let cls = classOf(cap);
  if (isDefined(WEFT_SHARED_MEMORY) && cache != 0 && cls < SMALL_CLASSES) {
    let list = cache + CACHE_LISTS + (<usize>cls << 3);
    store<usize>(ptr, load<usize>(list));
    store<usize>(list, ptr);
    let count = load<u32>(list, 4) + 1;
    store<u32>(list, count, 4);
    store<usize>(cache, load<usize>(cache) + cap);
    if (count > cacheMax(cls)) cacheSpill(cls, list);
    return;
  }
  let head = headAddr(cls);
  lockHeap();
  store<usize>(ptr, load<usize>(head));
  store<usize>(head, ptr);
  state().allocated -= cap;
  unlockHeap();
}

/** The capacity of a block handed out by heapTryAlloc. */
// @ts-ignore: decorator
@inline export function heapCapacity(ptr: usize): usize {
  return changetype<BLOCK>(ptr - sizeof<usize>()).mmInfo;
}

/** Caps the heap at `bytes` of address space (0 = no cap beyond memory's maximum). */
export function heapSetLimit(bytes: usize): void {
  if (isDefined(WEFT_SHARED_MEMORY)) atomic.store<usize>(LIMIT, bytes); else store<usize>(LIMIT, bytes);
}

/** Bytes currently handed out (payload capacity of live blocks; blocks in processor caches are free). */
export function heapAllocated(): usize {
  let bytes = atomic.load<usize>(STATE + offsetof<HeapState>("allocated"));
  if (isDefined(WEFT_SHARED_MEMORY)) {
    for (let i: u32 = 0; i < CACHES_MAX; i++) {
      let c = atomic.load<usize>(CACHES + (<usize>i << alignof<usize>()));
      if (c != 0) bytes -= atomic.load<usize>(c);
    }
  }
  return bytes;
}

/** The first byte never handed out. */
export function heapTop(): usize { return atomic.load<usize>(STATE + offsetof<HeapState>("top")); }
