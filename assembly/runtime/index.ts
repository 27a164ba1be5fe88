// weft's AssemblyScript runtime (`asc --runtime`): the memory manager every processor shares, and the
// interface the compiler expects of a runtime.
//
//   heap.ts   the allocator: size classes, per-processor caches, one lock, state in linear memory so that
//             every processor's instance shares it (M:N), initialised once.
//   gc.ts     the collector's mechanism: object lists, epoch marks, the mark stack, sweeping, pins.
// When to collect, who collects and what the roots are (every thread's stack, what weft holds for
// threads) is the core's business (core/gc.ts): the runtime sits below the core and calls it only through
// the slow path the core installs.
//
// Design note on this file: __new checks its budget before it allocates, never after, so that a
// collection it starts can only free what the program no longer reaches: the object it is about to
// return does not exist yet.

import { OBJECT, OBJECT_OVERHEAD, OBJECT_MAXSIZE } from "rt/common";
import { heapTryAlloc, heapFree, heapCapacity, heapCacheEnter as cacheEnter } from "./heap";
import {
  objectInit, allocPending, allocBudget, gcStopRequested, gcSlowPath, gcMark, gcPin, gcUnpin, gcEnter, gcShade, SlowPath,
} from "./gc";

export { heapTryAlloc, heapFree, heapCapacity, heapSetLimit, heapAllocated, heapTop, heapMerge } from "./heap";

/** Processor `index` enters (shared builds): its heap cache, and the list its objects go on. False when
 *  out of memory. */
export function heapCacheEnter(index: u32): bool {
  gcEnter(index);
  return cacheEnter(index);
}

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
  if (isDefined(WEFT_GC_OFF)) return objectPlain(__alloc(OBJECT_OVERHEAD + size), size, id);
  if (allocPending >= allocBudget || gcStopRequested()) gcSlowPath(SlowPath.BUDGET);
  let ptr = heapTryAlloc(OBJECT_OVERHEAD + size);
  if (ptr == 0) {
    // Collect, then try once more; only then is the heap really full.
    if (gcSlowPath(SlowPath.NO_MEMORY)) ptr = heapTryAlloc(OBJECT_OVERHEAD + size);
    if (ptr == 0) abort("out of memory");
  }
  return objectInit(ptr, size, id);
}

/** A build without the collector (weft build's `collector: false`, for the benchmarks' baseline): an
 *  object is a block with AssemblyScript's header, never listed, never freed. */
// @ts-ignore: decorator
@inline function objectPlain(ptr: usize, size: usize, id: u32): usize {
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
  let old = changetype<OBJECT>(oldPtr - OBJECT_OVERHEAD - sizeof<usize>());
  if (oldPtr > __heap_base && OBJECT_OVERHEAD + size <= heapCapacity(oldPtr - OBJECT_OVERHEAD)) {
    old.rtSize = <u32>size;
    return oldPtr;
  }
  // A new object; the old one stays until the collector finds it unreachable (the caller still holds it
  // here, and a stack slot may still name it). __new may collect: the caller keeps the old object alive.
  let newPtr = __new(size, old.rtId);
  memory.copy(newPtr, oldPtr, min<usize>(size, <usize>old.rtSize));
  return newPtr;
}

// The write barrier (gc.ts, gcShade): the compiler calls this for every reference stored into an object.
// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {
  gcShade(childPtr);
}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize {
  if (ptr != 0 && !gcPin(ptr)) abort("__pin: out of memory");
  return ptr;
}

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {
  if (ptr != 0 && !gcUnpin(ptr)) abort("__unpin: the object is not pinned");
}

// Called by the compiler's __visit_globals and __visit_members for each managed reference.
// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {
  gcMark(ptr);
}

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {
  gcSlowPath(SlowPath.ASKED);
}
