// Channel operations parked under their channel's lock (M:N): the hand-off with the fewest locked
// instructions, and how a signal still reaches a thread parked that way.
//
// Design note
// -----------
// The cost. On processors every atomic read-modify-write and every atomic store is a locked instruction
// (Wasm has only sequentially consistent atomics: an x86 store becomes an exchange), a few ns each. A
// channel hand-off — the sender completes the receiver's waiter and parks on its own next operation —
// took six: the lock and unlock of each of the two operations, the waker's exchange on the parked word
// (which settled a race with a signal putting WAITING back there), and the loop's release of the parked
// thread (its `onCpu` cleared once its frames were saved). The exchange is gone, and the parked thread's
// release now rides on its channel's unlock: four. A channel ping-pong round trip on 2 processors went
// from 143 to 116 ns, medians of 6 (bench/HISTORY.md, "M:N and 1:1").
//
// The invariant. While a single operation's waiter is queued on a channel, its parker word changes only
// under that channel's lock: the owner parks (PARKED) and parks again under it, the waker completes
// (DONE) under it, and a signal puts WAITING back under it (below). So the waker reads and writes the
// word with plain loads and stores: nobody else can change it meanwhile.
//
// Park protocol, on processors (lib/channel.ts, unlockAndPark):
//   1. with the lock held: queue the waiter, make its word PARKED (futex.ts, parkUnseen);
//   2. parkReleasing(lock): the lock stays held while the thread switches out;
//   3. the loop, once the thread's frames are saved (scheduler.ts, runLoop; releaseAfterPark): `onCpu` = 0
//      by a plain store, then the lock's release — one locked instruction for both. Ordering: whoever
//      makes the thread runnable holds this lock (the invariant), so it takes the lock after this
//      release, and the processor that runs the thread next sees its frames saved and `onCpu` 0;
//   4. resumed: if the waiter's INTERRUPTED mark is clear, its waker woke it and its word is DONE
//      (ordered before the hand-off that made it runnable). Else a signal woke it: look again under
//      the lock, with the mark cleared: DONE, or park again from step 1;
//   5. after step 3, the loop looks at the thread's sigWake: a signal sent while the thread still ran
//      found it not parked, and the signaller left it to a tick (signal.ts, notify), which the park may
//      have come before. Set: signals step 2 now, the lock taken by spinning. Ordering: the signaller
//      stores sigWake, then looks at the thread; the loop releases the lock, then looks at sigWake (both
//      sequentially consistent): one of the two sees the other, and the word decides under the lock
//      which one wakes the thread.
// Signals (signal.ts, signalInterrupt; the scheduler lock held, so no blocking on a channel's lock: a
// select's waker holds a channel lock and then takes the scheduler lock):
//   1. the thread's word must be its PARKED word — then its waiter is a pooled one, never freed, and the
//      waiter's channel alive (a queued waiter keeps it: lib/waiter.ts) until the thread is woken; a
//      collection that could free it after that must not end before the channel's lock is tried (no
//      checkpoint in between) — else it is not parked on a channel operation: done;
//   2. try the channel's lock once. Taken: if the word is still PARKED (and the waiter still the
//      channel's), make it WAITING, set the waiter's INTERRUPTED mark, hand the thread off; unlock;
//   3. not taken: count the interrupt as owed. Every processor's loop looks at the count at its top, and
//      none goes to sleep while it is not 0 (idle.ts). One processor at a time drains: takes the count to
//      0, walks the thread table under the scheduler lock for threads with a signal waiting (sigWake)
//      that are parked on a channel operation (step 1's check), and does step 2 for each, making the
//      threads runnable after the last lock (a wake may reach a checkpoint); a lock still held owes its
//      thread again, for the loop's next turn (a spin here would reach checkpoints); then it lets go and
//      looks at the count again, so that an interrupt owed meanwhile is drained by it or by the processor
//      that owed it. The walk costs a look at every thread, but only when a signal met a channel lock
//      held at that instant.
//
// Waiter fields this file reads (lib/waiter.ts draws the record; lib/channel.ts checks these offsets at
// build):
//   PARKED_SELF_AT     the waiter's parker: the waiter itself, for a single operation's
//   PARKED_CHANNEL_AT  the channel whose lock guards the word (its lock is the channel's first word)
//   PARKED_MARK_AT     INTERRUPTED mark: 1 from a signal's wake until the owner looks again under the lock
//   PARKED_THREAD_AT   the thread that parked
//
// Access rule: releaseAfterSwitch is per processor; `owed` is atomic; the rest is the channel's lock's.

import { Thread, STATE_BLOCKED } from "./layout";
import { SHARED_MEMORY } from "./atomics";
import { WAIT_CHANNEL_SEND, WAIT_CHANNEL_RECV, parkedWord } from "./futex";
import { handOff } from "./handoff";
import { schedLockTake, schedLockDrop } from "./processor";
import { threadAt, threadTableUsed } from "./table";

/** Offsets in a waiter (lib/waiter.ts's Waiter: `parker`, `channel`, `caseIndex`, `thread`). */
// @ts-ignore: decorator
@inline export const PARKED_SELF_AT: usize = 4;
// @ts-ignore: decorator
@inline export const PARKED_CHANNEL_AT: usize = 16;
// @ts-ignore: decorator
@inline export const PARKED_MARK_AT: usize = 20;
// @ts-ignore: decorator
@inline export const PARKED_THREAD_AT: usize = 28;

/** The lock the loop releases once the thread that switched out has its frames saved (step 3), or 0.
 *  Per processor. */
let releaseAfterSwitch: usize = 0;

/** Interrupts a signal could not deliver at once (signals, step 3). Atomic. */
const owed: usize = memory.data(4, 4);

/** Park step 2: the running thread is about to switch out holding the lock at `lock`. */
// @ts-ignore: decorator
@inline export function parkReleasing(lock: usize): void { releaseAfterSwitch = lock; }

/** Park step 3, in the loop after `t` switched out: releases the lock it parked holding. True when that
 *  also took `t` off this processor (its frames are kept); false when there was no such lock, or `t`
 *  lost its frames (the loop then goes on as for any thread). */
// @ts-ignore: decorator
@inline export function releaseAfterPark(t: Thread, lost: i32): bool {
  let lock = releaseAfterSwitch;
  if (!SHARED_MEMORY || lock == 0) return false;
  releaseAfterSwitch = 0;
  let w = t.waitAddr;                                 // read while `t` is still this processor's
  if (lost == 0) store<i32>(changetype<usize>(t) + offsetof<Thread>("onCpu"), 0);   // ordered by the release
  atomic.store<i32>(lock, 0);
  if (lost != 0) return false;
  if (atomic.load<i32>(changetype<usize>(t) + offsetof<Thread>("sigWake")) != 0) interruptAfterPark(t, w, lock);
  return true;
}

/** Park step 5: `t` parked on waiter `w` with a signal waiting, sent while it ran (signal.ts, notify, left
 *  it to a tick its park came before): it is interrupted at once, as a signaller would (signals, step 2),
 *  or, if the channel's lock is held, owed (step 3). Since the release `t` may have been woken, even
 *  ended: only the waiter (never freed) and the lock are read before the word says, under the lock, that
 *  `t` is still parked there. The channel is alive until the lock is taken: nothing between the release
 *  and the compare-and-swap lets a collection end. */
function interruptAfterPark(t: Thread, w: usize, lock: usize): void {
  if (atomic.cmpxchg<i32>(lock, 0, 1) != 0) { atomic.add<u32>(owed, 1); return; }
  interruptLocked(t, w, lock);
  atomic.store<i32>(lock, 0);
}

/** Whether an interrupt is owed (the loop's top; a plain look at an atomic word). */
// @ts-ignore: decorator
@inline export function interruptsOwed(): bool { return SHARED_MEMORY && atomic.load<u32>(owed) != 0; }

/** The waiter `t` is parked on in a channel operation, or 0 (signals, step 1). Scheduler lock held. The
 *  thread's fields are read while its owner may change them (it parks without that lock): the word, and
 *  the waiter naming itself and `t`, are what make `w` a waiter `t` parked on. */
function parkedWaiter(t: Thread): usize {
  let kind = t.waitKind;
  if (t.state != STATE_BLOCKED || (kind != WAIT_CHANNEL_SEND && kind != WAIT_CHANNEL_RECV)) return 0;
  let w = t.waitAddr;
  if (w == 0 || atomic.load<i32>(w) != parkedWord(t)) return 0;
  return load<usize>(w, PARKED_SELF_AT) == w && load<usize>(w, PARKED_THREAD_AT) == changetype<usize>(t) ? w : 0;
}

/** Signals, step 2 with the lock of `w`'s channel `lock` held: wakes `t` if it is still parked on `w`. */
function interruptLocked(t: Thread, w: usize, lock: usize): void {
  if (claimLocked(t, w, lock)) handOff(t);
}

/** Step 2's test and stores, without the wake: true if `t` was still parked on `w` and is now the
 *  caller's to make runnable (a waker that comes later finds WAITING and only stores DONE). */
// @ts-ignore: decorator
@inline function claimLocked(t: Thread, w: usize, lock: usize): bool {
  if (load<i32>(w) != parkedWord(t) || load<usize>(w, PARKED_CHANNEL_AT) != lock) return false;
  store<i32>(w, 0);                                   // WAITING (lib/waiter.ts, Parker)
  store<i32>(w, 1, PARKED_MARK_AT);
  return true;
}

/** A signal for `t`, which may be parked on a channel operation (signals, steps 1-3). Scheduler lock held. */
export function interruptParked(t: Thread): void {
  let w = parkedWaiter(t);
  if (w == 0) return;
  let lock = load<usize>(w, PARKED_CHANNEL_AT);
  if (atomic.cmpxchg<i32>(lock, 0, 1) != 0) { atomic.add<u32>(owed, 1); return; }
  interruptLocked(t, w, lock);
  atomic.store<i32>(lock, 0);
}

/** Threads one pass of drainInterrupts handles; a pass that finds more leaves the rest owed. */
// @ts-ignore: decorator
@inline const DRAIN_BATCH: i32 = 32;
/** (thread, waiter, channel) of the pass under way, and the word that lets one processor at a time make one. */
// @ts-ignore: decorator
@lazy const drained: usize = memory.data(DRAIN_BATCH * 12, 4);
const draining: usize = memory.data(4, 4);

/** Signals, step 3: the loop's top, no lock held. One processor drains at a time; one that finds another
 *  at it leaves the work to it, which looks at the count again after it has let go. A pass that found a
 *  channel's lock held owes that thread again and returns to the loop, whose top takes the next pass
 *  after its checkpoint (the holder may be stopped for a collection). */
export function drainInterrupts(): void {
  while (atomic.cmpxchg<i32>(draining, 0, 1) == 0) {
    let held = atomic.xchg<u32>(owed, 0) != 0 && drainPass();
    atomic.store<i32>(draining, 0);
    if (held || atomic.load<u32>(owed) == 0) return;
  }
}

/** One pass: the owed threads and their channels found under the scheduler lock; each claimed under its
 *  channel's lock, tried once; then the claimed ones made runnable. A parked thread's channel is alive, but
 *  the thread may be woken as soon as it is found, and its channel freed by a collection: none may end
 *  between finding and claiming, so that part reaches no checkpoint (no spin on a lock, no wake, which
 *  may take the scheduler lock). True if a lock was held (that thread is owed again). */
function drainPass(): bool {
  let found = 0;
  schedLockTake();
  for (let slot: u32 = 1, n = threadTableUsed(); slot < n; slot++) {
    let tp = threadAt(slot);
    if (tp == 0 || atomic.load<i32>(tp + offsetof<Thread>("sigWake")) == 0) continue;
    let w = parkedWaiter(changetype<Thread>(tp));
    if (w == 0) continue;
    if (found == DRAIN_BATCH) { atomic.add<u32>(owed, 1); break; }   // the next pass takes the rest
    let entry = drained + <usize>found * 12;
    store<usize>(entry, tp);
    store<usize>(entry, w, 4);
    store<usize>(entry, load<usize>(w, PARKED_CHANNEL_AT), 8);       // alive: `t` is parked on it
    found++;
  }
  schedLockDrop();
  // A thread found may have been woken, and its record reused, since: the word decides under the lock
  // (a waiter is never freed). An entry not claimed is cleared.
  let held = false;
  for (let i = 0; i < found; i++) {
    let entry = drained + <usize>i * 12;
    let w = load<usize>(entry, 4), lock = load<usize>(entry, 8);
    let claimed = false;
    if (atomic.cmpxchg<i32>(lock, 0, 1) != 0) held = true;
    else {
      claimed = claimLocked(changetype<Thread>(load<usize>(entry)), w, lock);
      atomic.store<i32>(lock, 0);
    }
    if (!claimed) store<usize>(entry, 0);
  }
  if (held) atomic.add<u32>(owed, 1);
  for (let i = 0; i < found; i++) {
    let t = load<usize>(drained + <usize>i * 12);
    if (t != 0) handOff(changetype<Thread>(t));
  }
  return held;
}

/** fork's child (core/fork.ts): no interrupt is owed (its pending signals are gone), and no processor of
 *  the parent's drains there. */
export function parkedForkReset(): void {
  atomic.store<u32>(owed, 0);
  atomic.store<i32>(draining, 0);
}
