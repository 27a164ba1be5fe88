// Preemption, time slices, aging, fair-share groups and CPU accounting.
//
// Design note
// -----------
// Ticks. The build puts a safepoint at every loop head and recursive function entry of the program's own
// code (host/safepoints.ts). A safepoint calls `safepoint()` below when a tick is due, about every
// TICK_MS while a thread runs:
//   - shared builds (M:N): a ticker the host runs (a Worker) raises each processor's request word every
//     tick; the check is a load of that word (the word's address is the per-processor `flagAddress`);
//   - N:1 builds, whose memory nobody else can write while the module runs: the checks count down `fuel`
//     (a loop every STRIP back-edges, a recursive function at every entry), and when it runs out the
//     tick reads the clock. `fuelRefill` adapts so that fuel runs out about every TICK_MS.
// A tick is therefore the only place that reads the clock; the switch itself never does (unless exact
// accounting is on).
//
// What a tick does (`tick`): charges the time since the last tick to the running thread and its group
// (sampled accounting); ages waiting threads now and then; and preempts the running thread when its
// slice is over, when a sleeper is due, or when a thread of higher priority became runnable. Preempting
// is a yield from inside the thread's own code: it goes to the back of its priority level and the loop
// picks the next thread. A thread that is alone at its level and above keeps the processor.
//
// Policies.
//   - Priorities: 0..7, higher first (runqueue.ts); round robin within a level by slices.
//   - Aging: every AGING_MS while lower levels wait behind higher ones, the first thread of each waiting
//     level moves up one level; it is back at its own priority once it has run. A thread of priority 0
//     behind CPU-bound threads of priority 7 thus runs within ~8 × AGING_MS.
//   - Fair-share groups: a thread belongs to a group (0, the default group, or one made by groupCreate)
//     and has a weight within it; a group has a weight. When a slice ends and groups or weights are in
//     use, the next thread is the one whose group has had the least CPU per unit of group weight and,
//     within it, the one that has had the least CPU per unit of its own weight (virtual time, as in
//     stride scheduling). So a thread's share is its share of its group times its group's share of the
//     processor, among the threads that want to run.
// Accounting.
//   - sampled (always on): each tick charges the time since the previous tick to the running thread
//     (Thread.cpu) and its group. Cheap and statistically right; exact for CPU-bound threads.
//   - exact (opt-in, weft_preempt_configure): the loop reads the clock at every switch and keeps CPU time,
//     time runnable and time blocked per thread (a 32-byte block per thread, made on its first switch).
//
// M:N: every processor ticks for itself; aging and the fair-share choice look at the processor's own
// queue; the group table and the accounting are shared (updated under no lock: a lost update costs one
// tick of accounting, never correctness).

import { Thread, FLAG_FINISHING, PRIORITY_LEVELS, STATE_BLOCKED, STATE_SLEEPING } from "./layout";
import { SHARED_MEMORY } from "./atomics";
import { hostNow } from "./host";
import { heapTryAlloc } from "./runtime/index";
import { currentThread, preemptNow } from "./scheduler";
import { runQueueHasAtLeast, runQueueAge, runQueueLevelBelow, runQueueFairPick } from "./runqueue";
import { timerCount, timerEarliest } from "./timer";
import { processorIndex, PROCESSORS_MAX } from "./processor";

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
/** Back-edges between two fuel checks of a loop (the build's strip counter, host/safepoints.ts). */
// @ts-ignore: decorator
@inline export const STRIP: i32 = 1023;
/** Fair-share groups, including the default group 0. Not configurable. */
// @ts-ignore: decorator
@inline export const GROUPS_MAX: i32 = 64;

// ── What the safepoints read (host/safepoints.ts names these globals) ──────────────────────────────
/** N:1: ticks run when this falls below zero. Per processor. */
export let fuel: i32 = 0;
/** Shared builds: the address of this processor's request word (the ticker sets it to 1). Per processor. */
export let flagAddress: usize = 0;

// Request words, one per processor: the ticker (shared builds) sets them; a tick clears its own.
// @ts-ignore: decorator
@lazy const REQUESTS: usize = memory.data(<i32>(SHARED_MEMORY ? PROCESSORS_MAX : 1) << 2, 16);

// Per processor:
let fuelRefill: i32 = 64;       // N:1: fuel given at each tick (adapts to TICK_MS)
let lastTick: f64 = -1;         // when this processor last ticked; -1: unknown (it was idle)
let turnStart: f64 = 0;         // when the running thread's turn began (as well as ticks know)
let turnFresh: bool = true;     // the loop switched since the last tick: a new turn began

// Shared:
let sliceMs: f64 = SLICE_MS_DEFAULT;
let tickMs: f64 = TICK_MS_DEFAULT;
let exact: bool = false;        // exact accounting (clock at every switch)
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
  exact = exactAccounting;
  return true;
}

/** The request words' address (the host's ticker raises word i for processor i). */
export function preemptRequests(): usize { return REQUESTS; }

/** This processor's request word (processorEnter; N:1 at the first run). */
export function preemptEnter(): void {
  flagAddress = REQUESTS + (<usize>processorIndex << 2);
  if (GROUPS != 0 && load<f64>(GROUPS) == 0) store<f64>(GROUPS, 1);   // the default group's weight
}

/** The slice in use (ms). */
export function preemptSlice(): f64 { return sliceMs; }
/** The tick in use (ms). */
export function preemptTick(): f64 { return tickMs; }
/** Whether exact accounting is on. */
// @ts-ignore: decorator
@inline export function exactAccounting(): bool { return exact; }

// ── The loop's hooks (scheduler.ts) ────────────────────────────────────────────────────────────────

/** A thread is being switched in. */
// @ts-ignore: decorator
@inline export function preemptSwitchIn(t: Thread): void {
  turnFresh = true;
  if (exact) exactSwitchIn(t);
}

/** The processor found nothing to run, or returns to the host: ticks start afresh when it runs again. */
// @ts-ignore: decorator
@inline export function preemptIdle(): void { lastTick = -1; }

/** The loop was entered at `now`. */
// @ts-ignore: decorator
@inline export function preemptLoopEnter(now: f64): void { if (lastTick < 0) lastTick = now; }

// ── Safepoints ─────────────────────────────────────────────────────────────────────────────────────

/** What a safepoint calls when a tick is due (the build inserts the calls; weft's own code has none). */
export function safepoint(): void {
  if (SHARED_MEMORY) {
    if (atomic.load<i32>(flagAddress) == 0) return;
    atomic.store<i32>(flagAddress, 0);
  }
  let now = hostNow();
  if (!SHARED_MEMORY) refuel(now);
  tick(now);
}

/** N:1: the next tick comes after `fuelRefill` more checks, which adapts so that ticks come ~tickMs apart. */
function refuel(now: f64): void {
  if (lastTick >= 0) {
    let gap = now - lastTick;
    let refill = fuelRefill;
    if (gap < tickMs * 0.5) refill = refill < (1 << 28) ? refill << 1 : refill;
    else if (gap > tickMs * 2) refill = max<i32>(refill >> 1, 1);
    fuelRefill = refill;
  }
  fuel = fuelRefill;
}

/** Asks for a tick at the next safepoint of this processor (a thread of higher priority became runnable). */
// @ts-ignore: decorator
@inline export function preemptRequestTick(): void {
  if (SHARED_MEMORY) atomic.store<i32>(flagAddress, 1);
  else fuel = 0;
}

function tick(now: f64): void {
  let tp = currentThread;
  if (tp == 0) return;                          // program code run outside any thread (start-up)
  let t = changetype<Thread>(tp);
  // Sampled accounting: the time since the last tick goes to the running thread.
  if (lastTick >= 0) charge(t, now - lastTick);
  lastTick = now;
  if (turnFresh) { turnFresh = false; turnStart = now; }
  if (now - lastAging >= AGING_MS) {
    lastAging = now;
    if (runQueueLevelBelow(t.priority)) runQueueAge(t.priority);
  }
  if (t.flags & FLAG_FINISHING) return;         // its TLS destructors run; it is nearly gone
  let sliceOver = now - turnStart >= sliceMs;
  let timerDue = timerCount() > 0 && timerEarliest() <= now;
  let higher = t.priority + 1 < PRIORITY_LEVELS && runQueueHasAtLeast(t.priority + 1);
  if (!sliceOver && !timerDue && !higher) return;
  if (sliceOver && fairShare) {
    // The thread with the least virtual time runs next; if that is this one, it goes on.
    if (runQueueFairPick(t)) { turnStart = now; return; }
  }
  // preemptNow returns false when nobody of this priority or higher is waiting: a new turn, same thread.
  if (!preemptNow(now)) { turnStart = now; return; }
  turnFresh = true;
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

function statsOf(t: Thread, now: f64): usize {
  let s = t.stats;
  if (s == 0) {
    s = heapTryAlloc(32);
    if (s == 0) return 0;
    store<f64>(s, 0, STATS_CPU);
    store<f64>(s, 0, STATS_RUNNABLE);
    store<f64>(s, 0, STATS_BLOCKED);
    store<f64>(s, now, STATS_SINCE);
    t.stats = s;
  }
  return s;
}

let switchedInAt: f64 = 0;      // per processor: when the running thread was switched in (exact)

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
