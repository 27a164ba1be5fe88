// One processor of an M:N run, inside its Worker: what it is given, what it says, and its whole life.
// Node's Worker (processor-worker.ts) and a browser's (processor-worker-web.ts) both only call
// runProcessor; the start protocol this takes part in is host/mn/run.ts's ("Start protocol").
// Web-standard APIs only: this file runs in Node and in browsers.

import { WeftProgram, type RunResult } from "../kernel/runner.js";
import { IoClient, type IoMode, type SocketCalls } from "../kernel/shared-io.js";
import type { PreemptState } from "../kernel/preempt.js";
import type { SignalAddresses } from "../kernel/signals.js";
import type { DebugSession, DebugStop } from "../kernel/debug.js";

/** What a processor's Worker is given (posted, or Node's workerData). Every field is cloned into the
 *  Worker except `memory`, `go`, `sequence`, `io.queues` and `io.sends`, which are shared. */
export interface ProcessorData {
  /** The shared module, compiled once by host/mn/run.ts (a WebAssembly.Module clones without recompiling). */
  module: WebAssembly.Module;
  /** The one shared memory of the run (atomic access only, through the core and shared-io.ts). */
  memory: WebAssembly.Memory;
  index: number;
  count: number;
  /** The run's clock origin: performance.timeOrigin + performance.now() where the run started. */
  t0: number;
  /** Word 0 becomes 1 when every processor is set up (host/mn/run.ts, step 4). Written once by the thread
   *  that started the run; each processor waits on it (Atomics.wait: Workers only). */
  go: Int32Array;
  /** Word 0 numbers output lines across processors (Atomics.add when printed), so the run passes them on
   *  in program order: a thread that prints on one processor, then on another, sends its lines through
   *  two Workers, whose messages may arrive the other way round. */
  sequence: Int32Array;
  /** The 1:1 model: processor 0 starts alone and the core asks for a processor per spawned thread. */
  oneToOne?: boolean;
  saveAreaMax?: number;
  memoryLimit?: number;
  gcPercent?: number;
  /** Preemption (host/kernel/preempt.ts); processor 0 configures the core with them, for every processor. */
  slice?: number;
  tick?: number;
  exactAccounting?: boolean;
  /** The run has a signal source (SharedRunOptions.signals): processor 0 tells the core. */
  signalSource?: boolean;
  /** What a cycle of waits among some threads does (RunOptions.deadlock); processor 0 tells the core. */
  deadlock?: "report" | "abort";
  /** The instance takes calls from JavaScript (RunOptions.serve, host/serve.ts); processor 0 starts its dispatcher. */
  serve?: boolean;
  /** Record a timeline trace (RunOptions.trace): each processor sends its records ("trace" messages). */
  trace?: boolean;
  /** The run's I/O (host/kernel/shared-io.ts): the submission queues (shared), the run's I/O mode,
   *  whether to post an "io" message after ringing the owner (where it cannot Atomics.waitAsync), and the
   *  table of sockets this processor may write to itself, where the owner offers them (host/io/direct.ts). */
  io: { queues: Int32Array; mode: IoMode; signal: boolean; sends?: Int32Array };
  /** Processor 0 of a fork's child: the memory is the parent's copy (host/mn/process.ts). */
  forkChild?: { request: number; pid: number; ppid: number };
  /** The run has a debugger (host/kernel/debug.ts): word 0 of `pause` (shared) becomes 1 when it asks for
   *  a pause, which processor 0 takes. */
  debug?: { pause: Int32Array };
}

/** What the thread that started the run asks of a processor that holds the program stopped for its
 *  debugger: a session call (answered by a "debug-answer" of the same `seq`), or "go". */
export type DebugRequest = { kind: "debug"; op: "threads" | "thread" | "step" | "go"; id?: number; seq?: number };

/** What a processor tells the thread that started the run, in the order it happens. */
export type ProcessorMessage =
  | { kind: "line"; fd: 1 | 2; line: string; n: number } // a line the program printed (n: its number)
  | { kind: "died"; message: string; n: number }         // a thread died (it also goes to stderr)
  | { kind: "start"; index: number }                   // 1:1: start processor `index` for a new thread
  | { kind: "io" }                                    // submissions queued (only where data.io.signal)
  | { kind: "trace"; records: Uint8Array; dropped: number } // trace records this processor's host took
  | { kind: "answer"; request: number; ring: number; result: number } // a request this processor's host
                                                      // took (a dump): the owner answers it
  | { kind: "fork"; copy: WebAssembly.Memory | null; request: number; ring: number } // a thread forked: the
                                                      // copy made with the world stopped (null: no memory
                                                      // for it); its answer goes to the processor's ring
  | { kind: "ready"; preempt: PreemptState; signals: SignalAddresses } // set up; processor 0: memory
                                                      // initialised, main spawned
  | { kind: "debug-stop"; stop: DebugStop }            // the program stopped here for the debugger
  | { kind: "debug-answer"; seq: number; value?: unknown; error?: string } // a DebugRequest's answer
  | { kind: "result"; result: RunResult; failed: boolean } // the loop ended (every processor sees the same
                                                      // end), or `failed`: this one's loop could not go on
  | { kind: "error"; name: string; message: string }; // the processor could not load or run

/** Whether a message is one of ours: a Worker's port may carry anything. */
export function isProcessorMessage(message: unknown): message is ProcessorMessage {
  const kind = (message as { kind?: unknown } | null)?.kind;
  return kind === "line" || kind === "died" || kind === "start" || kind === "io" || kind === "trace" || kind === "fork" || kind === "answer" || kind === "ready" ||
    kind === "debug-stop" || kind === "debug-answer" || kind === "result" || kind === "error";
}

/** A processor's side of a debugger's stop: `stopped` posts it and serves the session with the requests
 *  `listen` hands over, until "go". */
function debugLink(post: (message: ProcessorMessage) => void, listen: (handler: (message: unknown) => void) => void) {
  let serving: { session: DebugSession; go: () => void } | null = null;
  listen((message) => {
    const m = message as DebugRequest;
    if (m?.kind !== "debug") return;
    const now = serving;
    if (m.op === "go") { serving = null; now?.go(); return; }
    const seq = m.seq ?? 0;
    if (!now) { post({ kind: "debug-answer", seq, error: "the program is not stopped" }); return; }
    try {
      const id = m.id ?? 0;
      post({ kind: "debug-answer", seq, value: m.op === "threads" ? now.session.threads() : m.op === "thread" ? now.session.thread(id) : now.session.step(id) });
    } catch (e) {
      post({ kind: "debug-answer", seq, error: String((e as Error)?.message ?? e) });
    }
  });
  return (stop: DebugStop, session: DebugSession) => new Promise<void>((go) => {
    serving = { session, go };
    post({ kind: "debug-stop", stop });
  });
}

/** Loads the module as processor `data.index` over the shared memory and runs its loop to the end;
 *  everything it has to say goes to `post`; `sockets` writes to and reads from the owner's sockets (Node:
 *  direct sends and reads; absent: every call crosses to the owner); `listen` hands over the messages the
 *  Worker receives after its start (a debugger's requests). Never rejects: a failure is posted as an
 *  "error" message. */
export async function runProcessor(data: ProcessorData, post: (message: ProcessorMessage) => void,
  sockets?: SocketCalls, listen?: (handler: (message: unknown) => void) => void): Promise<void> {
  try {
    const stopped = data.debug && listen ? debugLink(post, listen) : null;
    const pause = data.debug?.pause;
    const program = await WeftProgram.load(data.module, {
      saveAreaMax: data.saveAreaMax,
      memoryLimit: data.memoryLimit,
      gcPercent: data.gcPercent,
      slice: data.slice,
      tick: data.tick,
      exactAccounting: data.exactAccounting,
      deadlock: data.deadlock,
      serve: data.serve,
      trace: data.trace,
      stdout: (line) => post({ kind: "line", fd: 1, line, n: Atomics.add(data.sequence, 0, 1) }),
      stderr: (line) => post({ kind: "line", fd: 2, line, n: Atomics.add(data.sequence, 0, 1) }),
      onThreadDied: (message) => post({ kind: "died", message, n: Atomics.add(data.sequence, 0, 1) }),
      processor: {
        memory: data.memory, index: data.index, count: data.count, t0: data.t0,
        oneToOne: data.oneToOne,
        io: new IoClient(data.memory, data.io.queues, data.index, data.io.mode, data.io.signal ? () => post({ kind: "io" }) : undefined,
          data.io.sends && sockets ? { table: data.io.sends, ...sockets } : undefined),
        startProcessor: (index) => post({ kind: "start", index }),
        onTrace: (records, dropped) => post({ kind: "trace", records, dropped }),
        onFork: (copy, request, ring) => post({ kind: "fork", copy, request, ring }),
        forkChild: data.forkChild,
        answer: (request, ring, result) => post({ kind: "answer", request, ring, result }),
        ...(stopped ? { debug: { stopped, pauseAsked: () => data.index === 0 && pause !== undefined && Atomics.exchange(pause, 0, 0) === 1 } } : {}),
        signalSource: data.signalSource,
        onReady: (preempt, signals) => post({ kind: "ready", preempt, signals }),
        // Blocks this Worker, never the page: a browser lets only Workers wait.
        beforeLoop: () => { while (Atomics.load(data.go, 0) === 0) Atomics.wait(data.go, 0, 0); },
      },
    });
    const result = await program.run();
    post({ kind: "result", result, failed: program.loopFailed });
  } catch (error) {
    post({ kind: "error", name: String((error as Error)?.name ?? "Error"), message: String((error as Error)?.message ?? error) });
  }
}
