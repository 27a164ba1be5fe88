// A debugger on processors, on the thread that started the run (host/kernel/debug.ts says how a stop on
// processors is made): each stop a processor reports runs the hook with a session whose calls travel to
// that processor and back; when the hook settles, the processor lets the world go on. pause() asks
// processor 0 for a turn of its host (its turn flag), where it sees the pause word; it asks again every
// few ms until the pause is taken, since a processor about to sleep when first asked sleeps on
// (assembly/core/processor.ts, hostTurnAsked).
// Web-standard APIs only: this file runs in Node and in browsers.

import { WeftError } from "../kernel/weft-error.js";
import { turnShared, type SignalAddresses } from "../kernel/signals.js";
import type { DebugStop, DebugThread, SharedDebugHooks, SharedDebugSession, StepResult } from "../kernel/debug.js";
import type { DebugRequest } from "./processor.js";
import type { ProcessorWorker } from "./workers.js";

/** How often a pause not yet taken is asked for again (ms). */
const ASK_AGAIN_MS = 5;

export class SharedDebugger {
  /** Word 0 becomes 1 when a pause is asked; processor 0 takes it (ProcessorData.debug). Shared. */
  readonly pauseWord = new Int32Array(new SharedArrayBuffer(4));
  private asked = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private seq = 0;
  private closed = false;

  /** `failed` ends the run with a hook's error, as run() does when its hook throws. */
  constructor(private readonly hooks: SharedDebugHooks, private readonly failed: (error: unknown) => void) {}

  /** Step 4 of the start protocol: every processor runs; processor 0's addresses say where to ask it. */
  started(memory: WebAssembly.Memory, processor0: SignalAddresses): void {
    this.hooks.onStart?.({
      pause: () => {
        Atomics.store(this.pauseWord, 0, 1);
        const ask = () => {
          if (this.closed || Atomics.load(this.pauseWord, 0) === 0) return;   // the run ended, or it was taken
          turnShared(memory, processor0);
          setTimeout(ask, ASK_AGAIN_MS);
        };
        ask();
      },
    });
  }

  /** Processor `worker` holds the program stopped for `stop`. */
  stopped(worker: ProcessorWorker | undefined, stop: DebugStop): void {
    if (!worker?.send) return;
    const send = worker.send.bind(worker);
    let open = true;
    const ask = <T>(op: DebugRequest["op"], id?: number): Promise<T> => {
      if (!open) return Promise.reject(new WeftError("a debug session is used after its hook returned"));
      const seq = ++this.seq;
      return new Promise<T>((resolve, reject) => {
        this.asked.set(seq, { resolve: resolve as (value: unknown) => void, reject });
        send({ kind: "debug", op, seq, ...(id !== undefined ? { id } : {}) });
      });
    };
    const session: SharedDebugSession = {
      threads: () => ask<DebugThread[]>("threads"),
      thread: (id) => ask<DebugThread | null>("thread", id),
      step: (id) => ask<StepResult>("step", id),
    };
    Promise.resolve()
      .then(() => this.hooks.onStop(session, stop))
      .catch((error) => this.failed(error))
      .finally(() => { open = false; send({ kind: "debug", op: "go" }); });
  }

  /** The run ended: no more asking. */
  close(): void { this.closed = true; }

  /** A processor's answer to a session call. */
  answered(seq: number, value: unknown, error: string | undefined): void {
    const waiting = this.asked.get(seq);
    if (!waiting) return;
    this.asked.delete(seq);
    if (error !== undefined) waiting.reject(new WeftError(error)); else waiting.resolve(value);
  }
}
