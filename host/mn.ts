// M:N on Node: a shared module (weft build --shared) run by `processors` Workers over one shared memory.
// Each Worker is a processor (host/processor-worker.ts; the core's side is assembly/processor.ts).
//
// Start protocol: processor 0 starts alone; it applies the data segments, sets the shared globals, runs
// the program's initialisers, makes the processor records, spawns main, and says "ready"; only then do
// the others start (they must not run before the memory is initialised). Each says "ready" once set up,
// and no loop runs until all are (the `go` word), so work spreads from the start. Every processor runs until the
// loop returns RUN_EXITED or RUN_DEADLOCK (all of them see the same end). The run's result is processor
// 0's (it reads the shared thread table), with the output of all of them in the order it arrived here.

import { Worker } from "node:worker_threads";
import { loadModule, WeftError, type RunOptions, type RunResult } from "./runner.js";
import { SHARED_MEMORY_INITIAL, SHARED_MEMORY_MAXIMUM } from "./abi.js";

export interface SharedRunOptions extends Pick<RunOptions, "stdout" | "stderr" | "onThreadDied" | "saveAreaMax" | "memoryLimit"> {
  /** Processors (Workers); default 2. At most 64. */
  processors?: number;
  /** Stops every processor and fails the run after this long (ms). Default: no limit. */
  timeoutMs?: number;
}

/** Runs a shared weft module on `processors` Workers. */
export async function runShared(source: BufferSource | WebAssembly.Module, options: SharedRunOptions = {}): Promise<RunResult> {
  const count = options.processors ?? 2;
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new WeftError(`processors must be 1 to 64, got ${count}`);
  const module = await loadModule(source, true);
  const memory = new WebAssembly.Memory({ initial: SHARED_MEMORY_INITIAL, maximum: SHARED_MEMORY_MAXIMUM, shared: true });
  const t0 = performance.timeOrigin + performance.now();
  const out: string[] = [], err: string[] = [];
  const workers: Worker[] = [];
  const results: (RunResult | undefined)[] = new Array(count);

  try {
    return await new Promise<RunResult>((resolve, reject) => {
      let done = 0, ready = 0;
      const go = new Int32Array(new SharedArrayBuffer(4));
      const start = (index: number) => {
        const worker = new Worker(new URL("./processor-worker.js", import.meta.url), {
          workerData: { module, memory, index, count, t0, go, saveAreaMax: options.saveAreaMax, memoryLimit: options.memoryLimit },
          execArgv: [],
        });
        workers.push(worker);
        worker.on("message", (m: any) => {
          if (m.kind === "line") {
            (m.fd === 2 ? err : out).push(m.line);
            (m.fd === 2 ? options.stderr : options.stdout)?.(m.line);
          } else if (m.kind === "died") {
            err.push(m.message);
            (options.onThreadDied ?? options.stderr)?.(m.message);
          } else if (m.kind === "ready") {
            // Processor 0 is ready: start the others; when all are, let every loop run at once.
            if (index === 0) for (let i = 1; i < count; i++) start(i);
            if (++ready === count) { Atomics.store(go, 0, 1); Atomics.notify(go, 0); }
          } else if (m.kind === "result") {
            results[index] = m.result;
            if (++done === count) {
              const r = results[0]!;
              resolve({ ...r, stdout: out.length ? out.join("\n") + "\n" : "", stderr: err.length ? err.join("\n") + "\n" : "" });
            }
          } else if (m.kind === "error") {
            reject(m.name === "WeftError" ? new WeftError(m.message) : new Error(`processor ${index}: ${m.message}`));
          }
        });
        worker.on("error", (e) => reject(new Error(`processor ${index} failed: ${e.message}`)));
      };
      start(0);
      if (options.timeoutMs !== undefined) {
        const timer = setTimeout(() => reject(new WeftError(`the run did not end within ${options.timeoutMs} ms; its processors were stopped`)), options.timeoutMs);
        timer.unref();
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
