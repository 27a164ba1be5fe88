// Reproducible schedules: every scheduling choice of a seeded run comes from a generator (`weft run --seed`).
//
// Design note
// -----------
// The problem. A race that shows once in a thousand runs cannot be debugged if the next run takes another
// path. Which thread runs next depends on the run queue's order, which depends on when ticks preempted
// threads (timers: the machine's load), when sleepers woke (the clock) and when I/O completed (the
// outside world). To replay a run, each of those choices must come from something that is the same every
// time: a seed.
//
// What the seed decides (N:1 only; the host runs a seeded program on one processor):
//   1. The pick: the loop's next thread (runqueue.ts, runQueuePop) is chosen by seedChoose among the
//      threads of the highest non-empty priority level (strict priorities are kept: a program may rely on
//      them), by one of two strategies:
//        - random walk: uniformly among them;
//        - PCT (Burckhardt et al., "A randomized scheduler with probabilistic guarantees of finding
//          bugs", 2010), for bugs of depth d: each thread gets a random rank when the scheduler first
//          meets it; the thread of highest rank runs; at d - 1 change points, steps drawn at seeding among
//          the first `steps` picks, the thread that ran last drops to rank d - 1 - j (below every first
//          rank). A thread that yields drops below every thread (a rank that keeps going down): PCT
//          assumes threads do not spin, and a spin loop around yieldNow() would otherwise run forever.
//   2. Preemption: a tick (preempt.ts) no longer reads the clock to decide. A thread is preempted at every
//      tick, and the next one comes after a number of safepoint checks drawn from the generator
//      (1 .. SEED_FUEL_MAX): a thread may lose the processor inside any loop, at places the seed decides.
//      The pick then decides who runs (possibly the same thread). Timer-driven ticks do not exist in N:1
//      (fuel is counted, preempt.ts "Ticks"), so nothing else preempts.
//   3. Time: the host gives a seeded run a virtual clock (host/kernel/seed.ts, SeedClock): each read
//      advances it by a fixed step, and when every thread sleeps it jumps to the earliest deadline instead
//      of waiting. Sleepers then wake at the same places of the schedule every time, in deadline order.
// Not under the seed: I/O completions (files, sockets, stdin) come when the outside world answers, and
// host functions that return Promises resolve when they do. A program whose threads compute, yield,
// sleep, lock, wait, join and use channels replays exactly; with I/O, the schedule between completions
// does, but not where the completions land.
//
// Rejected: deciding at every safepoint with a call into this file (a call per loop turn; counting fuel
// down is what N:1 safepoints already do, and drawing the count is the same distribution as a per-check
// coin with the right bias); seeding processors (M:N): which processor reaches a queue first is a race
// between kernel threads that no generator inside Wasm can decide, so a seeded run uses one processor.
//
// Cost when not seeded: one load and branch of `seeded` in runQueuePop (predicted: it never changes
// during a run) and one in preemptTick (ticks only). Both compile away in shared builds.
//
// The generator: splitmix64 (Steele, Lea, Flood 2014): a 64-bit counter stepped by the golden ratio and
// mixed; fast (three multiplies and shifts), and every seed, 0 included, gives a good stream.
//
// Access rule: every variable here belongs to processor 0 of an N:1 build (the only one); the host writes
// them through weft_seed before main starts.

import { Thread, STATE_RUNNABLE } from "./layout";
import { SHARED_MEMORY } from "./atomics";
import { threadById } from "./table";

/** Safepoint checks until the next tick of a seeded run: drawn from 1 .. SEED_FUEL_MAX (a check is a
 *  loop's 128th turn or a recursive call; host/compiler/passes/safepoints.ts). 32: a loop of a few thousand
 *  turns is cut a few times, and ticks (an unwind and a rewind, ~1-3 µs) stay under a few % of a computing
 *  thread's time. Not configurable. */
// @ts-ignore: decorator
@inline const SEED_FUEL_MAX: u32 = 32;
/** The deepest PCT schedule (d): change points live in a static table. */
// @ts-ignore: decorator
@inline export const PCT_DEPTH_MAX: i32 = 16;
/** First ranks are drawn from [FIRST_RANK, FIRST_RANK × 2): above every change point's rank (< d). */
// @ts-ignore: decorator
@inline const FIRST_RANK: u32 = 1 << 20;

/** True once the host seeded the run (weft_seed). N:1 only: always false in shared builds. */
export let seeded: bool = false;
let state: u64 = 0;             // splitmix64's counter
let depth: i32 = 0;             // PCT's d; 0: random walk
let steps: u32 = 0;             // picks made so far (PCT's steps)
let changes: i32 = 0;           // change points taken so far
let yieldRank: i32 = -1;        // the next rank a yielding thread gets (PCT): each lower than the last
let lastRan: i32 = 0;           // the id of the thread the last pick chose (its record may be gone since)
let lastTicked: bool = false;   // it left the processor at a tick (not a yield)
// @ts-ignore: decorator
@lazy const CHANGE_AT: usize = memory.data(PCT_DEPTH_MAX * 4, 4);   // d - 1 change points (step numbers)

/** The next 64 bits of the stream. */
function next64(): u64 {
  state += 0x9E3779B97F4A7C15;
  let z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

/** A number in [0, n) (Lemire's multiply and shift; the bias is below 2^-32 for the n used here). */
// @ts-ignore: decorator
@inline function below(n: u32): u32 {
  return <u32>(((next64() >> 32) * <u64>n) >> 32);
}

/** Seeds the run: `seed` picks the stream; `pctDepth` 0 is the random walk, d ≥ 1 PCT with d - 1 change
 *  points among the first `pctSteps` picks. False when refused (a shared build; d or steps out of range). */
export function seedConfigure(seed: u64, pctDepth: i32, pctSteps: i32): bool {
  if (SHARED_MEMORY || pctDepth < 0 || pctDepth > PCT_DEPTH_MAX || (pctDepth > 1 && pctSteps < 1)) return false;
  state = seed;
  depth = pctDepth;
  steps = 0;
  changes = 0;
  yieldRank = -1;
  lastRan = 0;
  lastTicked = false;
  for (let j = 0; j < pctDepth - 1; j++) store<u32>(CHANGE_AT + (<usize>j << 2), 1 + below(<u32>pctSteps));
  seeded = true;
  return true;
}

/** Picks made so far (the host sizes PCT's steps from a run's count). */
export function seedSteps(): u32 { return steps; }

/** The safepoint checks until a seeded run's next tick. */
export function seedFuel(): i32 { return 1 + <i32>below(SEED_FUEL_MAX); }

/** A tick of a seeded run (preempt.ts): the running thread is preempted (the pick decides who goes on). */
export function seedTicked(): void { lastTicked = true; }

/** The thread to run next among the list that starts at `head` (one priority level of the run queue,
 *  linked through Thread.next, not empty). Counts a step. */
export function seedChoose(head: usize): usize {
  steps++;
  let chosen = depth == 0 ? randomWalk(head) : pctChoose(head);
  lastRan = changetype<Thread>(chosen).id;
  lastTicked = false;
  return chosen;
}

function randomWalk(head: usize): usize {
  let count: u32 = 0;
  for (let p = head; p != 0; p = changetype<Thread>(p).next) count++;
  let n = below(count);
  let p = head;
  while (n-- > 0) p = changetype<Thread>(p).next;
  return p;
}

function pctChoose(head: usize): usize {
  let last = lastRan != 0 ? threadById(lastRan) : null;
  // The thread that ran last and is back in the queue without a tick yielded: below every other.
  if (last !== null && !lastTicked && last.state == STATE_RUNNABLE) last.seedRank = yieldRank--;
  // A change point: the thread that ran last drops below every first rank.
  if (changes < depth - 1 && last !== null) {
    for (let j = 0; j < depth - 1; j++) {
      if (load<u32>(CHANGE_AT + (<usize>j << 2)) == steps) {
        last!.seedRank = depth - 1 - changes;
        changes++;
        break;
      }
    }
  }
  let best: usize = 0, bestRank: i32 = i32.MIN_VALUE;
  for (let p = head; p != 0; p = changetype<Thread>(p).next) {
    let t = changetype<Thread>(p);
    if (t.seedRank == 0) t.seedRank = <i32>(FIRST_RANK + below(FIRST_RANK));   // first met: its rank
    if (t.seedRank > bestRank || (t.seedRank == bestRank && t.id < changetype<Thread>(best).id)) {
      best = p;
      bestRank = t.seedRank;
    }
  }
  return best;
}
