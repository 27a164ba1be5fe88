// Threads: creation, exit, join and detach. The table that maps ids to them is table.ts.
//
// Design note
// -----------
// A thread is a record (layout.ts) plus what it grows: a save area while suspended, a stack once a frame
// needs one, a TLS block once it sets a key. spawn allocates only the record, so it is cheap and never
// runs the thread: the new thread waits on the run queue.
//
// Ids name a slot of the thread table and its generation (table.ts), so a stale id says ESRCH.
//
// Lifecycle (states in layout.ts):
//   spawn ─► RUNNABLE ⇄ RUNNING ⇄ BLOCKED/SLEEPING
//                          │
//              return / exit ─► EXITED ─► joined (or detached) ─► reaped: record and slot freed
//              trap           ─► TRAPPED ─┘
// Exit protocol (threadFinish):
//   1. run TLS destructors (they run in the thread, and may block);
//   2. store exitValue, set state EXITED;
//   3. wake a joiner (it waits on the state word, futex kind WAIT_JOIN);
//   4. if this is the main thread, the program ends;
//   5. the loop frees the stack and save area; a detached thread's record is reaped there too.
// Join protocol: check the id (ESRCH), self (EDEADLK), detached or already joined (EINVAL); mark the
// joiner; futex-wait on the state word until EXITED or TRAPPED; collect value and error; reap.

import {
  Thread, THREAD_RECORD_SIZE, STATE_FREE, STATE_RUNNABLE, STATE_EXITED, STATE_TRAPPED, STATE_BLOCKED,
  STATE_SLEEPING, FLAG_DETACHED, FLAG_BORN_DETACHED, FLAG_MAIN, FLAG_EXITING, PRIORITY_DEFAULT, PRIORITY_LEVELS,
  FROM_RUNNING, FROM_LIVE, FROM_FINISHED, transition, flagsSet,
} from "./layout";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { currentThread, makeRunnable, suspend, endProgram } from "./scheduler";
import { cancelTimer } from "./timer";
import { stackRelease } from "./stack";
import { ioRelease } from "./completion";
import { tracing, traceSpawn, traceName } from "./trace";
import { futexWaitFor, futexWake, futexDequeue, inTable, WAIT_JOIN } from "./futex";
import { STACK_NONE, STACK_MAX_DEFAULT } from "./stack";
import { tlsRunDestructors, tlsRelease } from "./tls";
import { runQueueRemove } from "./runqueue";
import { hostThreadDied, hostProcessorStart } from "./host";
import { SHARED_MEMORY, atomicLoad } from "./atomics";
import { schedLockTake, schedLockDrop, isOneToOne, processorAdd } from "./processor";
import {
  ThreadId, SPAWN_RESERVE, allocSlot, freeSlot, tableFull, slotGeneration, idOf, tableEnter, tableRemove, liveAdd,
  threadById,
} from "./table";
import { EAGAIN, ENOMEM, ESRCH, EDEADLK, EINVAL } from "./errno";
import { gcInit, gcCheckpoint } from "./gc";
import { gcShade, gcShadeMaybe } from "../runtime/gc";
import { groupExists, fairShareOn, preemptEnter } from "./preempt";
import { signalInherit, signalFree } from "./signal";
import { signalRelease } from "./sigframe";
import { waitForCheck, waitForDone } from "./waitfor";

export { ThreadId, threadById, threadAt, threadTableUsed, liveThreadCount } from "./table";

let mainValue: i32 = 0;
let mainError: usize = 0;    // why main died, when the core ended it (a String), else 0
// An instance kept alive for JavaScript to call in (sys/serve.ts): main's end is not the program's.
let serving: bool = false;

/** Serving (sys/serve.ts): from now on main's end does not end the program. */
export function serveSet(): void { serving = true; }

/** main ended (returned, or was killed): the program with it, unless the instance is serving. */
function mainFinished(): void {
  if (!serving) endProgram();
}

/** Options for spawn. */
export class SpawnOptions {
  /** Shown in errors, deadlock reports and the host's outcomes. */
  name: string | null = null;
  /** The most bytes the thread's stack may grow to; 0 = default (1 MiB). */
  stackSize: i32 = 0;
  /** 0 (lowest) .. 7 (highest); higher-priority runnable threads run first (preempt.ts: a thread kept
   *  waiting moves up by aging). Default 4. */
  priority: i32 = PRIORITY_DEFAULT;
  /** Fair-share group (groupCreate); -1 = the spawning thread's group (the default group 0 for main). */
  group: i32 = -1;
  /** Weight within the group, 1 .. 1,000,000: its share of the group's CPU is its weight over the
   *  weights of the group's threads that want to run. Default 1. */
  weight: i32 = 1;
  /** Start detached (as detach(id) at once, without its own trip through the scheduler lock): nobody
   *  joins it, and its memory goes when it finishes — in M:N without the scheduler lock, by the
   *  processor that ran it last (unless it has TLS or statistics). */
  detached: bool = false;
}

/** What join tells about a finished thread. */
export class JoinResult {
  /** 0, or why join failed: ESRCH (no such thread), EDEADLK (joining yourself), EINVAL (detached or
   *  already being joined). */
  code: i32 = 0;
  /** What the thread returned or passed to exit. */
  value: i32 = 0;
  /** Why the thread died (trap, abort, stack or save-area overflow), or null if it finished normally. */
  error: string | null = null;
  /** The thread's name, or null. */
  name: string | null = null;
  get ok(): bool { return this.code == 0 && this.error === null; }
}



/** Starts a thread running `entry(arg)`. Returns its id, or -ENOMEM / -EAGAIN / -EINVAL. */
export function spawn(entry: (arg: usize) => i32, arg: usize = 0, options: SpawnOptions | null = null): ThreadId {
  let priority = PRIORITY_DEFAULT;
  let stackMax = STACK_MAX_DEFAULT;
  let name: usize = 0;
  let group = currentThread != 0 ? changetype<Thread>(currentThread).group : 0;
  let weight = 1;
  let detached = false;
  if (options) {
    priority = options.priority;
    if (priority < 0 || priority >= PRIORITY_LEVELS) return -EINVAL;
    if (options.group >= 0) group = options.group;
    if (options.group < -1 || !groupExists(group)) return -EINVAL;
    weight = options.weight;
    if (weight < 1 || weight > 1000000) return -EINVAL;
    if (weight != 1) fairShareOn();
    if (options.stackSize < 0) return -EINVAL;
    if (options.stackSize > 0) stackMax = max<u32>(<u32>options.stackSize, 64);
    name = changetype<usize>(options.name);
    detached = options.detached;
  }
  let tp = heapTryAlloc(THREAD_RECORD_SIZE, SPAWN_RESERVE);
  if (tp == 0) return -ENOMEM;
  // No scheduler lock (M:N): the slot comes from this processor's list, the record is ours until it is
  // pushed, and the push takes the queue's lock. 1:1 takes it to add a processor.
  let oneToOne = SHARED_MEMORY && isOneToOne();
  if (oneToOne) schedLockTake();
  let slot = allocSlot();
  if (slot < 0) {
    let full = tableFull();
    if (oneToOne) schedLockDrop();
    heapFree(tp);
    return full ? -EAGAIN : -ENOMEM;
  }
  for (let i: usize = 0; i < THREAD_RECORD_SIZE; i += 8) store<u64>(tp + i, 0); // not memory.fill: V8 calls out for it
  let t = changetype<Thread>(tp);
  let generation = slotGeneration(<u32>slot);
  t.id = idOf(generation, <u32>slot);
  t.priority = priority;
  t.basePriority = priority;
  t.group = group;
  t.weight = weight;
  t.stackBase = STACK_NONE;
  t.stackTop = STACK_NONE;
  t.stackPointer = STACK_NONE;
  t.stackMax = stackMax;
  t.entry = changetype<usize>(entry);
  gcShadeMaybe(arg);                          // the write barrier (runtime/gc.ts): a record is a root
  gcShade(name);
  t.arg = arg;
  t.timerSlot = -1;
  t.name = name;
  // Its creator's signal mask (POSIX: pthread_create); nothing pending.
  if (currentThread != 0 && changetype<Thread>(currentThread).signals != 0 && !signalInherit(t, changetype<Thread>(currentThread))) {
    if (oneToOne) schedLockDrop();
    freeSlot(<u32>slot, generation);
    heapFree(tp);
    return -ENOMEM;
  }
  // 1:1: the thread gets a processor of its own (main keeps the first); the host starts its Worker.
  let processor = -1;
  if (oneToOne) {
    processor = currentThread == 0 ? 0 : processorAdd();
    if (processor < 0) {
      freeSlot(<u32>slot, generation);
      schedLockDrop();
      heapFree(tp);
      return -EAGAIN;                         // no processor left (PROCESSORS_MAX)
    }
    t.pinned = processor + 1;
  }
  tableEnter(t.id, tp);
  liveAdd(1);
  let id = t.id;
  if (detached) t.flags |= FLAG_DETACHED | FLAG_BORN_DETACHED;
  if (tracing()) {
    if (t.name != 0) traceName(<u32>id, t.name);   // first: the spawn's instant names it
    traceSpawn(<u32>id, currentThread != 0 ? <u32>changetype<Thread>(currentThread).id : 0);
  }
  makeRunnable(t);
  if (oneToOne) schedLockDrop();
  if (processor > 0) hostProcessorStart(processor);
  return id;
}

/** The scheduler loop calls this once the entry returned (Thread.exitValue holds its value): the TLS
 *  destructors, which may switch. Then the loop ends the thread (threadExited) in the same hold of the
 *  scheduler lock that takes it off its processor (scheduler.ts, leaveProcessor). */
export function threadFinishing(tp: usize): void {
  tlsRunDestructors(changetype<Thread>(tp));
}

/** The exit protocol's last steps, with the scheduler lock held and Thread.exitValue set: EXITED, the
 *  program's end if it is main. True if a thread waits to join it (the caller wakes it). */
export function threadExited(t: Thread): bool {
  transition(t, FROM_RUNNING, STATE_EXITED);
  if (t.flags & FLAG_MAIN) { mainValue = t.exitValue; mainFinished(); }
  return t.joiner != 0;
}

/** The exit protocol for exit(): destructors, then EXITED, and the joiner woken. */
function threadFinish(t: Thread, value: i32): void {
  tlsRunDestructors(t);
  schedLockTake();
  t.exitValue = value;
  let joined = threadExited(t);
  schedLockDrop();
  if (joined) futexWake(changetype<usize>(t) + offsetof<Thread>("state"), -1);
}

/** Ends the calling thread with `value`, from any depth; TLS destructors run first. */
export function exit(value: i32): void {
  let t = changetype<Thread>(currentThread);
  flagsSet(t, FLAG_EXITING);
  threadFinish(t, value);
  suspend();                        // never resumed: the loop discards the frames of an exited thread
  abort("exit: a finished thread was resumed");
}

/** Ends thread `t` with an error: it trapped, overflowed, or the runtime could not keep it. */
/** The caller reaps a detached thread afterwards (the loop, once the thread is off its processor). */
export function threadKill(t: Thread, message: string): void {
  schedLockTake();
  if (t.state == STATE_RUNNABLE) runQueueRemove(t);
  killLocked(t, message);
}

/** Kills `t`, whose frames were lost as it parked or yielded (savearea.ts, "Frames lost"), if it can
 *  still be taken from where it waits: a futex's queue or the timer heap (whose wakers hold the scheduler
 *  lock too), or a run queue it has not yet been popped from. Returns false and leaves it alone when a
 *  waker may have it already, or may still reach it: a hand-off slot, another processor's loop, a
 *  channel's list of parked peers, an I/O request. */
export function threadKillParked(t: Thread, message: string): bool {
  schedLockTake();
  let state = t.state;
  if ((state == STATE_BLOCKED && inTable(t)) || state == STATE_SLEEPING || (state == STATE_RUNNABLE && runQueueRemove(t))) {
    killLocked(t, message);
    return true;
  }
  schedLockDrop();
  return false;
}

/** The rest of a kill, with the scheduler lock held (dropped here); `t` is on no run queue. */
function killLocked(t: Thread, message: string): void {
  let state = t.state;
  if (state == STATE_BLOCKED && inTable(t)) futexDequeue(t);
  if (state == STATE_BLOCKED || state == STATE_SLEEPING) cancelTimer(t);
  gcShade(changetype<usize>(message));
  t.error = changetype<usize>(message);
  transition(t, FROM_LIVE, STATE_TRAPPED);
  if (t.flags & FLAG_MAIN) { mainValue = 1; mainError = changetype<usize>(message); mainFinished(); }
  schedLockDrop();
  hostThreadDied(changetype<usize>(t));
  releaseFrames(t);
  futexWake(changetype<usize>(t) + offsetof<Thread>("state"), -1);
}

/** Whether a processor runs `t` or still saves its frames (M:N; processor.ts). */
// @ts-ignore: decorator
@inline function onCpu(t: Thread): bool {
  return SHARED_MEMORY && atomicLoad(changetype<usize>(t) + offsetof<Thread>("onCpu")) != 0;
}

/** Waits until `t` is off every processor, so that its record may be freed. */
// @ts-ignore: decorator
@inline function waitOffCpu(t: Thread): void {
  while (onCpu(t)) gcCheckpoint();
}

/** Frees a finished thread's record and slot. The caller decides it alone: it holds the scheduler lock
 *  (join, detach, the loop), or the thread was born detached and this is the processor that ran it last
 *  (leaveProcessor, `unlocked`). The thread must be off every processor (waitOffCpu).
 *  Unlocked, a holder of the scheduler lock may have read the entry just before it was cleared: setPriority
 *  writes the record, join and detach read it to refuse. tableRemove returns once none of them still has
 *  it. */
export function threadReap(t: Thread, unlocked: bool = false): void {
  tableRemove(t.id, unlocked);
  tlsRelease(t);
  signalFree(t);
  transition(t, FROM_FINISHED, STATE_FREE);
  if (t.stats) { heapFree(t.stats); t.stats = 0; }
  heapFree(changetype<usize>(t));
  liveAdd(-1);
}

/** Waits for thread `id` to finish; returns its value or error (see JoinResult), a new JoinResult each
 *  time (joinInto reuses one). */
export function join(id: ThreadId): JoinResult {
  let result = new JoinResult();
  joinInto(id, result);
  return result;
}

/** join, filling `result`; returns result.code. */
export function joinInto(id: ThreadId, result: JoinResult): i32 {
  result.code = 0;
  result.value = 0;
  result.error = null;
  result.name = null;
  schedLockTake();
  let t = threadById(id);
  let code = 0;
  if (t === null) code = ESRCH;
  else if (changetype<usize>(t) == currentThread) code = EDEADLK;
  else if ((t.flags & FLAG_DETACHED) || t.joiner != 0) code = EINVAL;
  else t.joiner = self();
  schedLockDrop();
  if (code != 0) return result.code = code;
  let target = changetype<Thread>(t);
  let stateAddr = changetype<usize>(target) + offsetof<Thread>("state");
  let checked = false;
  while (true) {
    let state = atomicLoad(stateAddr);
    if (state == STATE_EXITED || state == STATE_TRAPPED) break;
    if (!checked) { checked = true; waitForCheck(changetype<Thread>(currentThread), WAIT_JOIN, stateAddr); }   // core/waitfor.ts
    futexWaitFor(stateAddr, state, -1, WAIT_JOIN);
  }
  if (checked) waitForDone(changetype<Thread>(currentThread));
  waitOffCpu(target);
  result.value = target.exitValue;
  if (target.error) result.error = changetype<string>(target.error);
  if (target.name) result.name = changetype<string>(target.name);
  schedLockTake();
  threadReap(target);
  schedLockDrop();
  return 0;
}

/** Lets thread `id` be reaped as soon as it finishes; it can no longer be joined. 0, ESRCH or EINVAL. */
export function detach(id: ThreadId): i32 {
  schedLockTake();
  let t = threadById(id);
  let code = 0;
  if (t === null) code = ESRCH;
  else if ((t.flags & FLAG_DETACHED) || t.joiner != 0) code = EINVAL;
  else {
    flagsSet(t, FLAG_DETACHED);
    // Finished and off its processor: nobody else will reap it. (Still on one: that processor's loop
    // reaps it, seeing the flag under the same lock as it leaves the thread.)
    if ((t.state == STATE_EXITED || t.state == STATE_TRAPPED) && !onCpu(t)) threadReap(t);
  }
  schedLockDrop();
  return code;
}

/** The calling thread's id. */
export function self(): ThreadId {
  return currentThread ? changetype<Thread>(currentThread).id : 0;
}

/** Names the calling thread. */
export function setName(name: string): void {
  gcShade(changetype<usize>(name));
  changetype<Thread>(currentThread).name = changetype<usize>(name);
  if (tracing()) traceName(<u32>changetype<Thread>(currentThread).id, changetype<usize>(name));
}

/** The name of thread `id` (the caller if 0), or "" if it has none. */
export function getName(id: ThreadId = 0): string {
  let t = id == 0 ? changetype<Thread>(currentThread) : threadById(id);
  if (t === null || t.name == 0) return "";
  return changetype<string>(t.name);
}

/** Starts the program: `main` becomes thread 1's entry, named "main". */
export function startMain(main: (arg: usize) => i32): ThreadId {
  preemptEnter();
  if (!gcInit()) return -ENOMEM;
  let options = new SpawnOptions();
  options.name = "main";
  let id = spawn(main, 0, options);
  if (id > 0) flagsSet(changetype<Thread>(threadById(id)), FLAG_MAIN);
  return id;
}

/** Why main died, if the core ended it (0 otherwise: a trap the host caught is known to the host). */
export function mainErrorMessage(): usize { return mainError; }

/** main's exit value (1 if main trapped). */
export function mainExitValue(): i32 { return mainValue; }

/** Frees what a finished thread no longer needs: save area, stack and I/O request. Only the processor
 *  that ran it calls this, before it clears onCpu. */
export function releaseFrames(t: Thread): void {
  if (t.saveArea) { heapFree(t.saveArea); t.saveArea = 0; }
  if (t.signals) signalRelease(t);            // frames of handlers it was in (sigframe.ts)
  stackRelease(t);
  ioRelease(t);
}
