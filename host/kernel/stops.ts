// Stops between two runs of the loop: what a program asks for that needs every thread parked — thread
// dumps (dumpThreads()), the reports of partial deadlocks with each thread's frames, and a debugger's
// stops (debugBreak(), pause(), and the steps a debugger takes). host/kernel/runner.ts's WeftProgram
// holds one LoopStops and serves it at the top of its loop, where no thread runs. Web-standard APIs only.
//
// Why between runs: a thread's frames are in its save area only while it is parked, and showing them
// means rewinding it on this stack (host/kernel/inspect.ts). In N:1 every thread is parked once weft_run
// returns. On processors the others run on, so a stop stops the world as a fork does: every other
// processor waits at its loop's top (assembly/core/gcstop.ts, loopPark) while this one looks
// (stoppedWorld); the run's I/O owner answers the requests (processor.answer), since it alone writes
// this processor's completion ring while the run goes on.

import { RUN_EXITED, RUN_DEADLOCK, THREAD } from "../abi.js";
import { WeftError } from "./weft-error.js";
import { threadRecords, readI32, type CoreTables, type ThreadStats } from "./tables.js";
import type { ThreadInspector } from "./inspect.js";
import type { DebugSession, DebugStop, DebugThread, StepResult } from "./debug.js";
import type { RunOptions, ThreadOutcome } from "./options.js";

/** How a partial deadlock's report starts (assembly/core/waitfor.ts, waitForCheck). */
export const CYCLE_REPORT = "weft: deadlock among some threads:";

/** The core's exports the stops use. */
export interface StopsCore extends CoreTables {
  weft_fork_stop(): void;
  weft_fork_go(): void;
  weft_step(t: number): number;
}

/** What the stops ask of their program (host/kernel/runner.ts makes it). */
export interface StopsProgram {
  readonly options: RunOptions<unknown>;
  core(): StopsCore;
  inspect(): ThreadInspector;
  /** The thread dump (WeftProgram.dump). */
  dump(): string;
  threadStats(): ThreadStats[];
  emit(fd: number, text: string): void;
  /** Answers a pending request (N:1: writes the result, queues the completion, wakes the loop). */
  complete(addr: number, result: number): void;
  /** The core's completion ring (processors: this processor's). */
  ring(): number;
  /** One call of the loop, its completions moved in first (a debugger's step): RUN_*, null after a trap
   *  the run survives, or the message of one it does not. */
  runOnce(): number | null | { fatal: string };
  /** Wakes the loop if it sleeps (RUN_WAIT). */
  wake(): void;
}

/** A debugger's step that ended the run: the loop's reason, or a trap's message. */
export type StepEnd = { reason: number } | { fatal: string };

/** The requests that wait for the loop to return, and the stops that serve them. */
export class LoopStops {
  /** True while every thread is parked and stays so: the world stopped for a look, or a deadlock for good
   *  (no processor runs a thread again). The inspector may rewind threads only then, or out of the loop
   *  in N:1. */
  worldStopped = false;
  private dumps: number[] = [];              // dumpThreads() calls
  private cycles: string[] = [];             // partial deadlocks' reports
  private breaks: { addr: number; thread: number }[] = [];   // debugBreak() calls
  private pauseAsked = false;                // pause()

  constructor(private readonly program: StopsProgram) {}

  /** A dumpThreads() call, answered at the loop's next return. */
  dumpLater(addr: number): void { this.dumps.push(addr); }

  /** A line the program writes to stderr: a partial deadlock's report waits for the loop to return,
   *  when its threads' frames can be shown (on processors, with the world stopped). False: not one. */
  reportLater(text: string): boolean {
    if (!text.startsWith(CYCLE_REPORT)) return false;
    this.cycles.push(text);
    return true;
  }

  /** A debugBreak() call of thread `thread`: with a debugger, the program stops at the loop's next return
   *  (true: the call is pending); without one, nothing (false: it returns at once). */
  breakLater(addr: number, thread: number): boolean {
    if (!this.debugger()) return false;
    this.breaks.push({ addr, thread });
    return true;
  }

  /** Whether a stop waits for the loop's return. On processors, also asks the run's debugger whether it
   *  asked for a pause (processor.debug.pauseAsked, host/mn/debugger.ts). */
  waiting(): boolean {
    if (this.program.options.processor?.debug?.pauseAsked()) this.pauseAsked = true;
    return this.dumps.length > 0 || this.cycles.length > 0 || this.breaks.length > 0 || this.pauseAsked;
  }

  /** Serves what waits, with every thread parked: dumps, then reports, then a debugger's stop. Returns how
   *  a debugger's step ended the run, or null. */
  async serve(): Promise<StepEnd | null> {
    if (this.dumps.length) this.answerDumps();
    if (this.cycles.length) this.printReports();
    if (!this.breaks.length && !this.pauseAsked) return null;
    return this.debugStop();
  }

  /** Stops the program at its loop's next return (the next switch, or the running thread's next
   *  safepoint once its tick comes) and calls the debugger's hook. No-op without a debugger. */
  pause(): void {
    if (!this.debugger()) return;
    this.pauseAsked = true;
    this.program.wake();
  }

  /** The run's end: reports the loop's return did not print yet, with frames unless `bare` (a failed run:
   *  the core may be in no state to rewind a thread). */
  flushReports(bare: boolean): void {
    const inspect = this.program.inspect();
    for (const report of this.cycles.splice(0)) this.program.emit(2, (bare ? report : inspect.withFrames(report)) + "\n");
  }

  /** `look()` with every processor stopped at its loop's top as for a fork (weft_fork_stop), so that every
   *  thread is parked and this processor can take any one's frames; then the world goes on. */
  stoppedWorld<T>(look: () => T): T {
    const core = this.program.core();
    const stopped = this.worldStopped;
    core.weft_fork_stop();
    try { this.worldStopped = true; return look(); }
    finally { this.worldStopped = stopped; core.weft_fork_go(); }
  }

  /** stoppedWorld for a debugger's stop, which lasts as long as its hook. */
  private async stoppedWorldAsync(look: () => Promise<void>): Promise<void> {
    const core = this.program.core();
    const stopped = this.worldStopped;
    core.weft_fork_stop();
    try { this.worldStopped = true; await look(); }
    finally { this.worldStopped = stopped; core.weft_fork_go(); }
  }

  /** dumpThreads() calls: every thread is parked now, the callers too (in the call), and each one's
   *  frames can be shown; on processors, with the world stopped. */
  private answerDumps(): void {
    const processor = this.program.options.processor;
    const text = processor?.answer ? this.stoppedWorld(() => this.program.dump()) + "\n" : this.program.dump() + "\n";
    for (const addr of this.dumps.splice(0)) {
      this.program.emit(2, text);
      this.answer(addr, 0);
    }
  }

  /** Partial deadlocks' reports (assembly/core/waitfor.ts), each thread of the cycle with its frames. */
  private printReports(): void {
    const reports = this.cycles.splice(0);
    const inspect = this.program.inspect();
    // On processors, printed while the world is stopped: no other processor's lines come in between.
    const print = () => { for (const report of reports) this.program.emit(2, inspect.withFrames(report) + "\n"); };
    if (this.program.options.processor) this.stoppedWorld(print); else print();
  }

  /** With a debugger: the program stops (debugBreak() calls, a pause) and the debugger's hook runs with
   *  every thread parked (host/kernel/debug.ts); the breaking threads go on once it returns. */
  private async debugStop(): Promise<StepEnd | null> {
    const breaks = this.breaks.splice(0);
    const paused = this.pauseAsked;
    this.pauseAsked = false;
    const stopped = this.debugger();
    let end: StepEnd | null = null;
    if (stopped) {
      const stops: DebugStop[] = breaks.map((b) => ({ reason: "break" as const, thread: b.thread }));
      if (paused || !stops.length) stops.push({ reason: "pause", thread: 0 });
      const serve = async () => {
        for (const stop of stops) {
          let open = true;
          const session = this.debugSession(() => open, (e) => { end = e; }, () => end !== null);
          try { await stopped(session, stop); } finally { open = false; }
          if (end) break;
        }
      };
      // On processors this one stops the world as for a fork: every other processor waits at its loop's
      // top, where every thread is parked, and a step runs its thread here (core/gcstop.ts, loopPark).
      if (this.program.options.processor) await this.stoppedWorldAsync(serve); else await serve();
    }
    for (const b of breaks) this.answer(b.addr, 0);
    return end;
  }

  /** The debugger's hook: N:1, RunOptions.debug's onStop; on processors, the run's (processor.debug). */
  private debugger(): ((session: DebugSession, stop: DebugStop) => Promise<void>) | null {
    const processor = this.program.options.processor;
    if (processor) return processor.debug ? (session, stop) => processor.debug!.stopped(stop, session) : null;
    const hooks = this.program.options.debug;
    return hooks ? async (session, stop) => { await hooks.onStop(session, stop); } : null;
  }

  /** What a debugger's hook may do while the program is stopped (valid while `open()`); a step that ends
   *  the run is told to `ended`, and `over()` says whether one did. */
  private debugSession(open: () => boolean, ended: (end: StepEnd) => void, over: () => boolean): DebugSession {
    const program = this.program;
    const check = () => { if (!open()) throw new WeftError("a debug session is used after its hook returned"); };
    const views = (threads: ThreadOutcome[]): DebugThread[] => {
      const stats = new Map(program.threadStats().map((s) => [s.id, s]));
      return threads.map((t) => {
        const s = stats.get(t.id);
        return { id: t.id, name: t.name, state: t.state, switches: s?.switches ?? 0, cpu: s?.cpu ?? 0,
          ...(t.waitingOn ? { waitingOn: t.waitingOn } : {}), ...(t.backtrace ? { backtrace: t.backtrace } : {}) };
      });
    };
    const find = (id: number) => threadRecords(program.core()).find((t) => readI32(program.core().memory, t + THREAD.id) === id) ?? 0;
    const one = (id: number) => {
      const record = find(id);
      return record ? views([program.inspect().outcomeOf(record, true)])[0] : null;
    };
    return {
      threads: () => { check(); return views(program.inspect().threadsInTable(true)); },
      thread: (id) => { check(); return one(id); },
      step: (id): StepResult => {
        check();
        const record = find(id);
        if (over() || !record || program.core().weft_step(record) !== 0) return { ran: false, thread: one(id) };
        const called = program.runOnce();
        if (called !== null && typeof called === "object") {
          ended(called);
          return { ran: true, thread: one(id), ended: called.fatal };
        }
        if (called === RUN_EXITED || called === RUN_DEADLOCK) {
          ended({ reason: called });
          return { ran: true, thread: one(id), ended: called === RUN_EXITED ? "main ended" : "deadlock" };
        }
        return { ran: true, thread: one(id) };
      },
    };
  }

  /** Answers a request the loop took pending: on processors through the run's I/O owner (which alone
   *  writes this processor's ring while the run goes on), else as any completion. */
  private answer(addr: number, result: number): void {
    const answer = this.program.options.processor?.answer;
    if (answer) answer(addr, this.program.ring(), result);
    else this.program.complete(addr, result);
  }
}
