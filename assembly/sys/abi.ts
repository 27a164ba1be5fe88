// The ABI: everything the host calls, in one place. host/abi.ts is the other half; tests/abi.test.ts
// checks that the two agree (names, version, record offsets). Bump ABI_VERSION with any change here or in
// core/layout.ts.
//
// Host loop (host/kernel/runner.ts):
//   1. weft_start() spawns main as thread 1;
//   2. weft_run() runs threads until it returns RUN_EXITED, RUN_WAIT (sleep until weft_wake_at() or the
//      next I/O completion), RUN_DEADLOCK (read the thread table, report, stop), RUN_AGAIN (call it
//      again), RUN_POLL (let the host's event loop run once, then call it again) or RUN_RETIRED (1:1:
//      this processor's thread finished; its Worker ends);
//   M:N (shared builds, core/processor.ts): processor 0 calls weft_init_memory, weft_init_globals, weft_init
//      (added by the build) and weft_processors_init(count, oneToOne) before step 1; every processor
//      calls weft_processor_enter(index) before its first weft_run; 1:1 asks the host for processors
//      with the processor_start import;
//   I/O (io.ts): the core calls the io_submit import with a request; the host answers at once or later,
//      by writing the request's result and appending its address to the ring at weft_io_ring(); in M:N the
//      host may do so from another kernel thread, then wakes the processor through weft_processor_idle
//      (core/processor.ts, "I/O completions");
//   Preemption (core/preempt.ts): the host may call weft_preempt_configure(slice, tick, exact) before step 1
//      (M:N: processor 0, after its init calls); in M:N its ticker raises the tick words at
//      weft_preempt_requests() every tick (host/mn/ticker.ts). N:1 needs nothing: its safepoints count fuel;
//   3. if weft_run throws (a trap inside a thread), the host resets Asyncify's state, calls
//      weft_trap_begin() (back to the processor's stack), makes the message with weft_new_string, and
//      weft_trap_end(message) ends that thread only; then it calls weft_run() again.

import { Thread } from "../core/layout";
import { runLoop, setHostSlice, abandonSwitch, currentThread, leaveProcessor } from "../core/scheduler";
import { probeFrames, stepPrepare } from "../core/inspect";
import { nextWakeAt } from "../core/idle";
import { setSaveAreaMax, saveAreaMax, makeScratch } from "../core/savearea";
import { threadKill, mainExitValue, mainErrorMessage } from "../core/thread";
import { threadAt, threadTableUsed, liveThreadCount } from "../core/table";
import { stackCheck } from "../core/stack";
import { heapSetLimit, heapAllocated, heapTop, heapTryAlloc, heapCacheEnter } from "../runtime/index";
import { ioRing, ioLayout, ioPending } from "../core/completion";
import { processorsInit, processorEnter, processorIdleAddress } from "../core/processor";
import { gcMutatorEnter, gcMutatorLeave, gcProcessorEnter, gcSetPercent, gcStatsAddress, gcTrapped, GcStats } from "../core/gc";
import { objectInit } from "../runtime/gc";
import { OBJECT_OVERHEAD } from "rt/common";
import { setStackPointer } from "../core/asyncify";
import { setStackLimit } from "../core/stack";
import { EINVAL, ENOMEM } from "../core/errno";
import { forkChild, ownerFate } from "../core/fork";
import { forkStopTheWorld, startTheWorld } from "../core/gcstop";
import { waitForPolicy, waitForReport, edge as waitEdge } from "../core/waitfor";
import { seedConfigure, seedSteps } from "../core/seed";
import { traceStart, traceTake } from "../core/trace";
import { HOST_SIGNALS, NSIG, signalSourceSet, signalTerminatedBy } from "../core/signal";
import { ASYNCIFY_STATE_COPY, preemptEnter, preemptConfigure, preemptRequests, preemptSlice, preemptTickMs, groupCpu, groupCount, groupWeight } from "../core/preempt";

/** Version of the core/host contract. */
// (Not exported: an exported @inline constant crashes asc 0.28; the host reads weft_abi_version().)
// @ts-ignore: decorator
@inline const ABI_VERSION: i32 = 19;

export function weft_abi_version(): i32 { return ABI_VERSION; }

/** Runs the scheduler loop; returns RUN_EXITED 0, RUN_WAIT 1, RUN_DEADLOCK 2, RUN_AGAIN 3, RUN_POLL 4 or
 *  RUN_RETIRED 5 (1:1: this processor's thread finished; the host ends its Worker). */
export function weft_run(): i32 {
  gcMutatorEnter();
  let reason = runLoop();
  gcMutatorLeave();
  return reason;
}

/** After RUN_WAIT: when the earliest waiting thread is due (ms, the host's monotonic clock). */
export function weft_wake_at(): f64 { return nextWakeAt(); }

let dying: usize = 0;   // the thread whose trap is being handled (between the two calls below)

/** After a trap inside the running thread, step 1: puts the processor back on its own stack and returns
 *  the thread that trapped (0 if none was running: the trap was in the scheduler itself, and the
 *  processor cannot go on). The host then makes the message with weft_new_string. */
export function weft_trap_begin(): usize {
  gcTrapped();                                     // M:N: a collection under way here is given up
  dying = currentThread;
  abandonSwitch();
  return dying;
}

/** Step 2: ends that thread with `message` (a String, or 0). Returns its id. */
export function weft_trap_end(message: usize): i32 {
  let tp = dying;
  dying = 0;
  if (tp == 0) return 0;
  let t = changetype<Thread>(tp);
  let id = t.id;
  threadKill(t, message ? changetype<string>(message) : "trapped (no memory left for the message)");
  leaveProcessor(t, false);
  return id;
}

/** Allocates a String of `length` UTF-16 code units for the host to fill; 0 when memory is exhausted. A
 *  managed object like any other (no collection starts here: the host holds it only in a local until it
 *  hands it back, e.g. to weft_trap_end). */
export function weft_new_string(length: i32): usize {
  let size = <usize>length << 1;
  let block = heapTryAlloc(OBJECT_OVERHEAD + size);
  if (block == 0) return 0;
  return objectInit(block, size, idof<String>());
}

/** Why main died, if the core ended it (a String), else 0. */
export function weft_main_error(): usize { return mainErrorMessage(); }

/** The thread record in a slot of the table (0 if none), and the number of slots handed out. */
export function weft_thread_at(slot: u32): usize { return threadAt(slot); }
export function weft_thread_slots(): u32 { return threadTableUsed(); }

/** The running thread's record, or 0. */
export function weft_current(): usize { return currentThread; }
/** Rewinds parked thread `t` to let the host take its backtrace (the `frames` import), and parks it
 *  again (core/inspect.ts, "Backtraces"): 1 done, 0 no frames to show, -1 its frames were lost. */
export function weft_backtrace(t: usize): i32 { return probeFrames(t); }
/** A debugger's step (core/inspect.ts, stepPrepare): the next weft_run runs runnable thread `t` alone
 *  for one turn and returns. 0, or -1 (not runnable, or a shared build). */
export function weft_step(t: usize): i32 { return stepPrepare(t); }
/** The thread blocked thread `t` waits for, by the wait-for graph's edges (core/waitfor.ts: a mutex's
 *  owner, a joined thread, an RwLock's write holder), or 0. */
export function weft_waits_for(t: usize): i32 { return waitEdge(changetype<Thread>(t).waitKind, changetype<Thread>(t).waitAddr); }

/** main's exit value. */
export function weft_main_value(): i32 { return mainExitValue(); }

/** Threads not yet reaped (running, waiting, or finished and not joined). */
export function weft_live_threads(): i32 { return liveThreadCount(); }

/** Heap bytes handed out and not freed; and the heap's high-water mark (address). */
export function weft_heap_allocated(): usize { return heapAllocated(); }
export function weft_heap_top(): usize { return heapTop(); }

/** The collector (core/gc.ts): sets the collection percentage (-1: automatic collections off; before
 *  weft_start, or any time); returns the previous one. */
export function weft_gc_configure(percent: i32): i32 { return gcSetPercent(percent); }

/** The address of the collection statistics (core/gc.ts, GcStats; host/abi.ts, GC_STATS). */
export function weft_gc_stats(): usize { return gcStatsAddress(); }

/** Offsets of GcStats's fields in host/abi.ts's GC_STATS_FIELDS order (then its size); -1 past it. */
export function weft_gc_layout(field: i32): i32 {
  switch (field) {
    case 0: return offsetof<GcStats>("collections");
    case 1: return offsetof<GcStats>("percent");
    case 2: return offsetof<GcStats>("pauseTotal");
    case 3: return offsetof<GcStats>("pauseLast");
    case 4: return offsetof<GcStats>("pauseMax");
    case 5: return offsetof<GcStats>("liveBytes");
    case 6: return offsetof<GcStats>("heapBytes");
    case 7: return offsetof<GcStats>("freedTotal");
    case 8: return offsetof<GcStats>("allocated");
    case 9: return offsetof<GcStats>("trigger");
    case 10: return offsetof<GcStats>("markLast");
    case 11: return offsetof<GcStats>("sweepLast");
    case 12: return offsetof<GcStats>("pauses");
    case 13: return offsetof<GcStats>("phase");
    case 14: return offsetof<GcStats>();
  }
  return -1;
}

/** Sets the save-area limit (bytes; 0 keeps the default) and the heap cap (bytes; 0 = no cap). */
export function weft_configure(saveAreaBytes: u32, heapLimitBytes: u32): void {
  if (saveAreaBytes) setSaveAreaMax(saveAreaBytes);
  heapSetLimit(heapLimitBytes);
}

/** Preemption (core/preempt.ts): sets the time slice and the tick (ms; 0 keeps the current value) and turns
 *  exact CPU accounting on (1) or off (0). 0, or -EINVAL for a slice outside 0..60,000 or a tick outside
 *  0..1,000. */
export function weft_preempt_configure(sliceMs: f64, tickMs: f64, exact: i32): i32 {
  return preemptConfigure(sliceMs, tickMs, exact != 0) ? 0 : -EINVAL;
}

/** N:1: the host's slice (ms, >= 0; Infinity: never): while threads keep running, weft_run returns
 *  RUN_POLL once this much running has passed since it was entered. Returns the slice it replaces, or -1
 *  (and changes nothing) for a bad value. core/scheduler.ts, HOST_SLICE_MS_DEFAULT. */
export function weft_host_slice(ms: f64): f64 { return setHostSlice(ms); }

/** The slice and tick in force (ms). */
export function weft_preempt_slice(): f64 { return preemptSlice(); }
export function weft_preempt_tick(): f64 { return preemptTickMs(); }

/** Shared builds: the address of the tick words (core/preempt.ts draws them: the count of raised requests,
 *  the ticker's asleep word, then a busy word and a request word per processor); the host's ticker raises
 *  the request word of each busy processor every tick, and sleeps on its asleep word while none is busy
 *  (host/mn/ticker.ts). */
export function weft_preempt_requests(): usize { return preemptRequests(); }

/** Fair-share groups: how many exist (group 0 is the default), and each one's weight and CPU (ms). */
export function weft_groups(): i32 { return groupCount(); }
export function weft_group_weight(group: i32): f64 { return groupWeight(group); }
export function weft_group_cpu(group: i32): f64 { return groupCpu(group); }

/** The save-area limit in force (bytes). */
export function weft_save_area_max(): u32 { return <u32>saveAreaMax(); }

/** Offsets of the Thread record's fields, in host/abi.ts's THREAD_FIELDS order; -1 past the end. */
export function weft_layout(field: i32): i32 {
  switch (field) {
    case 0: return offsetof<Thread>("id");
    case 1: return offsetof<Thread>("state");
    case 2: return offsetof<Thread>("priority");
    case 3: return offsetof<Thread>("flags");
    case 4: return offsetof<Thread>("saveArea");
    case 5: return offsetof<Thread>("stackBase");
    case 6: return offsetof<Thread>("stackTop");
    case 7: return offsetof<Thread>("exitValue");
    case 8: return offsetof<Thread>("waitKind");
    case 9: return offsetof<Thread>("waitAddr");
    case 10: return offsetof<Thread>("deadline");
    case 11: return offsetof<Thread>("name");
    case 12: return offsetof<Thread>("error");
    case 13: return offsetof<Thread>("switches");
    case 14: return offsetof<Thread>("saveBytes");
    case 15: return offsetof<Thread>("tls");
    case 16: return offsetof<Thread>("joiner");
    case 17: return offsetof<Thread>("io");
    case 18: return offsetof<Thread>("onCpu");
    case 19: return offsetof<Thread>("pinned");
    case 20: return offsetof<Thread>("cpu");
    case 21: return offsetof<Thread>("stats");
    case 22: return offsetof<Thread>("group");
    case 23: return offsetof<Thread>("weight");
    case 24: return offsetof<Thread>("basePriority");
    case 25: return offsetof<Thread>("signals");
    case 26: return offsetof<Thread>("sigWake");
    case 27: return offsetof<Thread>();
  }
  return -1;
}

/** Signals from outside (core/signal.ts): the host raises `sig` for the process; the loop delivers it at
 *  its next call (N:1), or at a processor's next tick or wake-up (M:N: the host ORs bit sig - 1 into the
 *  set at weft_signal_word() itself, with an atomic, then wakes a processor). 0, or -EINVAL. */
export function weft_signal(sig: i32): i32 {
  if (sig < 1 || sig >= NSIG) return -EINVAL;
  store<u64>(HOST_SIGNALS, load<u64>(HOST_SIGNALS) | (<u64>1 << <u64>(sig - 1)));
  return 0;
}
export function weft_signal_word(): usize { return HOST_SIGNALS; }

/** The host may raise signals (1) or not (0): a thread in sigwait then waits on the outside, and a program
 *  whose other threads all wait is not reported as deadlocked. */
export function weft_signal_source(on: i32): void { signalSourceSet(on != 0); }

/** The signal whose default action ended the program (the host reports "signaled", 128 + n), or 0. */
export function weft_terminated_by(): i32 { return signalTerminatedBy(); }

/** Partial deadlocks (core/waitfor.ts): 0 (default) reports a cycle of waits on stderr and lets the other
 *  threads go on, 1 ends the run at the first, 2 ends the thread whose wait closed it (host/serve.ts). */
export function weft_deadlock_policy(policy: i32): void { waitForPolicy(policy); }

/** The report of the cycle that ended the run (policy 1), a String, or 0. */
export function weft_partial_deadlock(): usize { return waitForReport(); }

/** Reproducible schedules (core/seed.ts), before weft_start: every scheduling choice comes from the seed
 *  `lo | hi << 32`; `pctDepth` 0 picks threads by a random walk, d (1 .. 16) by PCT with d - 1 change points
 *  among the first `pctSteps` picks. 0, or -EINVAL (a shared build, or d or steps out of range). */
export function weft_seed(lo: u32, hi: u32, pctDepth: i32, pctSteps: i32): i32 {
  return seedConfigure(<u64>lo | <u64>hi << 32, pctDepth, pctSteps) ? 0 : -EINVAL;
}

/** Picks a seeded run has made so far (its steps, for sizing PCT's change points). */
export function weft_seed_steps(): u32 { return seedSteps(); }

/** The timeline trace (core/trace.ts): this processor records from now on. Its buffer's address (where
 *  weft_trace_take's bytes start), or 0 when there is no memory for it. Each processor calls it. */
export function weft_trace_start(): usize { return traceStart(); }

/** Between two calls of weft_run: the bytes of records this processor made since the last take, from
 *  weft_trace_start's address (the host copies them before it calls in again); 0 when it does not trace. */
export function weft_trace_take(): i32 { return traceTake(); }

/** fork (core/fork.ts): in the child, once the host copied the parent's memory and globals, makes this
 *  instance a process of its own whose one thread is the caller of the fork `request`. 0, or -EINVAL. */
export function weft_fork_child(request: usize, pid: i32, ppid: i32): i32 { return forkChild(request, pid, ppid); }

/** fork in a shared build (core/fork.ts, "Shared builds"), from a processor's host between two calls of
 *  its loop: returns once no other processor runs a thread (each waits at its loop's top, or is outside
 *  the mutator), so that the memory can be copied; weft_fork_go lets them go on. N:1: nothing. */
export function weft_fork_stop(): void { forkStopTheWorld(); }
export function weft_fork_go(): void { startTheWorld(); }

/** What became of thread `id`, which holds a lock another waits for (the deadlock report): 0 it lives,
 *  1 fork did not copy it into this process, 2 it ended (or never was). */
export function weft_owner_fate(id: i32): i32 { return ownerFate(id); }

/** The processor's I/O completion ring (core/completion.ts), made on first call; 0 when memory is exhausted. */
export function weft_io_ring(): usize { return ioRing(); }

/** I/O requests the host holds. */
export function weft_io_pending(): i32 { return ioPending; }

/** Offsets of the I/O request's fields, in host/io/abi.ts's REQUEST_FIELDS order; -1 past the end. */
export function weft_io_layout(field: i32): i32 { return ioLayout(field); }

/** M:N: where an I/O host on another kernel thread wakes processor `i` (core/processor.ts, "I/O
 *  completions"): field 0 its wake word, 1 its asleep flag, 2 the idle count; 0 for a bad field or index. */
export function weft_processor_idle(field: i32, i: i32): usize { return processorIdleAddress(field, i); }

/** M:N, on the first processor before any other call (after the shared build's weft_init_memory,
 *  weft_init_globals and weft_init): makes the shared records for `count` processors; `oneToOne` 1
 *  selects the 1:1 model (count 1: spawn adds processors through the processor_start import). 0, or
 *  -EINVAL. */
export function weft_processors_init(count: i32, oneToOne: i32): i32 {
  return processorsInit(count, oneToOne != 0) ? 0 : -EINVAL;
}

/** M:N, on each processor once, before its first weft_run: takes index `index`, its scratch save area,
 *  and, except on the first, a stack of its own for the loop (the static one belongs to the first).
 *  0, or -ENOMEM. */
export function weft_processor_enter(index: i32): i32 {
  processorEnter(index);
  preemptEnter();
  if (!heapCacheEnter(<u32>index)) return -ENOMEM;
  if (!makeScratch()) return -ENOMEM;          // now, so that a run's heap use does not count it
  if (index == 0) { gcProcessorEnter(0, __heap_base); return 0; }
  let bytes = __heap_base - __data_end;
  let block = heapTryAlloc(bytes);
  if (block == 0) return -ENOMEM;
  gcProcessorEnter(index, block + bytes);
  setStackPointer(block + bytes);
  setStackLimit(block);
  return 0;
}

/** JavaScript calling in (sys/serve.ts, host/serve.ts). */
export { weft_serve } from "./serve";

/** Installed by the build in place of the compiler's ~stack_check (core/stack.ts). */
export function __weft_stack_check(): void { stackCheck(); }

/** What the build's safepoints call (host/compiler/passes/safepoints.ts, host/compiler/passes/resumable.ts); the build removes these
 *  exports. The functions themselves, not wrappers: they are the bottom of a thread's frames, and a
 *  wrapper would be instrumented and save a frame of its own. */
export { safepointSwitch as __weft_safepoint, preemptSwitch as __weft_preempt_switch } from "../core/scheduler";
export { probeHere as __weft_probe_here } from "../core/inspect";
/** What the rebuilt functions' frames call when they do not fit (host/compiler/passes/resumable.ts), and what the build
 *  calls when they all check (assembly/core/savearea.ts, "Direct unwinds"); the build removes these exports. */
export { saveAreaSpill as __weft_spill, enableDirectUnwind as __weft_direct_unwind } from "../core/scheduler";
/** Where the N:1 build keeps its copy of Asyncify's state (core/preempt.ts); the build removes this export. */
export function __weft_state_copy(): usize { return ASYNCIFY_STATE_COPY; }
