// Preemption, time slices, aging, fair-share groups and CPU accounting.
//
// Design note
// -----------
// Ticks. The build puts a safepoint at every loop head and recursive function entry of the program's own
// code (host/compiler/passes/safepoints.ts). A safepoint takes its slow path when a tick is due, about every TICK_MS
// while a thread runs:
//   - shared builds (M:N): a ticker the host runs (a Worker) raises the request word of each processor
//     that runs a thread, and counts the raised words in one word at a fixed address (TICKS + 0); the
//     check is a load of that word (free: one load from a constant address), and only when it is not
//     zero a look at the processor's own request word;
//   - N:1 builds, whose memory nobody else can write while the module runs: the checks count down `fuel`
//     (a loop every STRIP + 1 back-edges, a recursive function at every entry), and when it runs out a
//     tick is due; the fuel given at a tick is the rate it was spent at times the time to the next tick.
// Ticks come about every TICK_MS, and sooner when something has to happen: the end of the running
// thread's slice, the earliest sleeper's deadline, the next aging of waiting lower levels, or (at once) a
// thread of higher priority becoming runnable on the processor.
// The slow path does not decide anything: it unwinds the thread to its processor's loop (a switch, ~0.1-1
// µs) with `ticked` set, and the loop calls `preemptTick`, which reads the clock and decides whether the
// thread goes on (it is switched straight back in) or is preempted. So the code a safepoint sits in makes
// no call on its way out (nothing of it lives across a call: host/compiler/passes/resumable.ts), and ticks are the only
// place that reads the clock; the switch itself does not (but once after the processor was idle, and
// at every switch with exact accounting).
//
// What a tick does (`preemptTick`): charges the time since the last tick to the running thread and its
// group (sampled accounting); ages waiting threads now and then; and preempts the running thread when its
// slice is over, when a sleeper is due, or when a thread of higher priority became runnable. A preempted
// thread goes to the back of its priority level; a thread that is alone at its level and above keeps the
// processor.
//
// Policies.
//   - Priorities: 0..7, higher first (runqueue.ts); round robin within a level by slices.
//   - Aging: every AGING_MS while lower levels wait behind higher ones, the first thread of each waiting
//     level moves up one level; it keeps the raised level for one turn, then is back at its own. A
//     thread of priority 0 behind CPU-bound threads of priority 7 thus gets a slice about every
//     8 × AGING_MS (documented, and measured by tests/preempt.test.ts).
//   - Fair-share groups: a thread belongs to a group (0, the default group, or one made by groupCreate)
//     and has a weight within it; a group has a weight. When a slice ends and groups or weights are in
//     use, the next thread is the one whose group has had the least CPU per unit of group weight and,
//     within it, the one that has had the least CPU per unit of its own weight (virtual time, as in
//     stride scheduling); with groups in use that choice is made at every tick, not only at slice ends.
//     So a thread's share is its share of its group times its group's share of the processor, among the
//     threads that want to run.
// Accounting.
//   - sampled (always on): each tick charges the time since the previous tick to the running thread
//     (Thread.cpu) and its group. Cheap and statistically right; exact for CPU-bound threads.
//   - exact (opt-in, weft_preempt_configure): the loop reads the clock at every switch and keeps CPU time,
//     time runnable and time blocked per thread (a 32-byte block per thread, made on its first switch).
//
// M:N: every processor ticks for itself; aging and the fair-share choice look at the processor's own
// queue; the group table and the accounting are shared (updated under no lock: a lost update costs one
// tick of accounting, never correctness).

import { Thread, PRIORITY_LEVELS, STATE_BLOCKED, STATE_SLEEPING, STATE_RUNNABLE, FROM_RUNNING, transition } from "./layout";
import { SHARED_MEMORY } from "./atomics";
import { hostNow } from "./host";
import { heapTryAlloc } from "../runtime/index";
import { runQueueAge, runQueueLevelBelow, runQueueFairPick, runQueuePush } from "./runqueue";
import { runnableAtLeast, handOffTick, handOffGoOn } from "./handoff";
import { timerCount, timerEarliest, timersFire } from "./timer";
import { processorIndex, PROCESSORS_MAX, schedLockTake, schedLockDrop, hostTurnAsked } from "./processor";
import { signalsFromHost, hostSignalsRaised, signalCpuTimer } from "./signal";
import { hostTurnSoon, currentThread } from "./scheduler";
import { tracing, traceWake } from "./trace";
import { seeded, seedFuel, seedTicked } from "./seed";

/** Default time slice (ms): how long a thread runs before others of its priority get the processor. */
// @ts-ignore: decorator
@inline export const SLICE_MS_DEFAULT: f64 = 10;
/** About how often a tick comes while a thread runs (ms). 1: a tick costs ~50-100 ns (a clock read and a
 *  few loads), 0.01% of the processor; a sleeper is woken at most ~1 ms late behind a spinning thread.
 *  The host may change it with weft_preempt_configure. */
// @ts-ignore: decorator
@inline export const TICK_MS_DEFAULT: f64 = 1;
/** How often waiting lower-priority threads move up a level (ms). */
// @ts-ignore: decorator
@inline const AGING_MS: f64 = 10;
/** Fair-share groups, including the default group 0. Not configurable. */
// @ts-ignore: decorator
@inline export const GROUPS_MAX: i32 = 64;

// ── What the safepoints read (host/compiler/passes/safepoints.ts names these globals) ──────────────────────────────
// Outside threads. Program code also runs outside any thread: the top-level code of its files, at
// start-up. A safepoint there must never tick (there is no thread to switch from), and the checks do not
// test for it (host/compiler/passes/safepoints.ts): fuel starts at its most and is first given when main is spawned
// (preemptEnter), and the ticker raises only processors that run a thread (their busy word).

/** N:1: a tick is due when this falls below zero. Per processor. */
export let fuel: i32 = 0x7fffffff;          // a literal: set before any top-level code runs (a program's own may loop)
/** Shared builds: the address of this processor's request word. Per processor. */
export let flagAddress: usize = 0;

// The tick words (shared builds; the host's ticker writes them, ABI: weft_preempt_requests):
//   0 │ raised   i32  how many request words are 1 (the safepoints' check reads this word)
//   4 │ asleep   i32  1 while the ticker sleeps because no processor runs a thread (host/mn/ticker.ts,
//     │               "Sleeping"); the first switch-in after a processor was idle takes it to 0 and notifies
//  16 │ busy     i32 × PROCESSORS_MAX  1 while processor i runs a thread (its loop writes it)
//     │ request  i32 × PROCESSORS_MAX  1: processor i has a tick due (the ticker sets, the processor clears)
// The ticker, every tick: for each busy processor whose request word goes from 0 to 1, add 1 to `raised`.
// @ts-ignore: decorator
@lazy const TICK_PROCESSORS: i32 = SHARED_MEMORY ? PROCESSORS_MAX : 1;
/** N:1 builds: a copy of Asyncify's state in memory, kept by the build's patched Asyncify intrinsics, so
 *  that code weft rebuilt tests a constant address after each call rather than a global (a global is two
 *  dependent loads in V8: host/compiler/passes/fuel.ts). Unused in shared builds, whose state
 *  is per processor. */
export const ASYNCIFY_STATE_COPY: usize = memory.data(4, 4);

/** The tick words' address (a constant: the safepoints load TICKS + 0 directly). */
export const TICKS: usize = memory.data(16 + TICK_PROCESSORS * 8, 16);

// Per processor:
let fuelGiven: i32 = 0;         // N:1: fuel given at the last tick
let fuelRate: f64 = 0;          // N:1: fuel spent per ms of running (measured at ticks)
let lastTick: f64 = -1;         // when this processor last ticked; -1: unknown (it was idle)
/** When this processor last ticked (ms; -1 after it was idle): a clock the loop reads for free. */
// @ts-ignore: decorator
@inline export function lastTickAt(): f64 { return lastTick; }
let turnStart: f64 = 0;         // when the running thread's turn began (as well as ticks know)
let turnFresh: bool = true;     // the loop switched since the last tick: a new turn began
let keepTurn: bool = false;     // the next switch-in resumes the thread that just ticked: same turn
let handoff: f64 = -1;          // when the last tick preempted: the next turn began then
let runningPriority: i32 = PRIORITY_LEVELS;   // the running thread's level (PRIORITY_LEVELS: none)
let switchedInAt: f64 = 0;      // when the running thread was switched in (exact accounting)

// Shared:
let sliceMs: f64 = SLICE_MS_DEFAULT;
let tickMs: f64 = TICK_MS_DEFAULT;
let exact: bool = false;        // exact accounting (clock at every switch)
let traced: bool = false;       // some processor records the timeline trace (trace.ts)
let switchHooks: bool = false;  // exact || traced: the one test a switch and a wake make for both
let fairShare: bool = false;    // a group was made or a weight set: slices end with the fair-share choice
let lastAging: f64 = 0;
let groups: i32 = 1;
// Group table: GROUPS_MAX × { weight f64, cpu f64 } (ms).
// @ts-ignore: decorator
@lazy const GROUPS: usize = memory.data(GROUPS_MAX * 16, 16);

// ── Configuration (host) ───────────────────────────────────────────────────────────────────────────

/** Sets the slice and tick (ms; 0 keeps the current value) and exact accounting. False if out of range. */
export function preemptConfigure(slice: f64, tick: f64, exactAccounting: bool): bool {
  if (!(slice >= 0 && slice <= 60000) || !(tick >= 0 && tick <= 1000)) return false;
  if (slice > 0) sliceMs = slice;
  if (tick > 0) tickMs = tick;
  if (exactAccounting && !exact) switchedInAt = hostNow();   // the running thread's time counts from now
  exact = exactAccounting;
  switchHooks = exact || traced;
  return true;
}

/** A processor started recording the trace (trace.ts): the switch hooks are on from now on. */
export function switchHooksTrace(): void {
  traced = true;
  switchHooks = true;
}

/** The tick words' address (the host's ticker; see TICKS). */
export function preemptRequests(): usize { return TICKS; }

/** This processor's request word (processorEnter; N:1 at the start). */
export function preemptEnter(): void {
  flagAddress = TICKS + 16 + (<usize>(TICK_PROCESSORS + processorIndex) << 2);
  fuel = 64;                                    // the first tick calibrates the rate
  if (load<f64>(GROUPS) == 0) store<f64>(GROUPS, 1);   // the default group's weight
}

/** The slice in use (ms). */
export function preemptSlice(): f64 { return sliceMs; }
/** The tick in use (ms). */
export function preemptTickMs(): f64 { return tickMs; }
/** Whether exact accounting is on. */
// @ts-ignore: decorator
@inline export function exactAccounting(): bool { return exact; }

/** Exact accounting or the trace is on: the slow hooks of a switch and a wake run (scheduler.ts). One
 *  shared flag for both, so that the trace costs a run that does not record nothing more than the test
 *  exact accounting already made (trace_overhead_off). */
// @ts-ignore: decorator
@inline export function switchHooksOn(): bool { return switchHooks; }

// ── The loop's hooks (scheduler.ts) ────────────────────────────────────────────────────────────────

/** A thread is being switched in; `handedOff`: from its processor's next slot, and it goes on with the
 *  turn of the thread that woke it (handoff.ts, step 3). */
// @ts-ignore: decorator
@inline export function preemptSwitchIn(t: Thread, handedOff: bool): void {
  if (keepTurn) keepTurn = false; else if (!SHARED_MEMORY || !handedOff) turnFresh = true;
  runningPriority = t.priority;
  if (lastTick < 0) lastTick = hostNow();       // after the processor was idle: sampled time counts from here
  if (SHARED_MEMORY) {
    let busy = TICKS + 16 + (<usize>processorIndex << 2);
    if (load<i32>(busy) == 0) processorBusy(busy);   // only its own processor writes it
  }
  if (switchHooks && exact) exactSwitchIn(t);
}

/** The first switch-in after this processor was idle (its busy word is 0): the processor's half of the
 *  ticker's sleep (host/mn/ticker.ts, "Sleeping"): the busy word is stored, then the ticker's `asleep`
 *  word read (sequentially consistent, as the ticker stores `asleep`, then reads the busy words), so
 *  either the ticker sees this processor busy or this processor sees it asleep and wakes it. */
function processorBusy(busy: usize): void {
  atomic.store<i32>(busy, 1);
  if (atomic.load<i32>(TICKS, 4) != 0 && atomic.xchg<i32>(TICKS, 0, 4) != 0) atomic.notify(TICKS + 4, 1);
}

/** The running thread is back in the loop. */
// @ts-ignore: decorator
@inline export function preemptSwitchOut(): void { runningPriority = PRIORITY_LEVELS; }

/** `t` becomes runnable on this processor: above the running thread's level, that thread gets a tick at
 *  its next safepoint (and is preempted there). */
// @ts-ignore: decorator
@inline export function preemptWoken(t: Thread): void {
  if (t.priority > runningPriority) preemptRequestTick();
}

/** The processor found nothing to run, or returns to the host: ticks start afresh when it runs again,
 *  and a request raised meanwhile is taken back. */
export function preemptIdle(): void {
  lastTick = -1;
  keepTurn = false;
  handoff = -1;
  if (SHARED_MEMORY) {
    store<i32>(TICKS + 16 + (<usize>processorIndex << 2), 0);
    takeRequest();
  }
}

/** The loop was entered at `now`. */
// @ts-ignore: decorator
@inline export function preemptLoopEnter(now: f64): void { if (lastTick < 0) lastTick = now; }

/** Shared builds: clears this processor's request, if raised, and the count of raised requests. */
function takeRequest(): void {
  if (atomic.xchg<i32>(flagAddress, 0) != 0) atomic.sub<i32>(TICKS, 1);
}

/** Arranges the next tick about `ms` from now. N:1: fuel for that long at the rate fuel was spent since
 *  the last tick. (Shared builds: the ticker's next tick.) */
function nextTickIn(ms: f64, now: f64): void {
  ms = max<f64>(ms, 0.05);
  if (SHARED_MEMORY) return;
  if (lastTick >= 0 && fuelGiven > 0 && now > lastTick) {
    let measured = <f64>(fuelGiven - min<i32>(fuel, fuelGiven)) / (now - lastTick);
    fuelRate = fuelRate == 0 ? measured : 0.5 * fuelRate + 0.5 * measured;
  }
  let give = fuelRate > 0 ? fuelRate * ms : 64;
  fuelGiven = <i32>min<f64>(max<f64>(give, 16), <f64>(1 << 30));
  fuel = fuelGiven;
}

/** A safepoint was reached outside any thread (a bug of the invariants above): no tick until a thread
 *  runs. */
export function preemptOutsideThread(): void { fuel = i32.MAX_VALUE; }

/** Asks for a tick at the next safepoint of this processor (a thread of higher priority than the running
 *  one became runnable here). */
export function preemptRequestTick(): void {
  if (SHARED_MEMORY) { if (atomic.xchg<i32>(flagAddress, 1) == 0) atomic.add<i32>(TICKS, 1); }
  else fuel = 0;
}

/** fork's child in a shared build (core/fork.ts): no processor runs a thread, no tick is due. */
export function preemptForkReset(): void {
  if (!SHARED_MEMORY) return;
  memory.fill(TICKS, 0, 16 + (<usize>TICK_PROCESSORS << 3));
}

/** Shared builds: asks processor `index` for a tick at its next safepoint, as the ticker does (a
 *  collection that must stop every processor, core/gc.ts); no-op for a processor running no thread. */
export function preemptRequestFor(index: i32): void {
  if (!SHARED_MEMORY || load<i32>(TICKS + 16 + (<usize>index << 2)) == 0) return;
  let flag = TICKS + 16 + (<usize>(TICK_PROCESSORS + index) << 2);
  if (atomic.xchg<i32>(flag, 1) == 0) atomic.add<i32>(TICKS, 1);
}

/** What a tick decided for the thread that ticked. */
// @ts-ignore: decorator
@inline export const TICK_GO_ON: i32 = 0;
// @ts-ignore: decorator
@inline export const TICK_PREEMPT: i32 = 1;

/** A tick of `t`, the thread the loop just took back from a safepoint (its frames are saved): accounting,
 *  aging, and whether it goes on or is preempted. `now` is the clock. */
export function preemptTick(t: Thread, now: f64): i32 {
  if (!SHARED_MEMORY && seeded) return seededTick(now);
  if (SHARED_MEMORY) takeRequest();
  let verdict = decide(t, now);
  // The next tick: at the end of the slice that now runs, or when the earliest sleeper is due, or, with
  // threads waiting below, when they age next.
  let next = verdict == TICK_PREEMPT ? sliceMs : sliceMs - (now - turnStart);
  if (timerCount() > 0) next = min<f64>(next, timerEarliest() - now);
  if (runQueueLevelBelow(t.priority)) next = min<f64>(next, AGING_MS - (now - lastAging));
  // At most a tick apart: sampled accounting needs them (a tick costs an unwind and a rewind of the
  // running thread, ~1-3 µs for a usual stack).
  nextTickIn(min<f64>(next, tickMs), now);
  lastTick = now;
  keepTurn = verdict == TICK_GO_ON;
  return verdict;
}

/** A thread that unwound at a safepoint (still RUNNING, its frames saved): the tick decides whether it
 *  goes on (back to the front of its level: the loop switches it straight back in) or is preempted (to the
 *  back, behind sleepers the tick found due). */
export function preemptRequeue(t: Thread): void {
  let now = hostNow();
  let verdict = preemptTick(t, now);
  if (hostSignalsRaised()) signalsFromHost();
  if (SHARED_MEMORY && hostTurnAsked()) hostTurnSoon();   // its host asked for a turn (processor.ts)
  schedLockTake();
  if (t.signals != 0) signalCpuTimer(t);      // its CPU timer (signal.ts), charged by this tick
  if (timerCount() > 0) timersFire(now, true);
  transition(t, FROM_RUNNING, STATE_RUNNABLE);
  handOffTick(verdict != TICK_PREEMPT);       // a slot thread waiting since the last tick goes (handoff.ts)
  if (verdict == TICK_PREEMPT) runQueuePush(t);
  else { handOffGoOn(t); t.switches--; }      // it goes on, next (handoff.ts): not a switch
  schedLockDrop();
}

/** A tick of a seeded run (seed.ts, "What the seed decides", step 2): always a preemption, and the next
 *  tick after a number of checks the generator draws. No accounting or aging: they read the clock. */
function seededTick(now: f64): i32 {
  seedTicked();
  fuel = seedFuel();
  lastTick = now;
  return TICK_PREEMPT;
}

function decide(t: Thread, now: f64): i32 {
  // Sampled accounting: the time since the last tick goes to the running thread.
  if (lastTick >= 0) charge(t, now - lastTick);
  if (turnFresh) { turnFresh = false; turnStart = handoff >= 0 ? handoff : now; handoff = -1; }
  if (lastAging == 0) lastAging = now;           // aging counts from the first tick
  if (now - lastAging >= AGING_MS) {
    lastAging = now;
    if (runQueueLevelBelow(t.priority)) runQueueAge(t.priority);
  }
  // With fair shares the choice is made at every tick once the thread has run a tick's worth: shares
  // then come out to within about a tick over any stretch, not a slice (fair_share_error).
  let sliceOver = now - turnStart >= (fairShare ? min<f64>(sliceMs, tickMs) : sliceMs);
  let timerDue = timerCount() > 0 && timerEarliest() <= now;
  let higher = t.priority + 1 < PRIORITY_LEVELS && runnableAtLeast(t.priority + 1);
  if (!sliceOver && !timerDue && !higher) return TICK_GO_ON;
  if (!runnableAtLeast(t.priority) && !timerDue) { turnStart = now; return TICK_GO_ON; }
  // The thread with the least virtual time runs next; if that is this one, it goes on.
  if (sliceOver && !timerDue && !higher && fairShare && runQueueFairPick(t)) { turnStart = now; return TICK_GO_ON; }
  handoff = now;
  t.priority = t.basePriority;                  // an aging boost lasts one turn
  return TICK_PREEMPT;
}

/** Charges `ms` of CPU to `t` and its group. */
// @ts-ignore: decorator
@inline function charge(t: Thread, ms: f64): void {
  t.cpu += ms;
  let g = GROUPS + (<usize>t.group << 4);
  store<f64>(g, load<f64>(g, 8) + ms, 8);
}

// ── Fair share ─────────────────────────────────────────────────────────────────────────────────────

/** Virtual time of `t` for the fair-share choice: its group's CPU per group weight, then its own. */
// @ts-ignore: decorator
@inline export function groupVirtualTime(t: Thread): f64 {
  let g = GROUPS + (<usize>t.group << 4);
  return load<f64>(g, 8) / load<f64>(g);
}
// @ts-ignore: decorator
@inline export function threadVirtualTime(t: Thread): f64 { return t.cpu / <f64>t.weight; }

/** Makes a fair-share group of `weight` (1 .. 1,000,000); returns its id (≥ 1), or -1 when all
 *  GROUPS_MAX are in use or the weight is out of range. Groups live as long as the program. */
export function groupCreate(weight: i32): i32 {
  if (weight < 1 || weight > 1000000) return -1;
  let id = groups;
  if (id >= GROUPS_MAX) return -1;
  groups = id + 1;
  store<f64>(GROUPS + (<usize>id << 4), <f64>weight);
  store<f64>(GROUPS + (<usize>id << 4), 0, 8);
  fairShare = true;
  return id;
}

/** Whether `group` names a group (0, the default, always does). */
export function groupExists(group: i32): bool { return group >= 0 && group < groups; }

/** How many groups exist (the default group 0 included). */
export function groupCount(): i32 { return groups; }

/** A group's weight, or -1 for a bad group. */
export function groupWeight(group: i32): f64 {
  return groupExists(group) ? load<f64>(GROUPS + (<usize>group << 4)) : -1;
}

/** Sets a group's weight; false if the group or weight is bad. */
export function groupSetWeight(group: i32, weight: i32): bool {
  if (!groupExists(group) || weight < 1 || weight > 1000000) return false;
  store<f64>(GROUPS + (<usize>group << 4), <f64>weight);
  fairShare = true;
  return true;
}

/** CPU charged to a group so far (ms, sampled), or -1 for a bad group. */
export function groupCpu(group: i32): f64 {
  return groupExists(group) ? load<f64>(GROUPS + (<usize>group << 4), 8) : -1;
}

/** Turns on the fair-share choice (a thread weight other than 1 was set). */
export function fairShareOn(): void { fairShare = true; }

// ── Exact accounting ───────────────────────────────────────────────────────────────────────────────
//
// ╒═══ exact block (32 bytes, Thread.stats) ═══╕
//   0 │ cpu       f64  ms on a processor        │
//   8 │ runnable  f64  ms waiting to run        │
//  16 │ blocked   f64  ms blocked or asleep     │
//  24 │ since     f64  when its current state began │
// ╘════════════════════════════════════════════╛

// @ts-ignore: decorator
@inline export const STATS_CPU: usize = 0;
// @ts-ignore: decorator
@inline export const STATS_RUNNABLE: usize = 8;
// @ts-ignore: decorator
@inline export const STATS_BLOCKED: usize = 16;
// @ts-ignore: decorator
@inline const STATS_SINCE: usize = 24;
/** The exact block's size (README, "Memory"). */
// @ts-ignore: decorator
@inline const STATS_SIZE: usize = 32;

function statsOf(t: Thread, now: f64): usize {
  let s = t.stats;
  if (s == 0) {
    s = heapTryAlloc(STATS_SIZE);
    if (s == 0) return 0;
    store<f64>(s, 0, STATS_CPU);
    store<f64>(s, 0, STATS_RUNNABLE);
    store<f64>(s, 0, STATS_BLOCKED);
    store<f64>(s, now, STATS_SINCE);
    t.stats = s;
  }
  return s;
}


function exactSwitchIn(t: Thread): void {
  let now = hostNow();
  switchedInAt = now;
  let s = statsOf(t, now);
  if (s == 0) return;
  store<f64>(s, load<f64>(s, STATS_RUNNABLE) + (now - load<f64>(s, STATS_SINCE)), STATS_RUNNABLE);
  store<f64>(s, now, STATS_SINCE);
}

/** The running thread `t` left the processor (exact accounting on). */
export function exactSwitchOut(t: Thread): void {
  let now = hostNow();
  let s = statsOf(t, now);
  if (s == 0) return;
  store<f64>(s, load<f64>(s, STATS_CPU) + (now - switchedInAt), STATS_CPU);
  store<f64>(s, now, STATS_SINCE);
}

/** A waiting thread `t` became runnable (exact accounting on): its time since blocking was blocked time. */
export function exactWoken(t: Thread): void {
  let s = t.stats;
  if (s == 0) return;
  let now = hostNow();
  let state = t.state;
  if (state == STATE_BLOCKED || state == STATE_SLEEPING) {
    store<f64>(s, load<f64>(s, STATS_BLOCKED) + (now - load<f64>(s, STATS_SINCE)), STATS_BLOCKED);
  }
  store<f64>(s, now, STATS_SINCE);
}

/** makeRunnable's slow hooks (switchHooksOn): exact accounting's waiting time, the trace's wake. */
export function wokenHooks(t: Thread): void {
  if (exactAccounting()) exactWoken(t);
  if (tracing()) traceWake(t, currentThread);
}
