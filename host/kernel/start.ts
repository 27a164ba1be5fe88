// Protocol step 2 (host/kernel/runner.ts, "Run protocol"): the core configured and main started, before the
// loop first runs. N:1: weft_configure (save-area limit, memory cap), the collector's percentage,
// weft_preempt_configure (host/kernel/preempt.ts), the host slice, the deadlock policy and a seed
// (host/kernel/seed.ts), then weft_start spawns main. Processor 0 of a shared run first initialises the
// memory (weft_init_memory, weft_init_globals, weft_init, weft_processors_init), enters, and tells the run
// where its ticker and signals write (onReady); the other processors only configure and enter (the
// preemption settings are shared: processor 0 set them for all). A fork's child starts from the parent's
// copy: its main is the thread that forked.

import { THREAD, IDLE_WORD, IDLE_ASLEEP, IDLE_COUNT, IDLE_TURN } from "../abi.js";
import { REQUEST } from "../io/abi.js";
import { configurePreemption, type PreemptState } from "./preempt.js";
import { seedCore } from "./seed.js";
import { readU32, readI32 } from "./tables.js";
import type { Exports } from "./module.js";
import type { SignalAddresses, WeftSignals } from "./signals.js";
import type { RunOptions } from "./options.js";

/** What starting asks of the program (host/kernel/runner.ts). */
export interface StartHooks {
  /** In a fork's child: main's thread id (the forking thread's copy); else 0. */
  forkedMain: number;
  /** RunOptions.trace: this program starts recording; false when there is no memory for it. */
  startTrace(): boolean;
  /** Answers a pending request (a fork's child answers its fork request with 0). */
  complete(addr: number, result: number): void;
  /** N:1 with RunOptions.signals: signals from the source reach the core. */
  attachSignals(source: WeftSignals): void;
  /** WeftProgram.pause, for a debugger's onStart. */
  pause(): void;
}

/** Where the M:N ticker raises requests (the tick words), and the tick in force (after configuration). */
function preemptState(ex: Exports): PreemptState {
  return { requests: ex.weft_preempt_requests(), tick: ex.weft_preempt_tick() };
}

/** Where a shared run's host raises signals (host/kernel/signals.ts, raiseShared). */
function signalAddresses(ex: Exports): SignalAddresses {
  return { word: ex.weft_signal_word(), idleWord: ex.weft_processor_idle(IDLE_WORD, 0), idleAsleep: ex.weft_processor_idle(IDLE_ASLEEP, 0),
    idleCount: ex.weft_processor_idle(IDLE_COUNT, 0), idleTurn: ex.weft_processor_idle(IDLE_TURN, 0), requests: ex.weft_preempt_requests() };
}

/** Protocol step 2 for `core`: configures it and starts main — or, in a fork's child, takes the copy's
 *  forking thread as main; a processor other than the first only enters. Returns main's thread id, or
 *  why the run cannot start. */
export function enterCore(ex: Exports, options: RunOptions<unknown>, hooks: StartHooks): number | string {
const processor = options.processor;
if (hooks.forkedMain) return hooks.forkedMain;   // a fork's child: the parent's copy (processes.ts)
  if (processor && processor.index !== 0 && !processor.forkChild) {
    ex.weft_configure(options.saveAreaMax ?? 0, options.memoryLimit ?? 0);
    if (ex.weft_processor_enter(processor.index) !== 0) return `processor ${processor.index} has no memory for its stack`;
    if (!hooks.startTrace()) return `processor ${processor.index} has no memory for its trace buffer (1 MiB)`;
    processor.onReady?.(preemptState(ex), signalAddresses(ex));
    return 1;                                  // main is thread 1 (in a fork's child, processor 0's)
  }
  if (processor?.forkChild) {
    // Processor 0 of a fork's child on processors: the memory is the parent's copy (core/fork.ts).
    const { request, pid, ppid } = processor.forkChild;
    if (ex.weft_fork_child(request, pid, ppid) !== 0) return "the fork's copy names no thread";
    if (ex.weft_processor_enter(0) !== 0) return "processor 0 could not start";
    if (!hooks.startTrace()) return "no memory for the trace's buffer (1 MiB)";
    const main = readI32(ex.memory, readU32(ex.memory, request + REQUEST.thread) + THREAD.id);
    hooks.complete(request, 0);
    processor.onReady?.(preemptState(ex), signalAddresses(ex));
    if (processor.signalSource) ex.weft_signal_source(1);
    return main;
  }
  if (processor) {
    ex.weft_init_memory();
    ex.weft_init_globals();
    ex.weft_init();
    if (ex.weft_processors_init(processor.count, processor.oneToOne ? 1 : 0) !== 0) return `cannot run on ${processor.count} processors`;
  }
  ex.weft_configure(options.saveAreaMax ?? 0, options.memoryLimit ?? 0);
  if (options.gcPercent !== undefined) ex.weft_gc_configure(options.gcPercent);
  const refused = configurePreemption(ex, options);
  if (refused) return refused;
  if (!processor && options.hostSlice !== undefined) ex.weft_host_slice(options.hostSlice);
  if (options.deadlock !== undefined && options.deadlock !== "report" && options.deadlock !== "abort") {
    return `deadlock must be "report" or "abort", got ${JSON.stringify(options.deadlock)}`;
  }
  // An instance JavaScript calls into ends the thread whose wait closes a cycle: its call rejects.
  ex.weft_deadlock_policy(options.deadlock === "abort" ? 1 : options.deadlock === undefined && options.serve ? 2 : 0);
  const unseeded = processor ? null : seedCore(ex, options);
  if (unseeded) return unseeded;
  if (processor && ex.weft_processor_enter(0) !== 0) return "processor 0 could not start";
  if (!hooks.startTrace()) return "no memory for the trace's buffer (1 MiB)";
  const main = ex.weft_start();
  if (main <= 0) return `could not start main: spawn returned ${main}`;
  if (options.serve && ex.weft_serve(main) <= 0) return "could not start the thread that takes calls";
  processor?.onReady?.(preemptState(ex), signalAddresses(ex));
  if (processor?.signalSource) ex.weft_signal_source(1);
  if (!processor && options.signals) hooks.attachSignals(options.signals);
  if (!processor) options.debug?.onStart?.({ pause: () => hooks.pause() });
  return main;
}
