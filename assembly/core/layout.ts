// Records that live in linear memory, drawn with byte offsets. host/abi.ts holds the same offsets for the
// host side; the exported function weft_layout (sys/abi.ts) reports these, and tests/abi.test.ts checks that
// the two sides agree. Change a record here, in host/abi.ts and in ABI_VERSION together.
//
// ╒═══════════════════ Thread record (160 bytes, 16-aligned) ═══════════════════╕
//   0 │ id            i32   slot | generation << 22; never 0                      │
//   4 │ state         i32   ThreadState; also the futex word join waits on        │
//   8 │ priority      i32   0 (lowest) .. 7 (highest); raised by aging while it waits │
//  12 │ flags         u32   FLAG_* below                                          │
//  16 │ next          usize run-queue / wait-queue link                           │
//  20 │ prev          usize wait-queue link                                       │
//  24 │ saveArea      usize Asyncify buffer while suspended, else 0 (SaveArea)    │
//  28 │ stackBase     usize lowest byte of the shadow stack block (0 = none yet)  │
//  32 │ stackTop      usize one past the highest byte of the stack                │
//  36 │ stackPointer  usize saved __stack_pointer while not running              │
//  40 │ stackMax      u32   the most bytes the stack may grow to                  │
//  44 │ tls           usize TLS block, 0 until the thread sets a key (TlsBlock)   │
//  48 │ entry         usize the entry function (a Function object)               │
//  52 │ arg           usize the entry's argument                                  │
//  56 │ exitValue     i32   what the entry returned or exit() was given           │
//  60 │ waitKind      i32   WAIT_* kind while BLOCKED (futex.ts)                  │
//  64 │ waitAddr      usize the futex word while BLOCKED                          │
//  68 │ waitResult    i32   FUTEX_* result handed back by the waker               │
//  72 │ deadline      f64   wake-up time (ms, monotonic) while in the timer heap  │
//  80 │ timerSlot     i32   index in the timer heap, -1 when not in it            │
//  84 │ name          usize String, or 0                                          │
//  88 │ error         usize String saying why the thread died, or 0               │
//  92 │ errno         i32   the thread's errno                                    │
//  96 │ switches      u32   times the thread was switched in                      │
// 100 │ joiner        i32   id of the thread joining this one, 0 if none          │
// 104 │ saveBytes     u32   bytes in the save area at the last suspend            │
// 108 │ io            usize its I/O request (sys/io.ts), 0 until its first I/O call   │
// 112 │ onCpu         i32   1 while a processor runs it or saves its frames (M:N) │
// 116 │ pinned        i32   1:1: its processor's index + 1; 0 = any processor     │
// 120 │ cpu           f64   CPU time charged by ticks (ms, sampled; preempt.ts)   │
// 128 │ stats         usize exact accounting block, 0 unless that is on           │
// 132 │ group         i32   fair-share group (0 = the default group)              │
// 136 │ weight        i32   its weight within the group (≥ 1)                     │
// 140 │ basePriority  i32   the priority it was given; `priority` returns to it   │
// 144 │ signals       usize signal block (core/signal.ts), 0 until it meets a signal │
// 148 │ sigWake       i32   1: a signal it may take is pending (read at each switch) │
// 152 │ waitIntent    i32   1 from a wait-for check until the wait ends (waitfor.ts)  │
// 156 │ seedRank      i32   PCT's rank in a seeded run (seed.ts); 0 until first met     │
// ╘═════════════════════════════════════════════════════════════════════════════╛
// Access rule: a record is owned by the processor that runs or holds the thread; in N:1 that is the only
// processor. `state` is read by the host after weft_run returns (never while it runs).
//
// ╒═══════ Save area (the Asyncify buffer of a suspended thread) ═══════╕
//   0 │ current  usize  end of the saved data (Asyncify pops from here)   │
//   4 │ end      usize  limit for unwinding into this buffer              │
//   8 │ data ...        saved locals and call indices, frame by frame      │
// ╘══════════════════════════════════════════════════════════════════════╛
// A thread's first unwind goes into its processor's scratch area (large), and the used bytes are then
// copied into a block of their own sized to fit; later unwinds go straight into that block while they fit
// (`end` is its limit), and rewinding reads it directly. See savearea.ts.
//
// ╒═══════ TLS block ═══════╕
//   0 │ capacity  u32  number of key slots
//   4 │ (reserved)
//   8 │ values    usize[capacity]  the value of key k at 8 + 4k; 0 = unset
// ╘═════════════════════════╛

import { LISTS_MAX } from "../runtime/gc";

@unmanaged export class Thread {
  id: i32;
  state: i32;
  priority: i32;
  flags: u32;
  next: usize;
  prev: usize;
  saveArea: usize;
  stackBase: usize;
  stackTop: usize;
  stackPointer: usize;
  stackMax: u32;
  tls: usize;
  entry: usize;
  arg: usize;
  exitValue: i32;
  waitKind: i32;
  waitAddr: usize;
  waitResult: i32;
  deadline: f64;
  timerSlot: i32;
  name: usize;
  error: usize;
  errno: i32;
  switches: u32;
  joiner: i32;
  saveBytes: u32;
  io: usize;
  onCpu: i32;
  pinned: i32;
  cpu: f64;
  stats: usize;
  group: i32;
  weight: i32;
  basePriority: i32;
  signals: usize;
  sigWake: i32;
  waitIntent: i32;
  seedRank: i32;
}

// @ts-ignore: decorator
@inline export const THREAD_RECORD_SIZE: usize = 160;

// Thread states. Who owns the thread and which queue it is on:
// @ts-ignore: decorator
@inline export const STATE_FREE: i32 = 0;     // no thread: the record is not in use
// @ts-ignore: decorator
@inline export const STATE_RUNNABLE: i32 = 1; // on a processor's run queue, or (M:N) in a processor's next
                                              // slot or going on after a tick (handoff.ts: that processor's
                                              // alone); owned by the scheduler
// @ts-ignore: decorator
@inline export const STATE_RUNNING: i32 = 2;  // the current thread of a processor; on no queue
// @ts-ignore: decorator
@inline export const STATE_BLOCKED: i32 = 3;  // in a futex wait queue (and the timer heap if timed)
// @ts-ignore: decorator
@inline export const STATE_SLEEPING: i32 = 4; // in the timer heap only
// @ts-ignore: decorator
@inline export const STATE_EXITED: i32 = 5;   // finished; a zombie until joined (or freed, if detached)
// @ts-ignore: decorator
@inline export const STATE_TRAPPED: i32 = 6;  // died of a trap; a zombie until joined

// Every state change goes through transition(), which checks the old state: a thread found in a state
// it cannot leave that way means the records are corrupt, and weft stops with a message rather than run
// on. The allowed moves (the lifecycle in thread.ts):
//   FREE → RUNNABLE (spawn)            RUNNABLE → RUNNING (the loop)
//   RUNNING → RUNNABLE (yield)         RUNNING → BLOCKED (futex wait)      RUNNING → SLEEPING (sleep)
//   BLOCKED | SLEEPING → RUNNABLE (wake, timeout)
//   RUNNING → EXITED (return, exit)    any live state → TRAPPED (trap, overflow, no memory)
//   EXITED | TRAPPED → FREE (reaped)
// @ts-ignore: decorator
@inline export const FROM_FREE: u32 = 1 << STATE_FREE;
// @ts-ignore: decorator
@inline export const FROM_RUNNABLE: u32 = 1 << STATE_RUNNABLE;
// @ts-ignore: decorator
@inline export const FROM_RUNNING: u32 = 1 << STATE_RUNNING;
// @ts-ignore: decorator
@inline export const FROM_WAITING: u32 = 1 << STATE_BLOCKED | 1 << STATE_SLEEPING;
// @ts-ignore: decorator
@inline export const FROM_LIVE: u32 = FROM_RUNNABLE | FROM_RUNNING | FROM_WAITING;
// @ts-ignore: decorator
@inline export const FROM_FINISHED: u32 = 1 << STATE_EXITED | 1 << STATE_TRAPPED;

/** Moves `t` to state `to`, which is allowed only from the states in the mask `from`. */
// @ts-ignore: decorator
@inline export function transition(t: Thread, from: u32, to: i32): void {
  if (((<u32>1 << <u32>t.state) & from) == 0) transitionRefused(t, to);
  t.state = to;
}

function transitionRefused(t: Thread, to: i32): void {
  abort("transition: thread " + t.id.toString() + " is in state " + t.state.toString() + " and cannot move to " +
    to.toString() + " (corrupt thread records)");
}

/** Sets `bits` in `t.flags`. Atomically in a shared build: the flags word is written by the processor
 *  that runs the thread (FLAG_STARTED, FLAG_FINISHING) and by other threads under the scheduler lock
 *  (detach's FLAG_DETACHED), and a plain read-modify-write loses one of two at once — detach from main
 *  on one processor once undid FLAG_STARTED of a thread just switched in on another, and its entry ran a
 *  second time when it was next resumed (tests/mn-io.test.ts, the 1,000-connection echo). */
// @ts-ignore: decorator
@inline export function flagsSet(t: Thread, bits: u32): void {
  if (isDefined(WEFT_SHARED_MEMORY)) atomic.or<u32>(changetype<usize>(t) + offsetof<Thread>("flags"), bits);
  else t.flags |= bits;
}

/** Clears `bits` in `t.flags` (atomically in a shared build, as flagsSet). */
// @ts-ignore: decorator
@inline export function flagsClear(t: Thread, bits: u32): void {
  if (isDefined(WEFT_SHARED_MEMORY)) atomic.and<u32>(changetype<usize>(t) + offsetof<Thread>("flags"), ~bits);
  else t.flags &= ~bits;
}

// Thread flags.
// @ts-ignore: decorator
@inline export const FLAG_DETACHED: u32 = 1;
// @ts-ignore: decorator
@inline export const FLAG_MAIN: u32 = 2;
// @ts-ignore: decorator
@inline export const FLAG_EXITING: u32 = 4;   // exit() was called: discard the frames on the next unwind
// @ts-ignore: decorator
@inline export const FLAG_STARTED: u32 = 8;   // has run at least once (has frames to rewind)
// @ts-ignore: decorator
@inline export const FLAG_FINISHING: u32 = 16; // the entry returned; the exit protocol is under way
// @ts-ignore: decorator
@inline export const FLAG_BORN_DETACHED: u32 = 32; // spawned detached: its processor reaps it without a lock
// @ts-ignore: decorator
@inline export const FLAG_GC_DIRTY: u32 = 64; // ran while a collection was marking (core/gcroots.ts)
// @ts-ignore: decorator
@inline export const FLAG_LOST: u32 = 128;    // its frames were lost as it parked: it dies where it is next
                                              // switched in, with `error` (savearea.ts, "Frames lost")
// @ts-ignore: decorator
@inline export const FLAG_SIGNAL: u32 = 256;  // runs a signal handler: its own frames wait in a signal frame
                                              // (core/signal.ts, "Delivery")
// @ts-ignore: decorator
@inline export const FLAG_ABSENT: u32 = 512;  // fork's child: a thread of the parent, not copied (core/fork.ts)

// @ts-ignore: decorator
@inline export const SAVE_AREA_HEADER: usize = 8;
// @ts-ignore: decorator
@inline export const TLS_HEADER: usize = 8;

// Priorities.
// @ts-ignore: decorator
@inline export const PRIORITY_LEVELS: i32 = 8;
// @ts-ignore: decorator
@inline export const PRIORITY_DEFAULT: i32 = 4;

/** Most processors a shared module runs on. 1,024: M:N wants a few (one per core), 1:1 one per thread,
 *  and the processor records are 4 bytes each plus a run queue of 72 (runqueue.ts). Not configurable.
 *  Every processor allocates objects onto a list of its own (runtime/gc.ts, LISTS_MAX, checked below). */
// @ts-ignore: decorator
@inline export const PROCESSORS_MAX: i32 = 1024;
if (<i32>LISTS_MAX != PROCESSORS_MAX) ERROR("layout.ts: runtime/gc.ts's LISTS_MAX must equal PROCESSORS_MAX");
