// Partial deadlocks: a cycle among some threads, found while the others run on.
//
// Design note
// -----------
// The loop finds a whole-program deadlock by itself (nothing can run, nothing is timed: scheduler.ts). A
// cycle among a few threads — two threads that took two mutexes in opposite orders, two threads joining
// each other — leaves the rest running, and the loop never sees it. The wait-for graph has an edge from a
// blocked thread to the thread it waits for: the owner of the mutex it locks (the owner is in the mutex's
// word: lib/sync/mutex.ts), the thread it joins, the writer that holds the RwLock it waits to read or
// write (lib/sync/rwlock.ts records its write holder). A cycle can only close when a thread adds an edge, that
// is, as it is about to block: so a thread about to wait walks the edges from the thread it will wait for;
// if the walk comes back to itself, its wait closes a cycle. It is found the moment it forms, at the cost
// of a walk on the slow path of a lock or a join only (never on a fast path), under the scheduler lock so
// that the records it reads hold still (M:N).
//
// Racing waits. Two threads closing one cycle on two processors would each walk before the other has
// blocked and see nothing. So a thread publishes its edge (waitKind, waitAddr, waitIntent) before it walks,
// under the scheduler lock, and the walk follows published edges as it does blocked threads': of two such
// walks, the second sees the first's edge. The edge is withdrawn (waitForDone) when the wait returns.
//
// What then (the policy, weft_deadlock_policy; `weft run --deadlock=abort`): report (default) — a report
// on stderr names each thread of the cycle, what it holds and what it waits for, and the threads stay
// blocked while the others run; abort — the run ends as a deadlock with that report; fail — the thread
// whose wait closed the cycle dies with the report as its error, as a trap would end it (an instance
// JavaScript calls into, host/serve.ts: that call rejects, the instance serves on).
//
// Not in the graph: an RwLock's readers (a writer waiting for readers waits for no one thread: they are
// counted, not recorded), semaphores, condition variables and channels. None of these has an owner: any
// thread may be the one that posts, signals, sends or receives, so a wait on one is an edge to no
// particular thread, and a cycle through it is certain only when every thread is blocked — which the loop
// sees as a deadlock of the whole program.

import { Thread, STATE_BLOCKED, FLAG_DETACHED } from "./layout";
import { threadKillParked, threadReap } from "./thread";
import { threadById } from "./table";
import { schedLockTake, schedLockDrop } from "./processor";
import { endProgram, hostTurnSoon } from "./scheduler";
import { hostWrite } from "./host";
import { WAIT_MUTEX, WAIT_JOIN, WAIT_RWLOCK, WAIT_RWLOCK_WRITE } from "./futex";
import { gcShade } from "../runtime/gc";

/** The longest chain of waits walked (threads). A cycle longer than this is found when the program stops
 *  as a whole, or not at all while others run. 64: a walk is then at most 64 record reads. Not
 *  configurable. */
// @ts-ignore: decorator
@inline const CHAIN_MAX: i32 = 64;

// @ts-ignore: decorator
@inline const OWNER_MASK: i32 = 0x7fffffff;

// An RwLock's words (lib/sync/rwlock.ts draws them, and checks these against its fields): its state word
// (write-locked when its low 30 bits are all ones), writerNotify (which writers wait on), writer.
// @ts-ignore: decorator
@inline export const RWLOCK_WRITE_LOCKED: i32 = (1 << 30) - 1;
// @ts-ignore: decorator
@inline export const RWLOCK_NOTIFY: usize = 4;
// @ts-ignore: decorator
@inline export const RWLOCK_WRITER: usize = 8;

/** The write holder of the RwLock at `lock` (its ThreadId), or 0 when no writer holds it. Readers are not
 *  recorded: a writer waiting for readers waits for no one thread. */
function rwlockWriter(lock: usize): i32 {
  return (atomic.load<i32>(lock) & RWLOCK_WRITE_LOCKED) == RWLOCK_WRITE_LOCKED ? atomic.load<i32>(lock + RWLOCK_WRITER) : 0;
}

// Shared (moved into linear memory by a shared build); guarded by the scheduler lock:
let abortOnCycle: bool = false;
let failOnCycle: bool = false;
let cycleReport: usize = 0;       // the report that ended the run (abort), a String, else 0
let lastReporter: i32 = 0;        // the thread that reported last, and the word it waits on: a wait that
let lastAddr: usize = 0;          // wakes spuriously and waits again does not report the same cycle twice

/** What a thread blocked on `kind` at `addr` waits for: a thread's id, or 0 (no edge). */
export function edge(kind: i32, addr: usize): i32 {
  if (kind == WAIT_MUTEX) return atomic.load<i32>(addr) & OWNER_MASK;
  if (kind == WAIT_JOIN) return changetype<Thread>(addr - offsetof<Thread>("state")).id;
  if (kind == WAIT_RWLOCK) return rwlockWriter(addr);
  if (kind == WAIT_RWLOCK_WRITE) return rwlockWriter(addr - RWLOCK_NOTIFY);
  return 0;
}

function name(t: Thread): string {
  return "thread " + t.id.toString() + (t.name != 0 ? " \"" + changetype<string>(t.name) + "\"" : "");
}

/** `me` is about to wait on `kind` at `addr` (a mutex's word, or a joined thread's state word). If that
 *  closes a cycle of waits, reports it (see the design note). Called on slow paths only. */
export function waitForCheck(me: Thread, kind: i32, addr: usize): void {
  schedLockTake();
  // Publish this edge first ("Racing waits"), then walk.
  me.waitKind = kind;
  me.waitAddr = addr;
  me.waitIntent = 1;
  let id = edge(kind, addr);
  let report: string | null = null;
  for (let steps = 0; id != 0 && steps < CHAIN_MAX; steps++) {
    if (id == me.id) {
      if (lastReporter != me.id || lastAddr != addr) report = cycleText(me, kind, addr);
      lastReporter = me.id;
      lastAddr = addr;
      break;
    }
    let t = threadById(id);
    if (t === null || (t.state != STATE_BLOCKED && t.waitIntent == 0)) break;
    id = edge(t.waitKind, t.waitAddr);
  }
  let ending = report !== null && abortOnCycle;
  if (ending && cycleReport == 0) {
    gcShade(changetype<usize>(report));
    cycleReport = changetype<usize>(report);
    endProgram();
  }
  schedLockDrop();
  if (report !== null && failOnCycle) failCycle(me, kind, addr, report);
  if (report !== null && !ending) {
    let text = "weft: " + report + "\n  (the other threads go on)";
    hostWrite(2, changetype<usize>(text), text.length);
    hostTurnSoon();                           // the host adds each thread's frames once this one has parked
  }
}

/** Policy 2 (N:1): every other thread of the cycle dies where it waits, then `me`, each with the report as
 *  its error; the host rejects their calls (host/serve.ts). */
function failCycle(me: Thread, kind: i32, addr: usize, report: string): void {
  let id = edge(kind, addr);
  for (let steps = 0; id != 0 && id != me.id && steps < CHAIN_MAX; steps++) {
    let t = threadById(id);
    if (t === null || t.state != STATE_BLOCKED) break;
    id = edge(t.waitKind, t.waitAddr);
    if (threadKillParked(t, report) && (t.flags & FLAG_DETACHED)) {
      schedLockTake();
      threadReap(t);
      schedLockDrop();
    }
  }
  waitForDone(me);
  abort(report, null, 0, 0);                  // the host ends this thread, as a trap (runner.ts, step 4)
}

/** The report of the cycle `me` closes, each thread with what it holds and what it waits for. */
function cycleText(me: Thread, kind: i32, addr: usize): string {
  let lines = "deadlock among some threads:";
  let t = me, k = kind, a = addr;
  // The thread `me` waits for holds `me`'s wait; walk round once.
  let first = true;
  while (true) {
    let next = threadById(edge(k, a));
    if (next === null) break;
    lines += "\n  " + name(t) + " waits for " + waitText(k, a, next) + (first ? " (this wait closed the cycle)" : "");
    if (next === me) break;
    t = next;
    k = t.waitKind;
    a = t.waitAddr;
    first = false;
  }
  return lines;
}

/** What a thread waiting on `kind` at `addr` waits for, held by `holder`. */
function waitText(kind: i32, addr: usize, holder: Thread): string {
  if (kind == WAIT_MUTEX) return "mutex at 0x" + addr.toString(16) + ", held by " + name(holder);
  if (kind == WAIT_RWLOCK) return "rwlock at 0x" + addr.toString(16) + " to read, write-locked by " + name(holder);
  if (kind == WAIT_RWLOCK_WRITE) return "rwlock at 0x" + (addr - RWLOCK_NOTIFY).toString(16) + " to write, write-locked by " + name(holder);
  return name(holder) + " to end (join)";
}

/** The wait that followed waitForCheck is over (woken, or it will check again before waiting again). */
// @ts-ignore: decorator
@inline export function waitForDone(me: Thread): void { me.waitIntent = 0; }

/** The policy (weft_deadlock_policy): 0 reports a cycle, 1 ends the run at the first, 2 ends the thread
 *  that closed it. */
export function waitForPolicy(policy: i32): void {
  abortOnCycle = policy == 1;
  failOnCycle = policy == 2;
}

/** The report that ended the run (abort), a String, or 0. */
export function waitForReport(): usize { return cycleReport; }
