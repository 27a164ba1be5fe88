// What a run is given (RunOptions) and what it gives back (RunResult, ThreadOutcome): the interface of
// host/kernel/runner.ts, which re-exports them.

import type { GcStats } from "./gcstats.js";
import type { IoMode } from "../io/abi.js";
import type { IoHost } from "../io/host.js";
import type { IoClient } from "./shared-io.js";
import type { HostImports } from "./calls.js";
import type { WeftSignals, SignalAddresses } from "./signals.js";
import type { ProcessIds, Children } from "./processes.js";
import type { PreemptOptions, PreemptState } from "./preempt.js";
import type { SeedOptions } from "./seed.js";
import type { ChromeTrace } from "./trace.js";
import type { BacktraceFrame } from "./backtrace.js";
import type { DebugHooks, DebugSession, DebugStop } from "./debug.js";
import type { ThreadStats, GroupStats } from "./tables.js";

/** Preemption: `slice`, `tick` and `exactAccounting` (host/kernel/preempt.ts, PreemptOptions). */
/** `Program` is host/kernel/runner.ts's WeftProgram, which names this file's RunOptions<WeftProgram> as
 *  RunOptions (a parameter, so that this file need not import the runner). */
export interface RunOptions<Program = unknown> extends PreemptOptions, SeedOptions {
  /** Receives each line the program prints to stdout / stderr (they are also collected in the result). */
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
  /** Told each time a thread dies (trap, overflow, no memory), with the message that also goes to the
   *  result's stderr and threads. Default: the stderr callback. */
  onThreadDied?: (message: string) => void;
  /** Bytes a thread's frames may take when it switches (default 64 KiB). */
  saveAreaMax?: number;
  /** Cap on the heap (bytes of address space); spawn fails with ENOMEM beyond it. */
  memoryLimit?: number;
  /** The collector's percentage (assembly/core/gc.ts; default 100, as Go's GOGC; -1: only gc() collects). */
  gcPercent?: number;
  /** Performs the program's system calls. Default: the web host (stdio, delays, granted URLs); Node's
   *  runFile passes Node's (files, TCP, offload), with what the run grants. */
  io?: IoHost;
  /** How a call that names no mode is done: "async" (default), "blocking" or "offload". */
  ioMode?: IoMode;
  /** N:1: the host's event loop gets a turn (a macrotask: its timers, I/O callbacks, a page's frames) at
   *  least every `hostSlice` ms of running threads (default 8; Infinity: only once every thread waits). */
  hostSlice?: number;
  /** Functions the program imports (its `@external` declarations), by module and name: host functions, which
   *  may return a Promise that parks only the caller, and imports built as syncImports (calls.ts). */
  imports?: HostImports;
  /** Signals from outside (host/kernel/signals.ts): `signals.raise("SIGTERM")` while the program runs, or
   *  `signals.forwardProcess()` for the Node process's own. With it, a thread in sigwait waits for them and
   *  is not part of a deadlock. */
  signals?: WeftSignals;
  /** A cycle of waits among some threads (two mutexes locked in opposite orders, threads joining each
   *  other: assembly/core/waitfor.ts): "report" (default) says so on stderr and the other threads go on;
   *  "abort" ends the run as a deadlock with that report. */
  deadlock?: "report" | "abort";
  /** N:1, with `signals`: this signal (e.g. "SIGQUIT", Ctrl-\\) prints a thread dump to stderr instead of
   *  going to the program (WeftProgram.dump). */
  dumpOn?: string;
  /** N:1: a debugger (host/kernel/debug.ts). Its onStop is called with every thread parked when a thread
   *  calls debugBreak() or WeftProgram.pause() is asked; the program goes on when it returns. */
  debug?: DebugHooks;
  /** Internal (fork, host/kernel/processes.ts): this instance becomes a child of that program; its output
   *  is muted until the copy is made, and it shares that program's I/O host. */
  forkOf?: Program;
  /** Internal (posixSpawn): a new process of that program's family, with a table over its descriptors. */
  spawnOf?: Program;
  /** Internal (posixSpawn from a shared run, host/mn/process.ts): this program is process `pid` of the
   *  family `ids`, a child of `ppid`; its clock origin `t0` (performance.now() of this thread). */
  family?: { pid: number; ppid: number; ids: ProcessIds; t0: number; children?: Children };
  /** Internal (start, host/serve.ts): the instance lives on after main and takes calls from
   *  JavaScript through its I/O host (assembly/sys/serve.ts). */
  serve?: boolean;
  /** The program's arguments (args() in AssemblyScript; `weft run app.ts -- a b`). */
  args?: string[];
  /** Record a timeline trace (assembly/core/trace.ts, host/kernel/trace.ts): RunResult.trace, in the Chrome
   *  trace event format (`weft run --trace out.json`). A process fork or posixSpawn starts is not traced. */
  trace?: boolean;
  /** How posixSpawn and exec find a program by path: its module or bytes. Default: weft/node's runFile
   *  reads a .wasm file or builds a .ts; a page fetches the path next to itself. */
  loadProgram?: (path: string) => Promise<BufferSource | WebAssembly.Module>;
  /** M:N: this instance is processor `index` of `count` over the shared `memory` (host/mn/run.ts). The first
   *  initialises the memory and starts main, then calls onReady; the others only run. `t0` is the shared
   *  clock origin (performance.timeOrigin + performance.now() on the thread that started the run). */
  processor?: {
    memory: WebAssembly.Memory; index: number; count: number; t0: number;
    /** Called once this processor is set up (for the first: main is spawned), before its loop runs, with
     *  the tick words' address and the tick in force, for the M:N ticker (host/mn/ticker.ts). */
    onReady?: (preempt: PreemptState, signals: SignalAddresses) => void;
    /** The run has a signal source (SharedRunOptions.signals): processor 0 tells the core so. */
    signalSource?: boolean;
    /** Called right before the loop first runs (host/mn/run.ts waits there until every processor is set up). */
    beforeLoop?: () => void;
    /** 1:1: the model is one processor per thread; the core asks for processor `index` with it. */
    oneToOne?: boolean;
    startProcessor?: (index: number) => void;
    /** A shared run's I/O: io_submit hands each request to the run's I/O owner (shared-io.ts, IoClient),
     *  told once the processor has entered where to wake it. Without it the runner performs the call
     *  itself with `io`. */
    io?: Pick<IoClient, "submit" | "enter" | "cancel">;
    /** With `trace`: receives this processor's records as its host takes them (the run collects them),
     *  and at the end how many it did not send (`dropped`, past TRACE_RECORDS_MAX). */
    onTrace?: (records: Uint8Array, dropped: number) => void;
    /** fork (assembly/core/fork.ts, "Shared builds"): receives the copy of the memory made while no thread
     *  ran (null: no memory for it), the fork request, which the run's I/O owner answers, and the ring
     *  the answer goes to (this processor's). Without it
     *  fork says ENOSYS. */
    onFork?: (copy: WebAssembly.Memory | null, request: number, ring: number) => void;
    /** Answers a request this processor's host took pending (a thread dump), through the run's I/O owner,
     *  which alone writes this processor's completion ring while the run goes on. */
    answer?: (request: number, ring: number, result: number) => void;
    /** Processor 0 of a fork's child: the memory is the parent's copy, and `request` is the fork request
     *  of the thread that is the child's one thread (the child's id `pid`, its parent's `ppid`). */
    forkChild?: { request: number; pid: number; ppid: number };
    /** The run has a debugger (SharedRunOptions.debug): a stop is this processor's to make (debugBreak()
     *  on it, or pause() asked of it); `stopped` serves the debugger's session, with every other
     *  processor waiting at its loop's top, until the debugger lets the program go on. */
    debug?: { stopped(stop: DebugStop, session: DebugSession): Promise<void>; pauseAsked(): boolean };
  };
}


export interface ThreadOutcome {
  id: number;
  name: string;
  /** runnable, running, blocked, sleeping, exited (not joined), trapped */
  state: string;
  value?: number;
  error?: string;
  /** For a blocked thread: what it waits on, e.g. "mutex at 0x1a2b0". */
  waitingOn?: string;
  /** Its frames, innermost first, where weft could take them (host/kernel/backtrace.ts): a parked
   *  thread's in a dump or a deadlock report (N:1), a trapped thread's as it trapped. */
  backtrace?: BacktraceFrame[];
}

export interface RunResult {
  /** exited: main finished (its value is exitCode); deadlock: nothing could ever run again; error: main
   *  or the scheduler died; retired: (1:1) this processor's one thread finished, the run goes on. */
  status: "exited" | "deadlock" | "error" | "retired" | "signaled";
  /** exited: main's value; signaled: 128 + the signal's number, as shells report it; 1 for deadlock and error. */
  exitCode: number;
  /** signaled: the signal whose default action ended the program ("SIGINT"). */
  signal?: string;
  stdout: string;
  stderr: string;
  /** Threads not joined when the run ended, and every thread that trapped. */
  threads: ThreadOutcome[];
  /** What went wrong, for deadlock and error. */
  error?: string;
  elapsedMs: number;
  /** Every thread still in the table when the run ended (joined threads are gone), and every group. */
  threadStats: ThreadStats[];
  groups: GroupStats[];
  /** What the collector did (null for a module built without one). */
  gc: GcStats | null;
  /** Shared runs (M:N, 1:1): the system calls the I/O owner performed, the writes and reads processors
   *  made themselves (direct sends and reads, host/io/direct.ts) and the accepts they took from a ring
   *  (host/io/ahead.ts). */
  io?: { ownerCalls: number; directSends: number; directReads: number; acceptsAhead: number };
  /** With RunOptions.trace: the run's timeline (`JSON.stringify` it for Perfetto or chrome://tracing). */
  trace?: ChromeTrace;
}
