// weft's AssemblyScript runtime: the memory manager every processor shares.
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
// Block layout (the AssemblyScript BLOCK and OBJECT headers sit right before the payload):
//
//  ptr-16          ptr-4            ptr                                   ptr+size
//   ├── padding ───┼─ size (u32) ───┼── payload (16-aligned) ─────────────┤
//                    mmInfo: payload capacity in bytes (the class size)
//  A free block stores the next free block of its class in its first payload word.
//
// What is freed and when: weft has no garbage collector yet. Memory that the runtime owns (thread
// records, save areas, stacks, TLS blocks, wait-queue nodes) is freed when the thread is joined, or
// when it exits if detached. Managed objects (`new`, strings, arrays) are never freed.
//
// Processor caches (shared builds only). One lock for every allocation makes the processors queue on it
// (skynet on 2 processors spent ~30% of its time in the heap's lock). So each processor keeps its own
// free lists for the small classes (a cache block, made when the processor enters): it allocates from
// them and frees into them without the lock, refills a class with CACHE_BATCH blocks at once under the
// lock (FRESH_BATCH, carved in one piece, when they must come from fresh memory), and gives half back
// when a class holds more than CACHE_MAX. A block freed on another processor than the one that allocated
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

// @ts-ignore: decorator
@inline const HEADER: usize = 16;
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
/** Blocks a processor's class may hold before it gives half back. Not configurable. */
// @ts-ignore: decorator
@inline const CACHE_MAX: u32 = 64;
/** Blocks a refill carves out of fresh memory at once (the global list of the class being empty): one
 *  lock round trip per 32 fresh blocks. Programs that allocate without freeing (objects: weft has no GC
 *  yet) take most blocks this way; skynet on 2 processors refilled ~70,000 times with 16. Half of
 *  CACHE_MAX, so a full refill does not spill at its next free. Not configurable. */
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
    if (ptr == 0 && !cacheRefill(cls, list)) return 0;
    ptr = load<usize>(list);
    store<usize>(list, load<usize>(ptr));
    store<u32>(list, load<u32>(list, 4) - 1, 4);
    store<usize>(cache, load<usize>(cache) - heapCapacity(ptr));
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
  if (!growTop(cap + HEADER)) { unlockHeap(); return 0; }
  s.allocated += cap;
  unlockHeap();
  changetype<BLOCK>(at - sizeof<usize>()).mmInfo = cap;   // fresh memory: touched outside the lock
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
  let cls = classOf(cap);
  if (isDefined(WEFT_SHARED_MEMORY) && cache != 0 && cls < SMALL_CLASSES) {
    let list = cache + CACHE_LISTS + (<usize>cls << 3);
    store<usize>(ptr, load<usize>(list));
    store<usize>(list, ptr);
    let count = load<u32>(list, 4) + 1;
    store<u32>(list, count, 4);
    store<usize>(cache, load<usize>(cache) + cap);
    if (count > CACHE_MAX) cacheSpill(cls, list);
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

// ─── The interface AssemblyScript's compiler expects of a runtime ───────────────────────────────────

// @ts-ignore: decorator
@unsafe @global
export function __alloc(size: usize): usize {
  let ptr = heapTryAlloc(size);
  if (ptr == 0) abort("out of memory");
  return ptr;
}

// @ts-ignore: decorator
@unsafe @global
export function __realloc(ptr: usize, size: usize): usize {
  let cap = heapCapacity(ptr);
  if (size <= cap) return ptr;
  let newPtr = __alloc(size);
  memory.copy(newPtr, ptr, cap);
  heapFree(ptr);
  return newPtr;
}

// @ts-ignore: decorator
@unsafe @global
export function __free(ptr: usize): void {
  heapFree(ptr);
}

// @ts-ignore: decorator
@unsafe @global
export function __reset(): void {
  abort("__reset: weft's heap is shared and cannot be reset");
}

// @ts-ignore: decorator
@unsafe @global
export function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) abort("__new: allocation too large");
  let ptr = __alloc(OBJECT_OVERHEAD + size);
  let object = changetype<OBJECT>(ptr - sizeof<usize>());
  object.gcInfo = 0;
  object.gcInfo2 = 0;
  object.rtId = id;
  object.rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) abort("__renew: allocation too large");
  let newPtr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(newPtr - sizeof<usize>()).rtSize = <u32>size;
  return newPtr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize { return ptr; }

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {}
