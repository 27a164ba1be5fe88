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
// State (HeapState below, in static memory that no data segment covers, so re-instantiation keeps it):
//   lock  — atomic spin lock; guards every other field.
//   ready — 0 until the first allocation initialised the heap (done under the lock, so once).
//   top   — the bump pointer: the first byte never handed out. Guarded by lock.
//   limit — the most the heap may grow to (bytes; 0 = memory's own maximum). Guarded by lock.
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
  limit: usize;
  allocated: usize; // bytes in blocks handed out and not freed (payload capacity)
}

// @ts-ignore: decorator
@lazy const STATE: usize = memory.data(offsetof<HeapState>() + CLASSES * sizeof<usize>(), 16);
// @ts-ignore: decorator
@inline function state(): HeapState { return changetype<HeapState>(STATE); }
// @ts-ignore: decorator
@inline function headAddr(cls: u32): usize { return STATE + offsetof<HeapState>() + (<usize>cls << alignof<usize>()); }

// The lock is needed only when processors share the memory (see assembly/atomics.ts).
// @ts-ignore: decorator
@inline function lockHeap(): void {
  if (isDefined(WEFT_SHARED_MEMORY)) {
    while (atomic.cmpxchg<u32>(STATE, 0, 1) != 0) { /* spin: held only for a few instructions */ }
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
  if (s.limit != 0 && newTop > s.limit) return false;
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
  let head = headAddr(cls);
  lockHeap();
  let s = state();
  if (!s.ready) initHeap();
  let ptr = load<usize>(head);
  if (ptr) {
    store<usize>(head, load<usize>(ptr));
  } else {
    let cap = classSize(cls);
    let at = s.top;
    if (reserve != 0 && s.limit != 0 && at + cap + HEADER + reserve > s.limit) { unlockHeap(); return 0; }
    if (!growTop(cap + HEADER)) { unlockHeap(); return 0; }
    ptr = at;
    changetype<BLOCK>(ptr - sizeof<usize>()).mmInfo = cap;
  }
  s.allocated += changetype<BLOCK>(ptr - sizeof<usize>()).mmInfo;
  unlockHeap();
  return ptr;
}

/** Returns a block to its class list. */
export function heapFree(ptr: usize): void {
  if (ptr == 0) return;
  if ((ptr & AL_MASK) != 0 || ptr < __heap_base) abort("heapFree: not a heap block");
  let cap = changetype<BLOCK>(ptr - sizeof<usize>()).mmInfo;
  let head = headAddr(classOf(cap));
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
  lockHeap();
  state().limit = bytes;
  unlockHeap();
}

/** Bytes currently handed out (payload capacity of live blocks). */
export function heapAllocated(): usize { return atomic.load<usize>(STATE + offsetof<HeapState>("allocated")); }

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
