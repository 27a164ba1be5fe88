// Hand-offs: a thread woken by a thread on this processor runs next here (M:N).
//
// Design note
// -----------
// The problem. Where threads hand work to each other — a channel's send to a parked receiver, a futex
// wake (mutex unlock, condition signal), the end of a thread its joiner waits for — the waker usually
// parks a moment later (it waits for the reply, or its next item). With only run queues, the woken thread
// went on the waker's queue and a sleeping processor was woken for it; that processor stole it, so every
// hand-off crossed processors: the thread's record, its save area and the channel moved between the caches,
// and each pass cost a system call to wake the thief. A ring of 503 threads passing a token cost
// 278-330 ns a pass on 2 processors against 66-105 on one (mn_ring_ratio; with the slot: 59-97 ns).
//
// Rejected: waking nobody for any push (a processor that spawns work and keeps computing would keep it
// to itself: mn_speedup_2 needs its spawns to spread); letting spinning thieves skip queued threads younger
// than a bound (every push would read the clock, ~30 ns, on a path of ~50 ns; and sleeping processors, which
// are not woken, would never look).
//
// Chosen (Go's `runnext`): each processor has one next slot, `nextThread`, read and written only by that
// processor (a Wasm global of its own instance: no lock, no atomic, and thieves never see it).
//   1. A hand-off (handOff: futex wakes, channel wakes, join) puts the woken thread in the slot and wakes
//      no processor, when this processor's queue is empty: the woken thread would run next here anyway,
//      and the slot only spares the wake of a sleeper that would steal it. Behind queued threads it goes
//      on the queue as any runnable thread (makeRunnable), and an idle processor may help with the
//      queue: a thread that gathers from many (skynet's parent, woken by the first of its ten children)
//      would otherwise run before the others had sent and switch in and out once for each; skynet_1m_p2
//      measured 2% slower without this rule, within its noise. A thread already in the slot moves to the
//      tail of its level in the queue and a sleeping processor is woken for it, as for any push.
//   2. The loop takes the slot before the queue (handOffTake), unless the queue holds a thread of a higher
//      level (strict priorities): then the slot's thread goes to the tail of its level and the queue is
//      popped as usual.
//   3. A thread switched in from the slot goes on with the turn of the thread that woke it (preempt.ts):
//      two threads handing work back and forth share one slice, and the others of their level still get
//      the processor when it ends.
//   4. At every tick of the processor (handOffTick, from the loop): a slot thread that was already there
//      at the previous tick — its processor has kept running other code for at least a whole tick since
//      the hand-off — goes to the queue of a sleeping processor, which is woken for it (not on this
//      processor's queue: the thread that goes on sits at its head for a moment, and a thief takes the
//      head first — measured: the thief took the running thread and left the woken one behind in about
//      half the rounds of tests/programs/mn_handoff.ts); with no processor asleep, it goes on this
//      processor's queue for a spinning one to steal. When the tick preempts the running thread, the
//      slot's thread moves to this processor's queue whatever its age (it takes its turn behind sleepers
//      the tick found due).
//   4a. Sleepers the loop finds due (timersFire) go to the tail of the queue; the slot's thread goes
//      behind them (handOffBehind), or a chain of hand-offs, which shares one turn, would keep them
//      waiting until the slice ends (10 ms) rather than until the next switch.
//   5. A thread that ticked and goes on (preempt.ts) is kept in `goingOn`, taken before the slot, rather
//      than at the head of the queue: a processor spinning for work stole it from there in the moment
//      between the tick and the pop (tests/programs/mn_handoff.ts on 4 processors: the computing thread
//      moved in about one round in four, and the woken one stayed where it was).
//
// The bound. A slot thread waits for its processor at most until that processor's second tick after the
// hand-off: two ticks, 2 ms by default (TICK_MS_DEFAULT, preempt.ts; `weft run --tick`), plus the time the
// running thread takes to reach a safepoint. One tick would not do: a hand-off made just before a tick
// (the ring's member passes the token and reaches its loop's safepoint) would be sent away while its
// waker is about to park. A thread that reaches no safepoint (built with --no-safepoints) keeps its slot
// thread as long as it keeps the processor.
//
// Pinned threads (1:1) and N:1 builds never use the slot: handOff is makeRunnable there, unchanged.
// Priorities: the slot holds one thread of any level; preemptWoken (preempt.ts) still asks for a tick when
// it outranks the running thread, and a tick sees it (runnableAtLeast). Aging and the fair-share choice
// look at the queue only; the slot's thread is there for at most two ticks. Threads the loop wakes for
// completed I/O (completion.ts) go on the queue's tail, and a chain of hand-offs keeps them waiting until
// its turn ends (a slice at most), as Go's netpoller's goroutines wait behind `runnext`.
// A thread in the slot is never killed there: a thread whose frames were lost as it parked, and which a
// waker on this processor had already won, is marked and dies where it is next switched in (savearea.ts,
// "Frames lost"), so that no killer and no joiner frees a record a slot still names.

import { Thread, STATE_RUNNABLE, FROM_WAITING, PRIORITY_LEVELS, transition } from "./layout";
import { SHARED_MEMORY } from "./atomics";
import { runQueuePush, runQueuePushTo, runQueuePushFront, runQueuePop, runQueueHasAtLeast } from "./runqueue";
import { makeRunnable } from "./scheduler";
import { wakeIdleProcessor, wakeFor, sleepingProcessor, schedLockTake, schedLockDrop } from "./processor";
import { preemptWoken, switchHooksOn, wokenHooks } from "./preempt";

/** The thread this processor runs next (step 1), or 0. Per processor, owner only. */
let nextThread: usize = 0;
/** The tick count at which the slot was filled (step 4). Per processor. */
let nextEpoch: u32 = 0;
/** Ticks this processor has taken. Per processor. */
let epoch: u32 = 0;

/** Makes `t`, parked, runnable for a thread of this processor (or its loop, for a thread that ended)
 *  that wakes it (step 1). The caller owns the wake-up, as for makeRunnable. */
// @ts-ignore: decorator
@inline export function handOff(t: Thread): void {
  if (!SHARED_MEMORY || t.pinned != 0 || runQueueHasAtLeast(0)) { makeRunnable(t); return; }
  if (switchHooksOn()) wokenHooks(t);
  transition(t, FROM_WAITING, STATE_RUNNABLE);
  t.priority = t.basePriority;              // as makeRunnable: an aging boost ends here
  preemptWoken(t);
  let old = nextThread;
  nextThread = changetype<usize>(t);
  nextEpoch = epoch;
  if (old != 0) { runQueuePush(changetype<Thread>(old)); wakeIdleProcessor(0); }
}

/** The thread that ticked and goes on (step 5), or 0. Per processor, owner only. */
let goingOn: usize = 0;

/** A tick let `t` go on (step 5): the loop switches it back in next. */
// @ts-ignore: decorator
@inline export function handOffGoOn(t: Thread): void {
  if (SHARED_MEMORY && t.pinned == 0) goingOn = changetype<usize>(t);
  else runQueuePushFront(t);
}

/** The next thread for this processor's loop: the one that goes on after a tick (step 5), the slot's
 *  (step 2), else the queues' (runQueuePop). 0 when nothing is runnable. Sets `handedOff` when the thread
 *  came from the slot. */
// @ts-ignore: decorator
@inline export function handOffTake(): usize {
  if (SHARED_MEMORY) {
    handedOff = false;
    if (goingOn != 0) {
      let g = goingOn;
      goingOn = 0;
      return g;
    }
    let t = nextThread;
    if (t != 0) {
      nextThread = 0;
      let level = changetype<Thread>(t).priority;
      if (level + 1 < PRIORITY_LEVELS && runQueueHasAtLeast(level + 1)) {
        runQueuePush(changetype<Thread>(t));  // behind a higher level: another processor may take it
        wakeIdleProcessor(0);
      } else {
        handedOff = true;
        return t;
      }
    }
  }
  return runQueuePop();
}

/** Whether the last handOffTake took the slot's thread (step 3). Per processor. */
export let handedOff: bool = false;

/** Whether a thread of `level` or higher waits for this processor: in its queue, or in the slot. */
// @ts-ignore: decorator
@inline export function runnableAtLeast(level: i32): bool {
  if (runQueueHasAtLeast(level)) return true;
  return SHARED_MEMORY && nextThread != 0 && changetype<Thread>(nextThread).priority >= level;
}

/** Whether the slot (or step 5) holds a thread. */
// @ts-ignore: decorator
@inline export function handOffPending(): bool { return SHARED_MEMORY && (nextThread | goingOn) != 0; }

/** A fork's or a debugger's stop (core/gcstop.ts, loopPark): the thread that goes on and the slot's go to
 *  the front of this processor's queue, in the order the loop would have taken them. */
export function handOffRequeue(): void {
  if (!SHARED_MEMORY || (nextThread | goingOn) == 0) return;
  schedLockTake();
  if (nextThread != 0) { runQueuePushFront(changetype<Thread>(nextThread)); nextThread = 0; }
  if (goingOn != 0) { runQueuePushFront(changetype<Thread>(goingOn)); goingOn = 0; }
  schedLockDrop();
}

/** Sleepers were woken onto this processor's queue (step 4a): the slot's thread goes behind them. The
 *  scheduler lock is held. */
export function handOffBehind(): void {
  if (!SHARED_MEMORY || nextThread == 0) return;
  let t = nextThread;
  nextThread = 0;
  runQueuePush(changetype<Thread>(t));
}

/** A tick of this processor (step 4): the running thread ticked and `goesOn` (else it is preempted); the
 *  scheduler lock is held, the ticked thread not yet requeued. */
export function handOffTick(goesOn: bool): void {
  if (!SHARED_MEMORY) return;
  let t = nextThread;
  if (t != 0 && (!goesOn || nextEpoch != epoch)) {
    nextThread = 0;
    let to = goesOn ? sleepingProcessor() : -1;
    if (to >= 0) {
      runQueuePushTo(to, changetype<Thread>(t));
      wakeFor(to);
    } else {
      runQueuePush(changetype<Thread>(t));
      if (goesOn) wakeIdleProcessor(0);
    }
  }
  epoch++;
}
