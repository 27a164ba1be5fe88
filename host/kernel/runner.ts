// The host: loads a weft module and plays the kernel for it. Web-standard APIs only (WebAssembly,
// performance, setTimeout, TextDecoder), so the same file runs in Node and in browsers.
//
// Run protocol (assembly/sys/abi.ts is the core's side):
//   1. validate: a WebAssembly module, with every export REQUIRED_EXPORTS names, importing only what
//      this host provides (module.ts), and reporting ABI_VERSION;
//   2. configure the core and start main (start.ts): weft_configure, weft_preempt_configure, then
//      weft_start; as processor i of a shared run (RunOptions.processor, host/mn/run.ts), processor 0
//      first initialises the memory and the others only configure and enter;
//   3. weft_run until RUN_EXITED; on RUN_AGAIN call it again at once; on RUN_POLL let the event loop run
//      once (the I/O host's turn()); on RUN_WAIT sleep until weft_wake_at() or the next I/O completion;
//      on RUN_DEADLOCK read the thread table and report every thread and what it waits on; on
//      RUN_RETIRED (1:1) this processor's thread ended and so does this run of it; the result carries a
//      last reading of the thread and group tables (host/kernel/tables.ts), taken before anything is freed;
//   I/O: the io_submit import decodes the thread's request and hands it to the I/O host (RunOptions.io);
//      an answer given later is written into the request and its address appended to the core's
//      completion ring (assembly/sys/io.ts), or kept while the ring is full (completions.ts), and the loop is woken;
//   4. a trap inside a thread (RuntimeError, RangeError for the native stack, or an abort) lands here as
//      an exception: reset Asyncify's state, weft_trap_begin (the processor's own stack again), make the
//      message, weft_trap_end ends that thread only (traps.ts); go on with step 3. A trap with no thread
//      running is fatal for the run. (A save-area overflow never gets here: the loop catches it,
//      scheduler.ts.)
// Beside the loop, at its top where no thread runs: a fork's copy and exec (family.ts), thread dumps,
// partial deadlocks' reports and a debugger's stops (stops.ts); the trace is taken after every call of
// the loop (trace.ts, ProgramTrace).

import { readGcStats, gcOptionsError, type GcStats } from "./gcstats.js";
import { ABI_VERSION, IMPORT_MODULE, RUN_EXITED, RUN_WAIT, RUN_DEADLOCK, RUN_AGAIN, RUN_POLL, RUN_RETIRED, THREAD } from "../abi.js";
import { REQUEST, SUBMIT_DONE, SUBMIT_PENDING, OP, type IoMode } from "../io/abi.js";
import { PENDING, Cancels, type IoContext, type IoHost } from "../io/host.js";
import { decodeRequest, submitRequest, writeResult, ioModeError } from "./requests.js";
import { Output } from "./output.js";
import { Completions } from "./completions.js";
import { WebIo } from "../io/web.js";
import { MemoryView } from "../io/view.js";
import { HostCalls, callTable, moduleBytes, syncImportObject } from "./calls.js";
import { loadModule, weftImport, type Exports } from "./module.js";
import { WeftSignals, signalName, signalNumber } from "./signals.js";
import { ProcessIo } from "./process-io.js";
import { Process, type Relative } from "./family.js";
import { preemptOptionsError, hostSliceError } from "./preempt.js";
import { enterCore } from "./start.js";
import { SeedClock, seedOptionsError } from "./seed.js";
import { ProgramTrace, threadNames } from "./trace.js";
import { STACK_FRAMES_MAX } from "./backtrace.js";
import { Traps, WeftAbort } from "./traps.js";
import { ThreadInspector } from "./inspect.js";
import { LoopStops } from "./stops.js";
import { readUtf16, readString, readThreadStats, readGroups, type ThreadStats, type GroupStats } from "./tables.js";

import type { RunOptions as RunOptionsOf, RunResult, ThreadOutcome } from "./options.js";
export type { RunResult, ThreadOutcome };
/** What a run takes (host/kernel/options.ts). */
export type RunOptions = RunOptionsOf<WeftProgram>;

import { WeftError } from "./weft-error.js";
export { WeftError, loadModule };

/** One loaded program, ready to run once. */
export class WeftProgram {
  private exports!: Exports;
  private readonly output: Output;           // what it wrote, in lines (output.ts)
  private readonly traps: Traps;             // threads that died, and step 4 (traps.ts)
  private failed = false;                    // see loopFailed
  private readonly t0: number;              // the core's clock starts here (performance.now() units)
  private readonly clock: SeedClock | null;  // a seeded run's virtual clock (seed.ts)
  private io: IoHost;
  private readonly ioMode: IoMode;
  private readonly ioContext: IoContext;
  private readonly completions: Completions; // answers on their way into the core's ring (completions.ts)
  private wake: (() => void) | null = null;  // resolves the host's sleep after RUN_WAIT
  private module!: WebAssembly.Module;
  private readonly process: Process;         // this program as a process of its family (family.ts)
  private views: MemoryView | null = null;
  private replaced = false;                  // exec: another image runs in this process's place
  private readonly trace: ProgramTrace;      // RunOptions.trace: this program's records (trace.ts)
  private ended = false;
  private inLoop = false;                    // weft_run is on the stack: no thread may be probed
  private inspect!: ThreadInspector;        // the threads, their frames and reports (inspect.ts)
  private readonly stops: LoopStops;         // dumps, deadlock reports and debugger stops (stops.ts)

  private constructor(private readonly options: RunOptions) {
    // Processors on different threads share one origin: their performance.now() origins differ. The
    // processes of a family share their first one's: now() means the same in each (host/kernel/processes.ts).
    const family = options.forkOf ?? options.spawnOf;
    this.t0 = options.processor ? options.processor.t0 - performance.timeOrigin : family ? family.t0 :
      options.family ? options.family.t0 - performance.timeOrigin : performance.now();
    this.clock = family ? family.clock : SeedClock.for(options);
    this.io = options.io ?? new WebIo();
    this.ioMode = options.ioMode ?? "async";
    const modeError = ioModeError(this.ioMode);
    if (modeError) throw new WeftError(modeError);
    const preemptError = preemptOptionsError(options) ?? gcOptionsError(options) ?? hostSliceError(options) ?? seedOptionsError(options);
    if (preemptError) throw new WeftError(preemptError);
    this.output = new Output(options);
    this.completions = new Completions(() => this.exports, () => this.memory);
    this.ioContext = {
      cancels: new Cancels(),
      bytes: (ptr, len) => this.memory.bytes(ptr, len),
      text: (ptr, units) => this.utf16(ptr, units),
      complete: (addr, result) => this.complete(addr, result),
      emit: (fd, text) => this.emit(fd, text),
    };
    this.process = new Process({
      options,
      core: () => this.exports,
      io: () => this.io,
      setIo: (io) => { this.io = io; },
      complete: (addr, result) => this.complete(addr, result),
      emit: (fd, text) => this.emit(fd, text),
      wake: () => this.wakeLoop(),
      signal: (sig) => this.signal(sig),
      run: () => this.run(),
      ring: () => this.completions.ring(),
      load: (relative) => this.loadRelative(relative),
      ended: () => this.ended,
    });
    this.traps = new Traps(() => this.exports, () => this.inspect, (error) => {
      this.output.keep(error);
      (options.onThreadDied ?? options.stderr)?.(error);
    });
    this.trace = new ProgramTrace(() => this.exports, options.processor?.onTrace);
    this.stops = new LoopStops({
      options,
      core: () => this.exports,
      inspect: () => this.inspect,
      dump: () => this.dump(),
      threadStats: () => this.readThreadStats(),
      emit: (fd, text) => this.emit(fd, text),
      complete: (addr, result) => this.complete(addr, result),
      ring: () => this.completions.ring(),
      runOnce: () => { this.completions.flush(); return this.callLoop(); },
      wake: () => this.wakeLoop(),
    });
  }

  static async load(source: BufferSource | WebAssembly.Module, options: RunOptions = {}): Promise<WeftProgram> {
    const module = await loadModule(source, !!options.processor, options.imports);
    const program = new WeftProgram(options);
    const table = callTable(module);
    const parent = options.forkOf ?? options.spawnOf;
    if (parent) {
      // A table of its own over the parent's open files (host/kernel/process-io.ts).
      program.io = (parent.io as ProcessIo).forked();
      program.process.muted = options.forkOf !== undefined;
      program.process.outputTo = parent.process;
    } else if (table.length) program.io = new HostCalls(program.io, table, options.imports ?? {});
    if (options.family) {
      const process = program.process;
      process.pid = options.family.pid;
      process.ppid = options.family.ppid;
      process.ids = options.family.ids;
      process.ids.running.set(process.pid, program);
      const children = options.family.children;      // exec: the process's children are its new image's
      if (children) {
        children.rebind(() => program.exports.memory, (addr, result) => program.complete(addr, result));
        process.children = children;
      }
    }
    const imports = { ...syncImportObject(module, moduleBytes(source), options.imports, () => program.exports.memory, (m, n) => weftImport(m, n, !!options.processor)), ...program.imports() };
    if (options.processor) (imports.env as Record<string, unknown>).memory = options.processor.memory;
    const instance = await WebAssembly.instantiate(module, imports);
    program.exports = instance.exports as unknown as Exports;
    program.module = module;
    program.inspect = new ThreadInspector(program.exports, module, () => !(program.inLoop || (options.processor && !program.stops.worldStopped)));
    const version = program.exports.weft_abi_version();
    if (version !== ABI_VERSION) {
      throw new WeftError(`weft ABI mismatch: the module speaks version ${version}, this host ${ABI_VERSION}; rebuild it`);
    }
    return program;
  }

  /** The instance's exports (for tests and tools). */
  get raw(): Exports { return this.exports; }

  private imports(): WebAssembly.Imports {
    const t0 = this.t0;
    return {
      [IMPORT_MODULE]: {
        now: this.clock?.now ?? (() => performance.now() - t0),
        wall: this.clock?.wall ?? (() => Date.now()),
        write: (fd: number, ptr: number, len: number) => {
          const to = fd === 2 ? 2 : 1;
          // A process whose stdout or stderr dup2 moved (posixSpawn's actions) prints there (process-io.ts).
          const moved = this.io instanceof ProcessIo ? this.io.printTo(to, this.ioContext) : "self";
          if (moved === "self") {
            const text = this.utf16(ptr, len);
            // A cycle's report waits for the loop to return, when its threads' frames can be shown (on
            // processors, with the world stopped: stops.ts).
            const later = to === 2 && (!this.options.processor || this.options.processor.answer) && this.stops.reportLater(text);
            if (!later) this.emit(to, text + "\n");
          }
          else moved?.(this.utf16(ptr, len) + "\n");
        },
        io_submit: (addr: number) => this.submit(addr),
        processor_start: (index: number) => {
          const start = this.options.processor?.startProcessor;
          if (!start) throw new WeftError(`the core asked for processor ${index}, but this run is not 1:1`);
          start(index);
        },
        frames: () => this.inspect.takeFrames(),
        died: (t: number) => this.traps.died(t),
      },
      env: {
        abort: (msg: number, file: number, line: number, column: number) => {
          const text = msg ? this.string(msg) : "abort";
          throw new WeftAbort(file ? `${text} (${this.string(file)}:${line}:${column})` : text);
        },
      },
    };
  }

  /** Program output: whole lines go to the result and the stdout/stderr callbacks. */
  private emit(fd: number, text: string): void {
    if (this.process.muted) return;
    const parent = this.process.outputTo;
    if (parent) { parent.program.emit(fd, text); return; }   // a child writes where its parent does
    this.output.write(fd, text);
  }

  /** The io_submit import: decodes the request and hands it to the I/O host (requests.ts), or, as a
   *  processor of a shared run, to the run's I/O owner (processor.submitIo). */
  private submit(addr: number): number {
    const memory = this.memory;
    const op = memory.u32At(addr + REQUEST.op);
    if (op === OP.dump) {
      // N:1: answered once the loop has returned, when every thread's frames can be shown (stops.ts).
      if (!this.options.processor) { this.stops.dumpLater(addr); return SUBMIT_PENDING; }
      // On processors: answered between two runs of this processor's loop with the world stopped, when
      // every thread is parked (stops.ts), where the run's owner can answer it.
      if (this.options.processor.answer) { this.stops.dumpLater(addr); return SUBMIT_PENDING; }
      // Else a snapshot, with the caller's own frames (it is on this stack); the others run on.
      this.emit(2, this.inspect.withRunning(this.exports.weft_current(), () => this.dump()) + "\n");
      writeResult(memory, addr, 0);
      return SUBMIT_DONE;
    }
    if (op === OP.cancel) {
      // A signal interrupts the thread of request `ptr` (assembly/sys/io.ts, ioInterrupt): -EINTR if that
      // call still waits and can stop without losing anything (host/io/host.ts, Cancels).
      const target = memory.u32At(addr + REQUEST.ptr);
      const viaOwner = this.options.processor?.io;
      if (viaOwner) viaOwner.cancel(target);
      else if (!this.ioContext.cancels!.cancel(target, (a, r) => this.complete(a, r))) this.process.children.cancel(target);
      writeResult(memory, addr, 0);
      return SUBMIT_DONE;
    }
    if (op === OP.break) {
      // With a debugger: the program stops between two runs of the loop (stops.ts); else nothing.
      if (this.stops.breakLater(addr, memory.i32At(this.exports.weft_current() + THREAD.id))) return SUBMIT_PENDING;
      writeResult(memory, addr, 0);
      return SUBMIT_DONE;
    }
    // On processors only fork is this host's: the others are the family's, which the run's I/O owner keeps.
    if (op >= OP.fork && op <= OP.exec && op !== OP.pipe && (!this.options.processor || op === OP.fork)) {
      const answer = this.process.call(addr, op);   // fork, waitpid, kill, args, posixSpawn, exec (family.ts)
      if (answer === null) return SUBMIT_PENDING;
      writeResult(memory, addr, answer);
      return SUBMIT_DONE;
    }
    const viaOwner = this.options.processor?.io;
    if (viaOwner) return viaOwner.submit(addr, this.completions.ring());
    const answer = submitRequest(this.io, decodeRequest(memory, addr, this.ioMode), this.ioContext);
    if (answer === PENDING) return SUBMIT_PENDING;
    writeResult(memory, addr, answer);
    return SUBMIT_DONE;
  }

  /** Answers a pending request (completions.ts) and wakes the host's sleep. */
  private complete(addr: number, result: number): void {
    this.completions.complete(addr, result);
    this.wakeLoop();
  }

  /** Wakes the host's sleep after RUN_WAIT, if it sleeps. */
  private wakeLoop(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** A relative of this program (family.ts): a fork's child (this module, its memory copied later), or a
   *  program posixSpawn starts as a child or exec puts in this process's place. */
  private async loadRelative(relative: Relative): Promise<Process> {
    const options: RunOptions = "fork" in relative
      ? { ...this.options, signals: undefined, io: undefined, forkOf: this }
      : { ...this.options, signals: undefined, forkOf: undefined, spawnOf: relative.exec ? undefined : this, args: relative.args,
          ...(relative.exec ? { io: this.io } : {}) };
    return (await WeftProgram.load("fork" in relative ? this.module : relative.source, options)).process;
  }

  private utf16(ptr: number, units: number): string { return readUtf16(this.exports.memory, ptr, units); }

  /** An AssemblyScript String at `ptr` (its byte length is the u32 before it). */
  string(ptr: number): string { return readString(this.exports.memory, ptr); }

  /** Protocol steps 2-4. */
  async run(): Promise<RunResult> {
    let result: RunResult;
    try { result = await this.runThreads(); }
    finally {
      if (!this.replaced) {                        // exec: the image that took its place closes them
        await this.io.close();                     // a process's descriptors (process-io.ts), or the host
        await this.process.hostIo?.close();
      }
    }
    return result;
  }

  /** Protocol steps 3 and 4: the loop, until the run ends. */
  private async runThreads(): Promise<RunResult> {
    const ex = this.exports;
    const start = performance.now();
    const processor = this.options.processor;
    const main = enterCore(ex, this.options, {
      forkedMain: this.process.forkedMain,
      startTrace: () => this.startTrace(),
      complete: (addr, result) => this.complete(addr, result),
      attachSignals: (source) => this.attachSignals(source),
      pause: () => this.pause(),
    });
    if (typeof main === "string") return this.fail(start, main);
    processor?.io?.enter((field, i) => ex.weft_processor_idle(field, i), processor.index);
    processor?.beforeLoop?.();
    while (true) {
      let reason: number;
      if (this.process.forkRequest) await this.process.fork();   // between two calls: no thread runs
      let stepped: number | null = null;         // a debugger's step ended the run (stops.ts)
      if (this.stops.waiting()) {                // dumps, deadlock reports, a debugger's stop
        const end = await this.stops.serve();
        if (end && "fatal" in end) return this.fail(start, end.fatal);
        if (end) stepped = end.reason;
      }
      const image = this.process.replacement;     // exec
      if (image) { this.replaced = true; return image.program.run(); }
      this.completions.flush();
      if (stepped !== null) reason = stepped;
      else {
        const called = this.callLoop();
        if (called === null) continue;
        if (typeof called === "object") return this.fail(start, called.fatal);
        reason = called;
      }
      if (reason === RUN_AGAIN) continue;        // lets the engine switch to the loop's optimised code
      if (reason === RUN_POLL) { await this.io.turn(); continue; }
      if (reason === RUN_RETIRED) return this.finish("retired", 0, start);   // 1:1: this processor's thread ended
      if (reason === RUN_EXITED) return this.exited(main, start);
      if (reason === RUN_WAIT) {
        if (this.completions.waiting || this.process.forkRequest || this.process.replacement || this.stops.waiting()) continue;   // completions the ring had no room for; a fork; exec
        if (this.clock?.jumpTo(ex.weft_wake_at())) continue;   // a seeded run's virtual time (seed.ts)
        const delay = Math.max(0, ex.weft_wake_at() - (performance.now() - this.t0));
        await new Promise<void>((resolve) => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          this.wake = () => { clearTimeout(timer); clearInterval(timer); resolve(); };
          if (delay < Infinity) timer = setTimeout(() => { this.wake = null; resolve(); }, Math.min(delay, 2 ** 31 - 1));
          // Threads in sigwait, nothing else: the signal source is all that can wake them, and Node would
          // otherwise leave a loop with nothing in it.
          else if (this.options.signals) timer = setInterval(() => {}, 2 ** 30);
        });
        continue;
      }
      if (reason === RUN_DEADLOCK) {
        // On processors every one is idle for good, and processor 0's report is the run's: it alone may
        // put the threads' frames back on its stack to show them (inspect.ts).
        this.stops.worldStopped = !processor || processor.index === 0;
        return this.finish("deadlock", 1, start, this.inspect.deadlockReport());
      }
      return this.fail(start, `weft_run returned an unknown reason ${reason}`);
    }
  }

  /** RUN_EXITED: how main ended — it died, the core ended it, a cycle of waits ended the run ("abort"),
   *  a signal's default action, or it returned. */
  private exited(main: number, start: number): RunResult {
    const ex = this.exports;
    const mainOutcome = this.traps.dead.find((t) => t.id === main);
    if (mainOutcome) return this.finish("error", 1, start, `main died: ${mainOutcome.error}`);
    const killed = ex.weft_main_error();           // main ended by the core itself (e.g. out of memory)
    if (killed) return this.finish("error", 1, start, `main died: ${this.string(killed)}`);
    const cycle = ex.weft_partial_deadlock();     // deadlock: "abort" (assembly/core/waitfor.ts)
    if (cycle) return this.finish("deadlock", 1, start, this.inspect.withFrames(this.string(cycle).replace(/^weft: /, "")));
    const signal = ex.weft_terminated_by();       // a signal's default action (assembly/core/signal.ts)
    if (signal) return this.finish("signaled", 128 + signal, start, `terminated by ${signalName(signal)}`, signalName(signal));
    return this.finish("exited", ex.weft_main_value(), start);
  }

  /** One call of the loop, a trap in it handled (step 4): what it returned (RUN_*), null after a trap the
   *  run survives, or the message of one it does not. */
  private callLoop(): number | null | { fatal: string } {
    const frameLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = STACK_FRAMES_MAX;  // a trap's stack trace is its thread's backtrace
    this.inLoop = true;
    try {
      const reason = this.exports.weft_run();
      this.trace.take();                         // now, before any wait: its clock reading ends the run
      return reason;
    } catch (e) {
      this.inLoop = false;
      Error.stackTraceLimit = frameLimit;
      let fatal: string | null;
      try { fatal = this.traps.handle(e); }
      catch (again) { fatal = `the runtime could not recover from a trap (${(e as Error).message}): ${(again as Error).message}`; }
      return fatal ? { fatal } : null;
    } finally {
      this.inLoop = false;
      Error.stackTraceLimit = frameLimit;
    }
  }

  /** Stops the program at its loop's next return (the next switch, or the running thread's next
   *  safepoint once its tick comes) and calls the debugger's hook. No-op without a debugger. (On
   *  processors the run's debugger asks processor 0 through its pause word and its turn flag instead:
   *  processor.debug.pauseAsked, host/mn/debugger.ts.) */
  pause(): void { this.stops.pause(); }

  /** Lasting views of this instance's memory (io/view.ts), made again for a new instance. */
  private get memory(): MemoryView {
    const memory = this.exports.memory;
    const views = this.views;
    if (views && views.memory === memory) return views;
    return (this.views = new MemoryView(memory));
  }

  /** N:1: signals from `source` go to the core between calls of the loop, and wake it if it sleeps. */
  private attachSignals(source: WeftSignals): void {
    if (!(source instanceof WeftSignals)) throw new WeftError("signals must be a WeftSignals (import { WeftSignals } from \"weft\")");
    this.exports.weft_signal_source(1);
    const dumpOn = this.options.dumpOn !== undefined ? signalNumber(this.options.dumpOn) : 0;
    source.attach((sig) => { if (sig === dumpOn) this.emit(2, this.dump() + "\n"); else this.signal(sig); });
  }

  /** Raises `sig` (a number or a name such as "SIGINT") for this N:1 program while it runs, as
   *  RunOptions.signals does. */
  signal(sig: number | string): void {
    if (this.options.processor) throw new WeftError("program.signal: a processor of a shared run; use SharedRunOptions.signals");
    const n = signalNumber(sig);
    this.exports.weft_signal(n);
    this.wakeLoop();
  }

  /** A thread dump (as Go prints on SIGQUIT): every thread in the table — id, name, state, what it waits
   *  on (and who holds a mutex it waits for), switches and CPU time — and, in N:1, each parked thread's
   *  backtrace (host/kernel/backtrace.ts). `dumpThreads()` in a program, RunOptions.dumpOn and `weft run
   *  --dump-on SIGQUIT` print it. A processor of a shared run (M:N, 1:1) dumps without frames: the
   *  others run on, and a thread running elsewhere cannot be stopped to be looked at. */
  dump(): string { return this.inspect.dump(this.process.pid); }

  /** Statistics of every thread in the table, and every fair-share group (host/kernel/tables.ts). */
  readThreadStats(): ThreadStats[] { return readThreadStats(this.exports); }
  readGroups(): GroupStats[] { return readGroups(this.exports); }

  /** True once this processor's loop could not start or go on (a trap in the scheduler, a failed
   *  setup): unlike the program's own end, the other processors do not see it (host/mn/run.ts). */
  get loopFailed(): boolean { return this.failed; }

  /** RunOptions.trace: this program starts recording (a process fork or spawn does not). False when there
   *  is no memory for it. */
  private startTrace(): boolean {
    return !this.options.trace || !!this.options.forkOf || !!this.options.spawnOf || this.trace.start();
  }

  private fail(start: number, error: string): RunResult {
    this.failed = true;
    return this.finish("error", 1, start, error);
  }

  private finish(status: RunResult["status"], exitCode: number, start: number, error?: string, signal?: string): RunResult {
    if (!this.options.processor) this.options.signals?.detach();
    this.trace.end();
    this.stops.flushReports(this.failed);     // reports the loop's return did not print yet
    this.ended = true;
    this.process.ids.running.delete(this.process.pid);
    this.output.end();
    const elapsedMs = performance.now() - start;
    let inTable: ThreadOutcome[] = [], threadStats: ThreadStats[] = [], groups: GroupStats[] = [];
    let gc: GcStats | null = null;
    try {
      inTable = this.inspect.threadsInTable().filter((t) => !this.traps.has(t.id));
      threadStats = this.readThreadStats();
      groups = this.readGroups();
      gc = readGcStats(this.exports);
    } catch { /* memory too damaged to read the tables: report what is known */ }
    const result: RunResult = {
      status, exitCode, error,
      stdout: this.output.text(1), stderr: this.output.text(2),
      threads: [...this.traps.dead, ...inTable],
      elapsedMs, threadStats, groups, gc,
      ...(signal ? { signal } : {}),
    };
    if (this.options.processor) return result;
    return this.trace.withTrace(result, () => threadNames([...this.traps.dead, ...inTable], threadStats));
  }
}

export { readThreadStats, readGroups, type ThreadStats, type GroupStats, type CoreTables } from "./tables.js";
export { readGcStats, type GcStats } from "./gcstats.js";

/** Loads and runs a weft module. */
export async function run(source: BufferSource | WebAssembly.Module, options: RunOptions = {}): Promise<RunResult> {
  return (await WeftProgram.load(source, options)).run();
}
