// The collector's roots: what the program and weft hold that no object shows.
//
// Design note
// -----------
// Stacks. AssemblyScript keeps every managed value a function still needs across a call in a slot of its
// frame on the shadow stack (the value of each managed local, written when the local is set, and each
// managed argument of a call under way); a save area holds Wasm locals, and any managed one is also in
// its slot. So a suspended thread's objects are all in [stackPointer, stackTop), a running thread's in
// [its current stack pointer, stackTop), and each processor's own stack holds its loop's frames.
// What weft keeps for threads, outside the compiler's sight: a thread's spawn argument, name, error and
// TLS values, the buffers of its I/O request, main's error, and (registered by lib/: gcAddRoots) the
// values in waiters (parked senders, values handed to receivers) and the channels of queued waiters (a
// channel's buffered values are reached through the channel, a Select's cases through the Select).
// Words of unknown type (an argument is a usize, a TLS value may be a number) count only if they point
// at an object (runtime/gc.ts, "What is an object"): a number may keep an object alive, never free one.
//
// Marking in slices (core/gc.ts) visits the threads one by one while the program runs. Writes weft
// makes into the places above while marking runs go through the write barrier (gcShade), but a stack
// has none: a thread that runs while marking is under way may have put anything in its frames, so the
// loop notes it (gcThreadRuns, when it switches the thread in) and the remark looks at its stack again,
// with the stack of every thread running at that moment. A thread the walk finds running (it was switched
// in before marking began, so the loop never noted it) is noted by the walk: it may switch out before the
// remark and not run again. A thread that did not run since marking began has the stack it was visited
// with.
//
// Access rule: the dirty list is appended under its lock by any processor while marking runs, and read
// and emptied by the collector while the world is stopped.

import { Thread, STATE_RUNNABLE, STATE_RUNNING, STATE_BLOCKED, STATE_SLEEPING, TLS_HEADER, FLAG_GC_DIRTY, flagsSet, flagsClear } from "./layout";
import { SHARED_MEMORY } from "./atomics";
import { currentThread } from "./scheduler";
import { threadAt, threadTableUsed, threadById } from "./table";
import { STACK_NONE } from "./stack";
import { IoRequest } from "./completion";
import { mainErrorMessage } from "./thread";
import { processorIndex, processors } from "./processor";
import { stoppedFrom, stoppedTop, stoppedThread } from "./gcstop";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { gcMark, gcMarkMaybe, gcMarkRange, gcMarkPins } from "../runtime/gc";

/** Up to ROOT_SOURCES functions that mark roots the core cannot see (gcAddRoots). */
// @ts-ignore: decorator
@inline export const ROOT_SOURCES: i32 = 8;
// @ts-ignore: decorator
@lazy const SOURCES: usize = memory.data(ROOT_SOURCES * 4, 16);

// Shared (moved into linear memory by a shared build):
let sourceCount: i32 = 0;
let dirty: usize = 0;            // ids of threads that ran while marking was under way (an array)
let dirtyCount: u32 = 0;
let dirtyCap: u32 = 0;
let allDirty: bool = false;      // the list could not grow: the remark looks at every thread
// @ts-ignore: decorator
@lazy const DIRTY_LOCK: usize = memory.data(4, 4);

/** Registers `f`, which marks roots weft keeps outside the core's sight (gcMarkMaybe on each), run at
 *  every collection. Idempotent; false if ROOT_SOURCES are taken. */
export function gcAddRoots(f: () => void): bool {
  let index = changetype<usize>(f);
  for (let i = 0; i < sourceCount; i++) if (load<usize>(SOURCES + (<usize>i << 2)) == index) return true;
  if (sourceCount == ROOT_SOURCES) return false;
  store<usize>(SOURCES + (<usize>sourceCount << 2), index);
  sourceCount++;
  return true;
}

/** How many root sources there are; runs source `i`. */
export function rootSources(): i32 { return sourceCount; }
export function markRootSource(i: i32): void {
  call_indirect<void>(load<u32>(load<usize>(SOURCES + (<usize>i << 2))));
}

/** The roots with no barrier and those that are few: globals, pins, main's error. */
export function markGlobalRoots(): void {
  __visit_globals(0);
  gcMarkPins();
  gcMarkMaybe(mainErrorMessage());
}

/** Thread `tp`'s record fields, TLS values and I/O buffers, and (`withStack`) its stack if it lives. */
export function markThread(tp: usize, withStack: bool): void {
  let t = changetype<Thread>(tp);
  gcMarkMaybe(t.arg);
  gcMarkMaybe(t.name);
  gcMarkMaybe(t.error);
  let tls = t.tls;
  if (tls != 0) {
    for (let k: u32 = 0, n = load<u32>(tls); k < n; k++) gcMarkMaybe(load<usize>(tls + TLS_HEADER + (<usize>k << 2)));
  }
  let io = t.io;
  if (io != 0) {
    gcMarkMaybe(changetype<IoRequest>(io).ptr);
    gcMarkMaybe(changetype<IoRequest>(io).ptr2);
  }
  if (withStack) markStack(t);
}

/** Thread `t`'s frames, if it lives and has a stack. */
export function markStack(t: Thread): void {
  let state = t.state;
  if (state != STATE_RUNNABLE && state != STATE_RUNNING && state != STATE_BLOCKED && state != STATE_SLEEPING) return;
  let sp = t.stackPointer;
  if (t.stackBase != STACK_NONE && sp >= t.stackBase && sp <= t.stackTop) gcMarkRange(sp, t.stackTop);
}

/** The thread in `slot` (0 if none), for a walk of the table. */
export function threadInSlot(slot: u32): usize { return slot < threadTableUsed() ? threadAt(slot) : 0; }

/** The remark's stacks: every processor's own stack, the thread each one runs, and every thread that ran
 *  while marking was under way (the dirty list, then emptied). `mine`: where the live part of the
 *  collector's own stack starts (gcstop.ts, liveStackStart). */
export function markRunningAndDirty(mine: usize): void {
  if (!SHARED_MEMORY) {
    gcMarkRange(mine, __heap_base);
    if (currentThread != 0) markThread(currentThread, true);
  } else {
    let me = processorIndex;
    for (let i = 0, n = processors(); i < n; i++) {
      let top = stoppedTop(i);
      if (top == 0) continue;                                     // never entered
      let from = i == me ? mine : stoppedFrom(i);
      if (from != 0 && from <= top) gcMarkRange(from, top);
      let t = i == me ? currentThread : stoppedThread(i);
      if (t != 0) markThread(t, true);
    }
  }
  if (allDirty) {
    for (let slot: u32 = 1, used = threadTableUsed(); slot < used; slot++) {
      let tp = threadAt(slot);
      if (tp == 0) continue;
      flagsClear(changetype<Thread>(tp), FLAG_GC_DIRTY);
      markThread(tp, true);
    }
  } else {
    for (let i: u32 = 0; i < dirtyCount; i++) {
      let t = threadById(load<i32>(dirty + (<usize>i << 2)));
      if (t === null) continue;                                   // reaped since
      flagsClear(t, FLAG_GC_DIRTY);
      markThread(changetype<usize>(t), true);
    }
  }
  dirtyCount = 0;
  allDirty = false;
}

/** Marking is under way and the loop switches `t` in: its stack will be looked at again (see the design
 *  note). Once per thread and marking. */
export function gcThreadRuns(t: Thread): void {
  if (t.flags & FLAG_GC_DIRTY) return;
  flagsSet(t, FLAG_GC_DIRTY);
  if (SHARED_MEMORY) while (atomic.cmpxchg<i32>(DIRTY_LOCK, 0, 1) != 0) {}
  if (dirtyCount == dirtyCap && !allDirty) {
    let cap = max<u32>(64, dirtyCap << 1);
    let grown = heapTryAlloc(<usize>cap << 2);
    if (grown == 0) allDirty = true;
    else {
      if (dirty != 0) { memory.copy(grown, dirty, <usize>dirtyCount << 2); heapFree(dirty); }
      dirty = grown;
      dirtyCap = cap;
    }
  }
  if (!allDirty) {
    store<i32>(dirty + (<usize>dirtyCount << 2), t.id);
    dirtyCount++;
  }
  if (SHARED_MEMORY) atomic.store<i32>(DIRTY_LOCK, 0);
}
