// Thread stacks: the linear-memory (shadow) stack each thread gets for the values AssemblyScript's
// compiler keeps in memory rather than in Wasm locals.
//
// Design note
// -----------
// The compiler moves the global __stack_pointer down on entry to a function that needs stack space and
// calls ~stack_check; every access is relative to __stack_pointer, and no pointer into the stack is ever
// stored elsewhere. So a stack can be moved: copy the used bytes to a bigger block and shift
// __stack_pointer by the distance, exactly as Go grows goroutine stacks. weft therefore starts each thread
// with no stack at all and grows it on demand (STACK_INITIAL, doubling, up to the thread's stackMax),
// which is what lets 100,000 parked threads fit in a few hundred bytes each. Past stackMax, the thread
// dies with "stack overflow" and only that thread. One access took the pointer too early: the store that
// keeps a call's result in its caller's frame reads its address before the call, which may be the one that
// grows the stack; the build has those stores read it after the call (host/compiler/passes/stackmoves.ts).
//
// The build replaces the compiler's ~stack_check (which compares against the fixed __data_end) with a call
// to stackCheck below, which compares against `stackLimit`: the base of the running thread's stack, or of
// the processor's own stack when the scheduler runs. The switch sets stackLimit (scheduler.ts).

import { Thread } from "./layout";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { getStackPointer, setStackPointer } from "./asyncify";
import { currentThread, enterProcessorStack } from "./scheduler";

/** Smallest first stack block a thread gets (bytes); its first frame gets at least twice what it needs,
 *  rounded up to a power of two (stackGrow). Small on purpose: most frames keep nothing in memory or a
 *  few references, and a thread that needs more grows once. skynet's million threads each need 16-32
 *  bytes: with 64 rather than 256 its run took 1,007 ms against 1,075 on one processor and 790 against
 *  904 ms on two, and its peak RSS 366 MB against 387 (medians of 5 alternating `weft run`s, 2026-12-07).
 *  Not configurable. */
// @ts-ignore: decorator
@inline export const STACK_INITIAL: usize = 64;
/** Default most bytes a thread's stack may grow to (1 MiB, as many C runtimes give a thread's stack);
 *  SpawnOptions.stackSize overrides it per thread. */
// @ts-ignore: decorator
@inline export const STACK_MAX_DEFAULT: u32 = 1 << 20;
/** The stack bounds of a thread that has no stack block yet: every first frame then grows it. */
// @ts-ignore: decorator
@inline export const STACK_NONE: usize = 0x10000;

/** Lower bound of the running stack (see the design note). Per processor. */
export let stackLimit: usize = __data_end;

/** Sets the lower bound of the running stack (the switch). */
// @ts-ignore: decorator
@inline export function setStackLimit(limit: usize): void { stackLimit = limit; }

/** Called in place of the compiler's ~stack_check after each frame allocation. */
export function stackCheck(): void {
  if (getStackPointer() < stackLimit) stackGrow();
}

function stackGrow(): void {
  let tp = currentThread;
  if (tp == 0) abort("stackCheck: the scheduler's own stack overflowed");
  let t = changetype<Thread>(tp);
  let sp = getStackPointer();
  let oldBase = t.stackBase, oldTop = t.stackTop;
  let needed = oldTop - sp;                       // bytes in use once this frame is in place
  if (sp > oldTop) needed = 0xffffffff;           // wrapped below zero: certainly too much
  if (needed > <usize>t.stackMax) stackOverflow(t.stackMax, false);
  let size: usize = STACK_INITIAL;
  while (size < needed * 2) size <<= 1;
  size = min<usize>(size, (<usize>t.stackMax + 15) & ~15);
  let block = heapTryAlloc(size);
  if (block == 0) stackOverflow(<u32>size, true);
  let newTop = block + size;
  if (oldBase != STACK_NONE) {
    let used = oldTop - oldBase;                  // copy the whole old block: frames live in [sp', top)
    memory.copy(newTop - used, oldBase, used);
    heapFree(oldBase);
  }
  t.stackBase = block;
  t.stackTop = newTop;
  stackLimit = block;
  setStackPointer(newTop - needed);
}

/** Ends the running thread with a stack overflow. The message is built on the processor's stack, since
 *  this thread's is full; stackGrow itself must keep nothing on the shadow stack, or it would recurse. */
function stackOverflow(bytes: u32, noMemory: bool): void {
  enterProcessorStack();                          // this function must keep no frame of its own
  stackOverflowAbort(bytes, noMemory);
}

function stackOverflowAbort(bytes: u32, noMemory: bool): void {
  if (noMemory) abort("stack overflow: no memory to grow the thread's stack to " + bytes.toString() + " bytes");
  abort("stack overflow: the thread's stack would exceed " + bytes.toString() + " bytes");
}

/** Frees the stack block of a finished thread. */
export function stackRelease(t: Thread): void {
  if (t.stackBase != STACK_NONE) heapFree(t.stackBase);
  t.stackBase = STACK_NONE;
  t.stackTop = STACK_NONE;
  t.stackPointer = STACK_NONE;
}
