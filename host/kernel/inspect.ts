// Looking at a program's threads from the host (one instance's: runner.ts holds one): each thread in the
// table with its state and what it waits on, the frames of a parked one, and the reports made of them —
// dumpThreads()'s, a deadlock's, a partial deadlock's.
//
// Frames. A parked thread's frames are not on any stack: the core puts them back for a moment
// (weft_backtrace; assembly/core/inspect.ts, "Backtraces"), and the `frames` import, called from the
// bottom of that rewind, reads the JavaScript stack (backtrace.ts) — with, in a build that kept their
// names, each frame's live locals (locals.ts). Only while no loop is on the stack (`mayProbe`): a thread
// that runs, or the loop that a host function the program called came from, must not be rewound. A
// processor of a shared run may probe only while the world is stopped (stops.ts, stoppedWorld).

import { THREAD, type FrameLayout } from "../abi.js";
import {
  functionNames, lineTable, threadFrames, stackHere, formatBacktrace, STACK_FRAMES_MAX, type BacktraceFrame, type LineTable,
} from "./backtrace.js";
import { frameLayouts, readLocals } from "./locals.js";
import { readI32, readU32, readString, threadRecords, threadState, waitText, readThreadStats, type CoreTables } from "./tables.js";
import type { ThreadOutcome } from "./options.js";

/** What the inspector reads of an instance: the thread table, and the rewind of a parked thread. */
export type InspectedCore = CoreTables & Parameters<typeof waitText>[0] & { weft_backtrace(t: number): number };

export class ThreadInspector {
  private names: Map<number, string> | null = null;         // function names, once read
  private lines: LineTable | null | undefined;               // source lines, once read
  private layouts: Map<string, FrameLayout> | null | undefined;   // the weft.locals section, once read
  private probed: BacktraceFrame[] | null = null;            // what the `frames` import took
  private probedSymbols: { own: number[]; all: string[] } | null = null;   // and the functions with frames
  /** The thread whose host call asked for a dump, and its frames (it runs: they are on the stack). */
  private running: { t: number; frames: BacktraceFrame[] } | null = null;

  constructor(private readonly core: InspectedCore, private readonly module: WebAssembly.Module,
    private readonly mayProbe: () => boolean) {}

  /** The `frames` import: the frames of the thread being rewound, from the stack it is rewound on. */
  takeFrames(): void {
    this.probedSymbols = { own: [], all: [] };
    this.probed = threadFrames(stackHere(), this.functionNames(), this.lineTable(), this.probedSymbols);
  }

  /** The frames of a stack (a trap's, the caller's own) as backtraces show them. */
  framesOf(stack: string): BacktraceFrame[] { return threadFrames(stack, this.functionNames(), this.lineTable()); }

  /** `look()` with thread `t`, which runs here, shown with the frames of the current stack. */
  withRunning<T>(t: number, look: () => T): T {
    this.running = { t, frames: this.framesOf(stackHere()) };
    try { return look(); } finally { this.running = null; }
  }

  /** The frames of parked thread `t` (a record), innermost first, or undefined when there are none to
   *  show: it has not started, runs, has ended, or probing is not allowed now (`mayProbe`). */
  backtraceOf(t: number): BacktraceFrame[] | undefined {
    if (!this.mayProbe()) return undefined;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = STACK_FRAMES_MAX;
    this.probed = null;
    try {
      if (this.core.weft_backtrace(t) !== 1) return undefined;
      // (Set by the `frames` import during the call: TypeScript cannot see that.)
      const frames = (this.probed as BacktraceFrame[] | null) ?? undefined;
      const symbols = this.probedSymbols as { own: number[]; all: string[] } | null;
      // A build with source lines: each frame's live locals, by name, from the frames put back (locals.ts).
      if (this.layouts === undefined) this.layouts = frameLayouts(this.module);
      if (frames && this.layouts && symbols) {
        const { own, all } = symbols;
        const locals = readLocals(this.core.memory, readU32(this.core.memory, t + THREAD.saveArea), all, this.layouts);
        own.forEach((k, i) => { const l = locals.get(k); if (l && frames[i]) frames[i].locals = l; });
      }
      return frames;
    } finally {
      Error.stackTraceLimit = limit;
      this.probed = null;
      this.probedSymbols = null;
    }
  }

  /** Every thread still in the table; with `frames`, each parked one's backtrace where it can be taken. */
  threadsInTable(frames = false): ThreadOutcome[] {
    return threadRecords(this.core).map((t) => this.outcomeOf(t, frames));
  }

  /** Thread record `t` as an outcome; with `frames`, its backtrace where it can be taken. */
  outcomeOf(t: number, frames: boolean): ThreadOutcome {
    const memory = this.core.memory;
    const state = threadState(this.core, t);
    const outcome: ThreadOutcome = { id: readI32(memory, t + THREAD.id), name: readString(memory, readU32(memory, t + THREAD.name)), state };
    if (state === "exited") outcome.value = readI32(memory, t + THREAD.exitValue);
    if (state === "trapped") outcome.error = readString(memory, readU32(memory, t + THREAD.error));
    if (state === "blocked") outcome.waitingOn = waitText(this.core, t);
    if (state === "sleeping") outcome.waitingOn = "sleep";
    const backtrace = !frames ? undefined : this.running?.t === t ? this.running.frames
      : state === "blocked" || state === "sleeping" || state === "runnable" ? this.backtraceOf(t) : undefined;
    if (backtrace) outcome.backtrace = backtrace;
    return outcome;
  }

  /** dumpThreads()'s text for process `pid`: every thread in the table, its state, what it waits on (and
   *  who holds a mutex it waits for), switches and CPU time, and each parked one's backtrace where it can
   *  be taken. */
  dump(pid: number): string {
    const stats = new Map(readThreadStats(this.core).map((t) => [t.id, t]));
    const lines = this.threadsInTable(true).map((t) => {
      const s = stats.get(t.id);
      const what = t.waitingOn ? ` on ${t.waitingOn}` : t.state === "trapped" ? `: ${t.error}` : t.state === "exited" ? ` (value ${t.value})` : "";
      const head = `  thread ${t.id}${t.name ? ` "${t.name}"` : ""}: ${t.state}${what}` +
        (s ? `; ${s.switches} switches, ${s.cpu.toFixed(1)} ms cpu` : "");
      return t.backtrace?.length ? `${head}\n${formatBacktrace(t.backtrace)}` : head;
    });
    return `threads of process ${pid} (${lines.length}):\n${lines.join("\n")}`;
  }

  /** A deadlock's report: every thread that waits, on what, with its frames. */
  deadlockReport(): string {
    const lines = this.threadsInTable(true)
      .filter((t) => t.state === "blocked" || t.state === "sleeping" || t.state === "runnable")
      .map((t) => `  thread ${t.id}${t.name ? ` "${t.name}"` : ""}: ${t.state}${t.waitingOn ? ` on ${t.waitingOn}` : ""}` +
        (t.backtrace?.length ? "\n" + formatBacktrace(t.backtrace) : ""));
    return `deadlock: every thread is blocked and nothing can wake them\n${lines.join("\n")}`;
  }

  /** A report whose lines start `  thread <id> ` (a partial deadlock's: assembly/core/waitfor.ts), each
   *  followed by that thread's frames where they can be taken. */
  withFrames(report: string): string {
    const memory = this.core.memory;
    const records = new Map(threadRecords(this.core).map((t) => [readI32(memory, t + THREAD.id), t]));
    return report.split("\n").map((line) => {
      const id = /^  thread (\d+) /.exec(line)?.[1];
      const record = id === undefined ? undefined : records.get(Number(id));
      const frames = record === undefined ? undefined : this.backtraceOf(record);
      return frames?.length ? `${line}\n${formatBacktrace(frames)}` : line;
    }).join("\n");
  }

  /** The module's function names (its name section), read once. */
  private functionNames(): Map<number, string> {
    return this.names ??= functionNames(this.module);
  }

  /** The module's source lines (BuildOptions.lines), read once; null without. */
  private lineTable(): LineTable | null {
    if (this.lines === undefined) this.lines = lineTable(this.module);
    return this.lines;
  }
}
