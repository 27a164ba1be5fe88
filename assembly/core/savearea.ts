// Save areas: where a suspended thread's frames are kept (the Asyncify buffers), the processor's scratch
// area its unwinds start in, and the end of a thread whose frames could not be kept. The switch itself is
// scheduler.ts.
//
// Design note
// -----------
// A thread's frames are unknown until it unwinds, so its first unwind goes into a large per-processor
// scratch area (SAVE_AREA_MAX bytes); the used bytes are then copied into the thread's own block, which is
// kept across switches and reallocated only when it is too small or far too big. Rewinding reads that
// block directly. Asyncify's frames are not checked against the buffer's end as they are written, so
// the scratch block is followed by SAVE_AREA_SLACK bytes nobody else uses: a thread whose frames need
// more than the limit writes into the slack; the loop sees it before stopping the unwind and ends that
// thread with "save area overflow", and the others go on. (Deeper than limit + slack is out of reach: the
// engine's native stack overflows first, which is also handled.)
//
// Direct unwinds. The frames of functions weft rebuilt (host/compiler/passes/resumable.ts) do check the end, frame by
// frame. When every function that can switch is one of those (the build says so: `directUnwind`), a
// thread that has a block unwinds straight into it (`unwindArea`) and nothing is copied; a frame that
// does not fit moves the frames written so far to the scratch area and the unwind goes on there
// (saveAreaSpill), after which the loop keeps them as above, in a bigger block.
//
// A save area's header is drawn in layout.ts ("Save area"). Every global here is per processor
// (host/compiler/passes/shared.ts).

import { Thread, SAVE_AREA_HEADER, STATE_RUNNING, STATE_EXITED, STATE_TRAPPED, FLAG_LOST, flagsSet, flagsClear } from "./layout";
import { heapTryAlloc, heapFree, heapCapacity } from "../runtime/index";
import { gcShade } from "../runtime/gc";
import { SHARED_MEMORY } from "./atomics";
import { threadKill, threadKillParked } from "./thread";
import { leaveProcessor } from "./scheduler";

/** Size of the per-processor scratch area threads unwind into (bytes): the deepest switch weft allows.
 *  64 KiB holds ~1,500 frames of a typical function; the host may change it with weft_configure. */
// @ts-ignore: decorator
@inline export const SAVE_AREA_MAX_DEFAULT: usize = 64 << 10;
/** Unused bytes after the scratch area (see the design note). 1 MiB: more than a thread can unwind before
 *  the engine's own stack (~1 MiB on V8, and a Wasm frame takes at least as much there as its saved
 *  locals here) overflows. Not configurable. */
// @ts-ignore: decorator
@inline export const SAVE_AREA_SLACK: usize = 1 << 20;

/** The processor's scratch save area. */
export let scratch: usize = 0;
/** Its size (bytes) without the slack: the deepest switch. */
export let scratchSize: usize = SAVE_AREA_MAX_DEFAULT;

/** Copies `bytes` (a multiple of 4: Asyncify saves 4- and 8-byte values). A loop, not memory.copy:
 *  V8 turns memory.copy into a call out of Wasm, which costs more than a typical save area's 20-60 bytes. */
// @ts-ignore: decorator
@inline export function copyWords(dst: usize, src: usize, bytes: usize): void {
  if (bytes > 1024) { memory.copy(dst, src, bytes); return; }
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) {
    store<u64>(dst + i, load<u64>(src + i));
    store<u64>(dst + i, load<u64>(src + i, 8), 8);
  }
  for (; i < bytes; i += 4) store<u32>(dst + i, load<u32>(src + i));
}

/** Keeps the bytes a thread just unwound in a block of its own. False when memory is exhausted. */
export function keepSaveArea(t: Thread): bool {
  let used = load<usize>(scratch) - scratch;    // header + data
  let block = t.saveArea;
  if (block != 0) {
    let capacity = heapCapacity(block);
    if (capacity < used || (capacity > 256 && capacity > used << 2)) { heapFree(block); block = 0; t.saveArea = 0; }
  }
  if (block == 0) {
    block = heapTryAlloc(used);
    if (block == 0) return false;
  }
  copyWords(block + SAVE_AREA_HEADER, scratch + SAVE_AREA_HEADER, used - SAVE_AREA_HEADER);
  store<usize>(block, block + used);
  // How far a direct unwind may write: the block's end, but never past the limit (a block can be bigger
  // than asked for).
  store<usize>(block, block + min<usize>(heapCapacity(block), scratchSize), 4);
  t.saveArea = block;
  t.saveBytes = <u32>used;
  return true;
}

// Frames lost
// ------------
// A thread whose frames cannot be kept as it switches out (deeper than the limit, or no memory for its
// block) cannot go on: it dies, and the others go on. framesLost decides where it dies, endLost ends it
// there; both are out of the loop's way (host/compiler/pipeline.ts never inlines them into it).

/** Why a thread's frames were lost: deeper than the limit, or no memory for its block. */
// @ts-ignore: decorator
@inline export const LOST_SAVE_AREA: i32 = 1;
// @ts-ignore: decorator
@inline export const LOST_MEMORY: i32 = 2;

function lostMessage(t: Thread, lost: i32): string {
  // No memory for its save area means none for a message built at run time either (String.concat
  // would abort in the loop and end every thread): a static one; the host's report adds the thread.
  if (lost == LOST_MEMORY) return "out of memory: no room for the thread's save area";
  let who = "thread " + t.id.toString() + (t.name ? " \"" + changetype<string>(t.name) + "\"" : "") + " died: ";
  return who + "save area overflow: its frames need more than " + scratchSize.toString() + " bytes (raise saveAreaMax)";
}

/** Allocates the processor's scratch save area (on its first run, or when it enters, in M:N). */
export function makeScratch(): bool {
  if (scratch == 0) scratch = heapTryAlloc(scratchSize + SAVE_AREA_SLACK);
  return scratch != 0;
}

/** Sets the scratch save area size (bytes) before the first run. */
export function setSaveAreaMax(bytes: usize): void {
  if (scratch != 0) { heapFree(scratch); scratch = 0; }
  scratchSize = max<usize>(bytes, 256);
}

/** The scratch save area size (bytes). */
export function saveAreaMax(): usize { return scratchSize; }

/** Frames lost: `t`'s frames could not be kept as it switched out (`lost`: LOST_*), by a tick (`tick`) or as
 *  it parked or yielded. A thread unwound by a tick is still RUNNING and this processor's alone: it dies
 *  now. One that parked (or yielded) may already be another's: a waker on another processor may have made
 *  it runnable, put it in its hand-off slot, or switched it in and be waiting for this processor to let
 *  go of it (onCpu). Killed here, it would be freed under that processor (a joiner may reap it as soon as
 *  it is off this one), and a channel would still name it as its parked peer. So, unless it can still be
 *  taken back from a futex's queue, the timer heap or a run queue (threadKillParked), it is marked, and
 *  it dies where it is next switched in, as a running thread (endLost): its waker's value goes with it,
 *  and while nothing wakes it, it stays parked as it would have with its frames. */
export function framesLost(t: Thread, lost: i32, tick: bool): void {
  let message = lostMessage(t, lost);
  if (tick && t.state == STATE_RUNNING) threadKill(t, message);
  else if (t.state != STATE_EXITED && t.state != STATE_TRAPPED && !threadKillParked(t, message)) {
    gcShade(changetype<usize>(message));
    t.error = changetype<usize>(message);
    flagsSet(t, FLAG_LOST);                   // seen by whoever next waits for onCpu to be 0 (leaveProcessor)
  }
}

/** Ends `t`, switched in by this processor with FLAG_LOST (framesLost): it dies as a running
 *  thread does. Returns whether this processor then retires (1:1). Out of the loop: it never runs on the
 *  switch's path. */
export function endLost(t: Thread): bool {
  let retiring = SHARED_MEMORY && t.pinned > 1;
  flagsClear(t, FLAG_LOST);
  threadKill(t, changetype<string>(t.error));
  leaveProcessor(t, false);
  return retiring;
}
