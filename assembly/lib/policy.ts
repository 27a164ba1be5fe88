// Scheduling policy and accounting, as the program sees them: priorities, time slices, fair-share groups,
// and each thread's CPU time and statistics. The mechanisms are in core/preempt.ts (ticks, aging, the
// fair-share choice, accounting) and core/runqueue.ts (levels).

import { Thread, PRIORITY_LEVELS, STATE_RUNNABLE, STATE_EXITED, STATE_TRAPPED } from "../core/layout";
import { currentThread } from "../core/scheduler";
import { threadById, ThreadId, threadAt, threadTableUsed } from "../core/table";
import { runQueueRemove, runQueuePush } from "../core/runqueue";
import { schedLockTake, schedLockDrop } from "../core/processor";
import {
  groupCreate as makeGroup, groupSetWeight as setGroupWeight, groupExists, groupCpu, groupWeight, fairShareOn,
  preemptConfigure, preemptSlice, exactAccounting, STATS_CPU, STATS_RUNNABLE, STATS_BLOCKED, groupCount,
} from "../core/preempt";
import { EINVAL, ESRCH, EAGAIN } from "../core/errno";
import { print } from "./console";

/** The thread `id` names (0 = the caller), or null. */
function resolve(id: ThreadId): Thread | null {
  if (id == 0) return currentThread ? changetype<Thread>(currentThread) : null;
  return threadById(id);
}

/** Sets thread `id`'s priority (0 = the caller; 0 lowest .. 7 highest). A runnable thread moves to its
 *  new level at once. 0, or -ESRCH (no such thread), -EINVAL (priority out of range). */
export function setPriority(id: ThreadId, priority: i32): i32 {
  if (priority < 0 || priority >= PRIORITY_LEVELS) return -EINVAL;
  schedLockTake();
  let t = resolve(id);
  if (t === null || t.state == STATE_EXITED || t.state == STATE_TRAPPED) { schedLockDrop(); return -ESRCH; }
  t.basePriority = priority;
  // Popped by a processor between the state and the queue (M:N): it runs, at its new level once requeued.
  if (t.state == STATE_RUNNABLE && runQueueRemove(t)) { t.priority = priority; runQueuePush(t); }
  else t.priority = priority;
  schedLockDrop();
  return 0;
}

/** Thread `id`'s priority (0 = the caller), or -ESRCH. */
export function getPriority(id: ThreadId = 0): i32 {
  let t = resolve(id);
  return t === null ? -ESRCH : t.basePriority;
}

/** Makes a fair-share group of `weight` (1 .. 1,000,000). Returns its id (≥ 1), -EINVAL for a bad
 *  weight, or -EAGAIN when all 63 groups exist. Group 0, the default group (weight 1), holds every thread
 *  not put elsewhere; a thread's children join its group. */
export function groupCreate(weight: i32): i32 {
  if (weight < 1 || weight > 1000000) return -EINVAL;
  let id = makeGroup(weight);
  return id < 0 ? -EAGAIN : id;
}

/** Changes a group's weight. 0, or -EINVAL. */
export function groupSetWeight(group: i32, weight: i32): i32 {
  return setGroupWeight(group, weight) ? 0 : -EINVAL;
}

/** CPU time charged to `group` so far (ms, sampled), or -1 for a bad group. */
export function groupCpuTime(group: i32): f64 { return groupCpu(group); }

/** Moves thread `id` (0 = the caller) into `group`. 0, or -ESRCH, -EINVAL. */
export function setGroup(id: ThreadId, group: i32): i32 {
  if (!groupExists(group)) return -EINVAL;
  let t = resolve(id);
  if (t === null) return -ESRCH;
  t.group = group;
  fairShareOn();
  return 0;
}

/** Thread `id`'s group (0 = the caller), or -ESRCH. */
export function getGroup(id: ThreadId = 0): i32 {
  let t = resolve(id);
  return t === null ? -ESRCH : t.group;
}

/** Sets thread `id`'s weight within its group (1 .. 1,000,000). 0, or -ESRCH, -EINVAL. */
export function setWeight(id: ThreadId, weight: i32): i32 {
  if (weight < 1 || weight > 1000000) return -EINVAL;
  let t = resolve(id);
  if (t === null) return -ESRCH;
  t.weight = weight;
  fairShareOn();
  return 0;
}

/** Sets the time slice (ms, > 0 and ≤ 60,000): how long a thread runs before others of its priority get
 *  the processor. Default 10. 0, or -EINVAL. */
export function setTimeSlice(ms: f64): i32 {
  if (!(ms > 0)) return -EINVAL;
  return preemptConfigure(ms, 0, exactAccounting()) ? 0 : -EINVAL;
}

/** The time slice in force (ms). */
export function timeSlice(): f64 { return preemptSlice(); }

/** Turns exact accounting on or off: a clock read at every switch, for CPU, runnable and blocked times
 *  per thread (threadStats). Off by default: sampled CPU time (cpuTime) is always kept. */
export function setExactAccounting(on: bool): void { preemptConfigure(0, 0, on); }

/** CPU time thread `id` (0 = the caller) has had (ms): sampled at ticks, about every millisecond while it
 *  runs. -1 for no such thread. */
export function cpuTime(id: ThreadId = 0): f64 {
  let t = resolve(id);
  return t === null ? -1 : t.cpu;
}

/** A thread's statistics (threadStats). Times are in ms. */
export class ThreadStats {
  id: ThreadId = 0;
  name: string | null = null;
  /** "runnable", "running", "blocked", "sleeping", "exited" or "trapped". */
  state: string = "";
  priority: i32 = 0;
  group: i32 = 0;
  weight: i32 = 1;
  /** Times switched in. */
  switches: u32 = 0;
  /** CPU time, sampled at ticks (always kept). */
  cpu: f64 = 0;
  /** Exact accounting only (else -1): CPU time from clock reads at every switch, time spent runnable
   *  (waiting for a processor) and time blocked or asleep. */
  cpuExact: f64 = -1;
  runnable: f64 = -1;
  blocked: f64 = -1;
}

const STATE_WORDS: string[] = ["free", "runnable", "running", "blocked", "sleeping", "exited", "trapped"];

function statsOf(t: Thread): ThreadStats {
  let s = new ThreadStats();
  s.id = t.id;
  s.name = t.name ? changetype<string>(t.name) : null;
  s.state = STATE_WORDS[t.state];
  s.priority = t.basePriority;
  s.group = t.group;
  s.weight = t.weight;
  s.switches = t.switches;
  s.cpu = t.cpu;
  if (t.stats) {
    s.cpuExact = load<f64>(t.stats, STATS_CPU);
    s.runnable = load<f64>(t.stats, STATS_RUNNABLE);
    s.blocked = load<f64>(t.stats, STATS_BLOCKED);
  }
  return s;
}

/** Statistics of thread `id` (0 = the caller; a finished thread until it is joined), or null. */
export function threadStats(id: ThreadId = 0): ThreadStats | null {
  let t = resolve(id);
  return t === null ? null : statsOf(t);
}

/** Statistics of every thread that exists (not yet reaped). */
export function allThreadStats(): ThreadStats[] {
  let out = new Array<ThreadStats>();
  for (let slot: u32 = 1, n = threadTableUsed(); slot < n; slot++) {
    let tp = threadAt(slot);
    if (tp != 0) out.push(statsOf(changetype<Thread>(tp)));
  }
  return out;
}

/** Prints a table of every thread's statistics, then each group's weight and CPU time. */
export function printThreadStats(): void {
  print("   id name             state     pri grp weight  switches    cpu ms   exact ms runnable ms blocked ms");
  let all = allThreadStats();
  for (let i = 0; i < all.length; i++) {
    let s = all[i];
    print(pad(s.id.toString(), 5) + " " + padRight(s.name !== null ? <string>s.name : "", 16) + " " + padRight(s.state, 9) +
      pad(s.priority.toString(), 4) + pad(s.group.toString(), 4) + pad(s.weight.toString(), 7) + pad(s.switches.toString(), 10) +
      pad(ms(s.cpu), 10) + pad(ms(s.cpuExact), 11) + pad(ms(s.runnable), 12) + pad(ms(s.blocked), 11));
  }
  for (let g = 0, n = groupCount(); g < n; g++) {
    print("group " + g.toString() + ": weight " + (<i32>groupWeight(g)).toString() + ", cpu " + ms(groupCpu(g)) + " ms");
  }
}

function ms(v: f64): string {
  if (v < 0) return "-";
  let r = Math.round(v * 10) / 10;
  let s = r.toString();
  return s.endsWith(".0") ? s.slice(0, s.length - 2) : s;
}
function pad(s: string, width: i32): string { while (s.length < width) s = " " + s; return s; }
function padRight(s: string, width: i32): string { while (s.length < width) s += " "; return s; }
