// M:N: a shared module (weft build --shared) run by `processors` Workers over one shared memory, in Node
// or in a browser. Each Worker is a processor (host/mn/processor.ts; the core's side is assembly/core/processor.ts).
//
// Design note
// -----------
// One start protocol, two kinds of Worker. The protocol below is written once, against StartProcessor:
// start a Worker on a processor's data and report its messages and its failure (and StartTicker, the
// same for the ticker, host/mn/ticker.ts). Node's worker_threads (workers-node.ts) and the web's module Workers
// (workers-web.ts) each provide both. workers-node.ts is imported only when running in Node, so nothing a browser
// loads from here names a node: module (host/index.ts exports runShared to both).
//
// The thread that calls runShared never waits. In a browser that is usually the page's main thread,
// where Atomics.wait throws and a busy loop freezes the page: everything runShared does after starting
// the Workers answers an event (a message, a failure, the timeout), and the only atomics it touches are
// a store and a notify on the go word. Only processors wait, in their Workers.
//
// Cross-origin isolation. A browser gives a page SharedArrayBuffer, and lets it post a shared
// WebAssembly.Memory to a Worker, only when the page is cross-origin isolated (served with
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp). runShared
// checks before it starts anything and says so (NOT_ISOLATED); N:1 (`run`) needs none of it. Node always
// has shared memory.
//
// Start protocol:
//   1. check the processor count and that shared memory is allowed here; compile and check the module
//      once (every Worker gets the compiled module); make the shared memory and the go word (0);
//   2. start processor 0 alone (and the ticker's Worker, which loads meanwhile): it applies the data
//      segments, sets the shared globals, runs the program's initialisers, makes the processor records,
//      configures preemption (slice, tick, exact accounting), spawns main, and says "ready" with the tick
//      words' address and the tick;
//   3. only on that "ready" start processors 1..count-1 — they must not run before the memory is
//      initialised, so this step must follow step 2's message, not its start; each says "ready" once set up;
//   4. when all have, store 1 in go and notify it: every processor waits on go before its loop
//      (host/mn/processor.ts), so all loops start at once and work spreads from the start; then post the
//      ticker its data (unless options.preempt is false: no ticker), and it raises the request word of
//      each processor running a thread every tick, so that threads that never yield are preempted
//      (host/mn/ticker.ts, "Ticker protocol"); and give options.onStart a reader of the tables
//      (host/kernel/tables.ts, tableReader);
//   5. every processor runs until its loop returns RUN_EXITED or RUN_DEADLOCK (all of them see the same
//      end) and says "result";
//   6. the run's result is processor 0's (it reads the shared thread table), with the output of all of
//      them in the order it was printed (each line carries a number taken from a shared counter). An
//      "error" message, a failed Worker (the ticker's included) or the timeout fails the run instead.
//      Either way the ticker is told to stop and every Worker is terminated before runShared returns.
// 1:1: step 2 only (count 1, go is 1 at once); a "start" message starts processor i for a new thread (it
// skips step 3's wait: the memory is initialised); a processor whose thread ended says "result" with
// status "retired" and is terminated; processor 0's result ends the run. No ticker: each thread has a
// processor of its own, so there is nobody to preempt it for.

import { loadModule, WeftProgram, WeftError, type RunOptions, type RunResult } from "../kernel/runner.js";
import { gcOptionsError } from "../kernel/gcstats.js";
import { tableReader, type CoreTables } from "../kernel/tables.js";
import { TraceRecorder, threadNames, withTrace } from "../kernel/trace.js";
import { IoOwner, makeSubmissionQueues, errnoOf } from "../kernel/shared-io.js";
import { callTable, callsError } from "../kernel/calls.js";
import { ioModeError } from "../kernel/requests.js";
import { SHARED_MEMORY_MAXIMUM, PROCESSORS_MAX } from "../abi.js";
import { startWebProcessor, startWebTicker, keptWebWorkers, releaseKeptWebWorkers } from "./workers-web.js";
import type { KeptWorkers } from "./worker-pool.js";
import { preemptOptionsError, type PreemptState } from "../kernel/preempt.js";
import { stopTicker, type TickerData } from "./ticker.js";
import { WeftSignals, raiseShared, type SignalAddresses } from "../kernel/signals.js";
import type { ProcessorMessage } from "./processor.js";
import { SharedDebugger } from "./debugger.js";
import type { SharedDebugHooks } from "../kernel/debug.js";
import type { ProcessorWorker, StartProcessor, StartTicker, TickerWorker } from "./workers.js";
import { SharedProcess } from "./process.js";
import { ProcessIds, Children, ENOMEM, ENOSYS, ENOEXEC, applyActions } from "../kernel/processes.js";
import type { ProcessIo } from "../kernel/process-io.js";

export interface SharedRunOptions extends Pick<RunOptions,
  "stdout" | "stderr" | "onThreadDied" | "saveAreaMax" | "memoryLimit" | "gcPercent" | "slice" | "tick" | "exactAccounting" |
  "io" | "ioMode" | "imports" | "signals" | "deadlock" | "serve" | "trace" | "args" | "loadProgram"> {
  /** Processors (Workers); default 2. At most 64. Ignored by the 1:1 model. */
  processors?: number;
  /** "M:N" (default): `processors` Workers share the threads. "1:1": a Worker per thread, started when
   *  the thread is spawned (main's is the first), ended when it finishes; same API, for comparison. */
  model?: "M:N" | "1:1";
  /** Stops every processor and fails the run after this long (ms). Default: no limit. */
  timeoutMs?: number;
  /** M:N: run the ticker, so that a thread that never yields is preempted (host/mn/ticker.ts). Default
   *  true; false leaves such a thread on its processor until it yields or blocks. */
  preempt?: boolean;
  /** Told once every processor is set up (step 4), with the run's thread and group tables: a page can
   *  draw readThreadStats(tables) / readGroups(tables) while the processors run (best-effort snapshots,
   *  host/kernel/tables.ts, tableReader). */
  onStart?: (tables: CoreTables) => void;
  /** A debugger (host/kernel/debug.ts): debugBreak() or pause() stops the whole program, every processor
   *  with it, and onStop is called with a session whose calls are Promises; the program goes on when it
   *  returns. M:N only. */
  debug?: SharedDebugHooks;
  /** Internal (processes on processors, host/mn/process.ts): this run is a child process — id `pid`, parent
   *  `ppid`, of the family `ids`, with the descriptor table `io` and the family's clock origin `t0`. A
   *  fork's child runs over `fork.memory`, the parent's copy, and `fork.request` is the fork request of
   *  its one thread; a spawned one starts afresh. */
  family?: SharedFamily;
}

/** What a child process of a shared run is given (SharedRunOptions.family). */
export interface SharedFamily {
  pid: number; ppid: number; ids: ProcessIds; io: ProcessIo; t0: number;
  /** exec: the children of the process this image takes the place of. */
  children?: Children;
  fork?: { memory: WebAssembly.Memory; request: number };
}

/** The refusal on a page without cross-origin isolation (step 1). */
export const NOT_ISOLATED = "M:N needs a cross-origin isolated page (COOP/COEP headers): serve it with " +
  "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, or run it on one processor with run()";

/** Node (Deno and Bun say so too, and implement node:worker_threads as Node does). */
function inNode(): boolean {
  return typeof process === "object" && typeof process?.versions?.node === "string";
}

/** Shared memory exists here and may go to Workers: always in Node; in a browser only when the page is
 *  cross-origin isolated. */
function sharedMemoryAllowed(): boolean {
  return typeof SharedArrayBuffer === "function" &&
    (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/** Node's Workers, once a run in Node has loaded them. */
let nodeWorkers: typeof import("./workers-node.js") | undefined;

/** Node's Workers in Node (loaded only there), the web's everywhere else. */
async function workerStarters(): Promise<{ processor: StartProcessor; ticker: StartTicker }> {
  if (!inNode()) return { processor: startWebProcessor, ticker: startWebTicker };
  nodeWorkers ??= await import("./workers-node.js");
  return { processor: nodeWorkers.startNodeProcessor, ticker: nodeWorkers.startNodeTicker };
}

/** How many Workers runShared keeps idle for the next run here (host/mn/worker-pool.ts), processors'
 *  and tickers'. */
export function keptWorkers(): KeptWorkers {
  if (!inNode()) return keptWebWorkers();
  return nodeWorkers?.keptWorkers() ?? { processors: 0, tickers: 0 };
}

/** Terminates every Worker runShared keeps idle here, now (before their keep time ends). */
export function releaseKeptWorkers(): Promise<void> {
  return inNode() ? nodeWorkers?.releaseKeptWorkers() ?? Promise.resolve() : releaseKeptWebWorkers();
}

/** Runs a shared weft module on `processors` Workers: Node's worker_threads in Node, module Web Workers
 *  in a browser (on a cross-origin isolated page). */
export async function runShared(source: BufferSource | WebAssembly.Module, options: SharedRunOptions = {}): Promise<RunResult> {
  const oneToOne = options.model === "1:1";
  if (options.model !== undefined && options.model !== "M:N" && !oneToOne) throw new WeftError(`model must be "M:N" or "1:1", got ${JSON.stringify(options.model)}`);
  const count = oneToOne ? 1 : options.processors ?? 2;
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new WeftError(`processors must be 1 to 64, got ${count}`);
  const preemptError = preemptOptionsError(options) ?? gcOptionsError(options);
  if (preemptError) throw new WeftError(preemptError);
  // A schedule on processors is not one the core chooses (kernel/explore.ts, design note).
  if ((options as { seed?: unknown }).seed !== undefined) throw new WeftError("a seeded run is N:1: use run(), or weft run --seed, which runs on one processor");
  if (options.debug !== undefined) {
    if (typeof (options.debug as { onStop?: unknown } | null)?.onStop !== "function") throw new WeftError("debug must be an object with onStop (consoleDebugger makes one)");
    if (oneToOne) throw new WeftError("the 1:1 model has no debugger: each thread is pinned to a processor of its own, which a step cannot borrow (use M:N)");
  }
  const modeError = ioModeError(options.ioMode);
  if (modeError) throw new WeftError(modeError);
  if (options.io !== undefined && typeof (options.io as { submit?: unknown } | null)?.submit !== "function") {
    throw new WeftError("io must be an I/O host (an object with submit, turn and close: NodeIo, WebIo)");
  }
  if (options.preempt !== undefined && typeof options.preempt !== "boolean") throw new WeftError(`preempt must be true or false, got ${JSON.stringify(options.preempt)}`);
  const ticking = !oneToOne && options.preempt !== false;
  const signals = options.signals;
  if (signals !== undefined && !(signals instanceof WeftSignals)) throw new WeftError("signals must be a WeftSignals (import { WeftSignals } from \"weft\")");
  if (!sharedMemoryAllowed()) throw new WeftError(NOT_ISOLATED);
  const starters = await workerStarters();
  const module = await loadModule(source, true, options.imports);
  const calls = callTable(module);
  const uncalled = callsError(calls, options.imports);
  if (uncalled) throw new WeftError(uncalled);
  // Made at its maximum, so that it never grows while processors run: V8 tells the other Workers of a
  // grow lazily (each updates its instance at its next interrupt check), and a processor that reaches
  // the new pages first — a thread record or a value another processor allocated there — traps with
  // "memory access out of bounds" (seen as a hang of 1 run in ~40 on 4 processors, until a failed
  // processor ended the run). The pages cost nothing until touched; the module's own minimum stays
  // SHARED_MEMORY_INITIAL.
  const relatives = options.family;
  const forkOf = relatives?.fork;
  const memory = forkOf?.memory ?? new WebAssembly.Memory({ initial: SHARED_MEMORY_MAXIMUM, maximum: SHARED_MEMORY_MAXIMUM, shared: true });
  const go = new Int32Array(new SharedArrayBuffer(4));
  const sequence = new Int32Array(new SharedArrayBuffer(4));
  const held = new Map<number, ProcessorMessage>();     // output that arrived before an earlier line
  let printed = 0;                                       // the number of the next line to pass on
  const t0 = relatives?.t0 ?? performance.timeOrigin + performance.now();   // a family shares its first's clock
  const out: string[] = [], err: string[] = [];
  const workers = new Map<number, ProcessorWorker>();
  const results: (RunResult | undefined)[] = new Array(count);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let preempt: PreemptState | undefined;                  // processor 0's, from its "ready"
  const stop = new Int32Array(new SharedArrayBuffer(4));   // the ticker's stop word (host/mn/ticker.ts)
  let ticker: TickerWorker | undefined;
  let tickerData: TickerData | undefined;                  // what it was posted, once it was
  // The I/O owner (host/kernel/shared-io.ts): this thread performs every processor's system calls. Its
  // lines join print's, numbered from the same counter (step 6).
  let deliver: (m: ProcessorMessage) => void = () => {};
  const output = (fd: 1 | 2, line: string) => deliver({ kind: "line", fd, line, n: Atomics.add(sequence, 0, 1) });
  const traces = options.trace ? new TraceRecorder() : null;       // each processor's records, as they come
  // This run as a process of its family (host/mn/process.ts): waitpid, kill, args and fork's children.
  const family = new SharedProcess({
    pid: relatives?.pid ?? 1, ppid: relatives?.ppid ?? 0, ids: relatives?.ids ?? new ProcessIds(), args: options.args, memory,
    spawn: (path, args, actions, pid) => spawnChild(path, args, actions, pid),
    exec: (path, args) => execImage(path, args), children: relatives?.children,
    answer: (addr, result) => owner.answer(addr, result), say: (line) => output(2, line),
  });
  const owner: IoOwner = new IoOwner(memory, makeSubmissionQueues(oneToOne ? PROCESSORS_MAX : count, oneToOne),
    { io: relatives?.io ?? options.io, ioMode: options.ioMode, output, calls: { table: calls, imports: options.imports ?? {} }, processes: family });
  // A fork's child: the same module and options over the copy, its output this run's, nothing traced.
  const child = (copy: WebAssembly.Memory, request: number) => (pid: number) => runShared(module, {
    ...options, signals: undefined, trace: undefined, onStart: undefined, io: undefined, debug: undefined,
    stdout: (line) => output(1, line), stderr: (line) => output(2, line), onThreadDied: (message) => output(2, message),
    family: { pid, ppid: family.pid, ids: family.ids, io: owner.forkTable(), t0, fork: { memory: copy, request } },
  });

  // posixSpawn (host/mn/process.ts): another program, with a copy of this process's descriptors changed by
  // the actions; a shared module on as many processors, an N:1 one on this thread. Its end, or an errno.
  const loadChild = async (path: string): Promise<WebAssembly.Module | number> => {
    if (!options.loadProgram) return -ENOSYS;
    let source: BufferSource | WebAssembly.Module;
    try { source = await options.loadProgram(path); } catch (e) { return e instanceof WeftError ? -ENOEXEC : errnoOf(e); }
    try { return source instanceof WebAssembly.Module ? source : await WebAssembly.compile(source); } catch { return -ENOEXEC; }
  };
  const isShared = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).some((e) => e.name === "weft_init_memory");
  const childOptions = (path: string, args: string[]) => ({
    args: [path, ...args], loadProgram: options.loadProgram, ioMode: options.ioMode, imports: options.imports,
    stdout: (line: string) => output(1, line), stderr: (line: string) => output(2, line), onThreadDied: (message: string) => output(2, message),
  });
  const spawnChild = async (path: string, args: string[], actions: number[], pid: number): Promise<{ done: Promise<RunResult> } | number> => {
    const child = await loadChild(path);
    if (typeof child === "number") return child;
    const table = owner.forkTable();
    const refused = applyActions(table, actions);
    if (refused) { await table.close(); return refused; }
    const common = childOptions(path, args);
    const relativesOf = { pid, ppid: family.pid, ids: family.ids, t0 };
    if (isShared(child)) {
      return { done: runShared(child, { ...common, processors: count, model: options.model, timeoutMs: options.timeoutMs, family: { ...relativesOf, io: table } }) };
    }
    try {
      const program = await WeftProgram.load(child, { ...common, io: table, family: relativesOf });
      return { done: program.run() };
    } catch (e) {
      await table.close();
      return e instanceof WeftError ? -ENOEXEC : errnoOf(e);
    }
  };

  // exec (host/mn/process.ts): the program, loaded, takes this run's place; null once it runs, or an errno.
  let replaceRun: ((start: () => Promise<RunResult>) => void) | null = null;
  const execImage = async (path: string, args: string[]): Promise<number | null> => {
    const image = await loadChild(path);
    if (typeof image === "number") return image;
    const table = owner.ownTable();
    const common = { ...childOptions(path, args), signals: options.signals };
    const relativesOf = { pid: family.pid, ppid: family.ppid, ids: family.ids, t0, children: family.children };
    let start: () => Promise<RunResult>;
    if (isShared(image)) {
      start = () => runShared(image, { ...common, processors: count, model: options.model, timeoutMs: options.timeoutMs, family: { ...relativesOf, io: table } });
    } else {
      let program: WeftProgram;
      try { program = await WeftProgram.load(image, { ...common, io: table, family: relativesOf }); }
      catch (e) { return e instanceof WeftError ? -ENOEXEC : errnoOf(e); }
      start = () => program.run();
    }
    owner.ownTable(true);
    replaceRun?.(start);
    return null;
  };

  let fail: (error: unknown) => void = () => {};
  const debugging = options.debug ? new SharedDebugger(options.debug, (error) => fail(error)) : null;
  try {
    return await new Promise<RunResult>((resolve, reject) => {
      fail = reject;
      let replaced = false;
      replaceRun = (start) => {
        // Every thread of this image is gone with its processors; the new one's end is this run's (it
        // takes the signal source over: detached first).
        replaced = true;
        signals?.detach();
        const image = start();
        stopTicker(stop, tickerData);
        clearTimeout(timer);
        for (const w of workers.values()) void w.terminate();
        workers.clear();
        image.then((r) => resolve({ ...r, stdout: out.length ? out.join("\n") + "\n" : "", stderr: err.length ? err.join("\n") + "\n" : "" }), reject);
      };
      let ready = 0, done = 0;
      let signalsAt: SignalAddresses | null = null;          // processor 0's, from its "ready"
      const pass = (m: ProcessorMessage) => {
        if (m.kind === "line") {
          (m.fd === 2 ? err : out).push(m.line);
          (m.fd === 2 ? options.stderr : options.stdout)?.(m.line);
        } else if (m.kind === "died") {
          err.push(m.message);
          (options.onThreadDied ?? options.stderr)?.(m.message);
        }
      };
      // The run's result waits for every line numbered before it: lines come through each processor's own
      // port, and one processor's may arrive after another's result (1:1: a retired thread's processor).
      let ending: (() => void) | null = null;
      const endWhenPrinted = (end: () => void) => {
        if (printed >= Atomics.load(sequence, 0)) end();
        else ending = end;
      };
      const onMessage = (index: number, m: ProcessorMessage) => {
        if (replaced && m.kind !== "line" && m.kind !== "died") return;     // exec: what the old image's processors said last
        if (m.kind === "io") owner.kick();
        else if (m.kind === "trace") traces?.add(index, m.records, m.dropped);
        else if (m.kind === "line" || m.kind === "died") {
          held.set(m.n, m);
          for (let next = held.get(printed); next; next = held.get(printed)) { held.delete(printed++); pass(next); }
          if (ending && printed >= Atomics.load(sequence, 0)) { const end = ending; ending = null; end(); }
        } else if (m.kind === "answer") {
          owner.answerFor(index, m.ring, m.request, m.result);
        } else if (m.kind === "debug-stop") {
          debugging?.stopped(workers.get(index), m.stop);
        } else if (m.kind === "debug-answer") {
          debugging?.answered(m.seq, m.value, m.error);
        } else if (m.kind === "fork") {
          if (!m.copy) owner.answerFor(index, m.ring, m.request, -ENOMEM);
          else owner.answerFor(index, m.ring, m.request, family.fork(child(m.copy, m.request)));
        } else if (m.kind === "start") {
          start(m.index);                                                               // 1:1: a new thread
        } else if (m.kind === "ready") {
          if (index === 0) {                                                          // step 3
            preempt = m.preempt;
            const at = m.signals;
            signalsAt = at;
            signals?.attach((sig) => raiseShared(memory, at, sig));
            family.ready((sig) => raiseShared(memory, at, sig));
            for (let i = 1; i < count; i++) start(i);
          }
          if (++ready === count) {                                                    // step 4
            Atomics.store(go, 0, 1);
            Atomics.notify(go, 0);
            if (ticker && preempt) ticker.post(tickerData = { memory, requests: preempt.requests, processors: count, tick: preempt.tick, stop });
            if (options.onStart) tableReader(module, memory).then(options.onStart).catch(reject);
            if (debugging && signalsAt) debugging.started(memory, signalsAt);
          }
        } else if (m.kind === "result" && m.result.status === "retired") {
          const w = workers.get(index);                                                 // 1:1: its thread ended
          workers.delete(index);
          void w?.terminate();
          reported(index);
        } else if (m.kind === "result" && m.failed && !(oneToOne && index === 0)) {
          // A processor whose loop could not go on (its scheduler trapped): the others would wait for
          // it for ever (its queue, its wake-ups), so the run ends here, with its reason.
          results[index] = m.result;
          const r = m.result;
          resolve({ ...r, error: `processor ${index}: ${r.error ?? "its loop ended in an error"}`,
            stdout: out.length ? out.join("\n") + "\n" : "", stderr: err.length ? err.join("\n") + "\n" : "", io: owner.stats });
        } else if (m.kind === "result") {
          results[index] = m.result;
          reported(index);
          if (oneToOne ? index === 0 : ++done === count) {                             // step 6
            const r = results[0]!;
            afterTraces(() => endWhenPrinted(() => {
              const result = { ...r, stdout: out.length ? out.join("\n") + "\n" : "", stderr: err.length ? err.join("\n") + "\n" : "", io: owner.stats };
              resolve(traces ? withTrace(result, () => traces.trace(threadNames(r.threads, r.threadStats))) : result);
            }));
          }
        } else if (m.kind === "error") {
          reject(m.name === "WeftError" ? new WeftError(m.message) : new Error(`processor ${index}: ${m.message}`));
        }
      };
      // A traced 1:1 run ends once every processor has said its last (its trace comes before its result):
      // the processor of a thread that ended just before main may still be sending its records.
      const unreported = new Set<number>();
      let tracesDone: (() => void) | null = null;
      const reported = (index: number) => {
        unreported.delete(index);
        if (tracesDone && unreported.size === 0) { const end = tracesDone; tracesDone = null; end(); }
      };
      const afterTraces = (end: () => void) => {
        if (!traces || !oneToOne || unreported.size === 0) end();
        else tracesDone = end;
      };
      const start = (index: number) => {
        unreported.add(index);
        workers.set(index, starters.processor(
          {
            module, memory, index, count, t0, go, sequence, oneToOne, saveAreaMax: options.saveAreaMax, memoryLimit: options.memoryLimit, gcPercent: options.gcPercent,
            slice: options.slice, tick: options.tick, exactAccounting: options.exactAccounting, signalSource: signals !== undefined || relatives !== undefined,
            forkChild: forkOf && index === 0 ? { request: forkOf.request, pid: relatives!.pid, ppid: relatives!.ppid } : undefined,
            deadlock: options.deadlock, serve: options.serve, trace: options.trace, ...(debugging ? { debug: { pause: debugging.pauseWord } } : {}),
            io: { queues: owner.shared, mode: owner.ioMode, signal: owner.needsSignal, sends: owner.sends?.table },
          },
          { onMessage: (m) => onMessage(index, m), onFailure: (reason) => reject(new Error(`processor ${index} failed: ${reason}`)) },
        ));
      };
      deliver = (m) => onMessage(-1, m);
      owner.start();
      start(0);                                                                       // step 2
      if (ticking) ticker = starters.ticker((reason) => reject(new Error(`the ticker failed: ${reason}`)));
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => reject(new WeftError(`the run did not end within ${options.timeoutMs} ms; its processors were stopped`)), options.timeoutMs);
      }
    });
  } finally {
    debugging?.close();
    family.end();
    signals?.detach();
    clearTimeout(timer);
    stopTicker(stop, tickerData);
    await Promise.all([...workers.values(), ...(ticker ? [ticker] : [])].map((w) => w.terminate()));
    await owner.close();                                 // sockets, files, helpers: nothing stays open
  }
}
