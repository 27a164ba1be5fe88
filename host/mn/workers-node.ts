// Processors and the ticker on Node's worker_threads (host/mn/run.ts's StartProcessor and StartTicker for
// Node; imported only in Node). A processor's Worker runs host/mn/processor-worker.ts, the ticker's
// host/mn/ticker-worker.ts; each is posted its data, and may be posted another run's after that: Workers
// whose part in a run ended cleanly are kept for the next run (host/mn/worker-pool.ts, design note), and
// while idle they do not keep the process alive. WEFT_KEEP_WORKERS_MS sets how long one is kept (0: none).
import { Worker } from "node:worker_threads";
import { IDLE_KEEP_MS, pooledWorkers, type KeptWorkers, type PooledWorker } from "./worker-pool.js";
import type { StartProcessor, StartTicker } from "./workers.js";

export { IDLE_KEEP_MS, IDLE_PROCESSORS } from "./worker-pool.js";

const SCRIPTS = { processor: "./processor-worker.js", ticker: "./ticker-worker.js" };

function spawn(kind: "processor" | "ticker"): PooledWorker {
  // execArgv: [] so the parent's flags (a test runner's loaders, --inspect) do not reach our Workers.
  const worker = new Worker(new URL(SCRIPTS[kind], import.meta.url), { execArgv: [] });
  return {
    postMessage: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
    onMessage: (handler) => { worker.on("message", handler); },
    onFailure: (handler) => { worker.on("error", (error) => handler(error.message)); },
    onExit: (handler) => { worker.once("exit", (code) => handler(`its Worker exited (code ${code})`)); },
    hold: (held) => { if (held) worker.ref(); else worker.unref(); },
  };
}

/** How long an idle Worker is kept: WEFT_KEEP_WORKERS_MS if it is a number of ms, else IDLE_KEEP_MS. */
function keepMs(): number {
  const text = process.env.WEFT_KEEP_WORKERS_MS?.trim();
  const set = text ? Number(text) : NaN;
  return Number.isFinite(set) && set >= 0 ? set : IDLE_KEEP_MS;
}

const pool = pooledWorkers(spawn, keepMs);
export const startNodeProcessor: StartProcessor = pool.startProcessor;
export const startNodeTicker: StartTicker = pool.startTicker;

/** How many Workers are kept idle now, processors' and tickers' (tests, diagnostics). */
export function keptWorkers(): KeptWorkers {
  return pool.kept();
}

/** Terminates every idle Worker now (a measurement of memory that must not count them, a host that
 *  wants them gone before their time). */
export function releaseKeptWorkers(): Promise<void> {
  return pool.release();
}
