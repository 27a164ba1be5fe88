// Processors and the ticker on a browser's Web Workers (host/mn/run.ts's StartProcessor and StartTicker
// everywhere but Node). Each is a module Worker running host/mn/processor-worker-web.ts (the ticker:
// host/mn/ticker-worker-web.ts), found beside this file (/dist/host/), and gets each run's data as a
// message: the compiled module is cloned, the memory and the go and stop words are shared (which the page
// may do only when cross-origin isolated; host/mn/run.ts checks that first). Workers whose part in a run
// ended cleanly are kept for the page's next run (host/mn/worker-pool.ts, design note), IDLE_KEEP_MS each.
// Web-standard APIs only; nothing here waits.
import { IDLE_KEEP_MS, pooledWorkers, type KeptWorkers, type PooledWorker } from "./worker-pool.js";
import type { StartProcessor, StartTicker } from "./workers.js";

const SCRIPTS = { processor: "./processor-worker-web.js", ticker: "./ticker-worker-web.js" };

function spawn(kind: "processor" | "ticker"): PooledWorker {
  const script = new URL(SCRIPTS[kind], import.meta.url);
  const worker = new Worker(script, { type: "module", name: `weft ${kind}` });
  const failures: ((reason: string) => void)[] = [];
  worker.onerror = (event) => {
    event.preventDefault();             // handled: the run fails with it, the page logs no uncaught error
    for (const f of failures) f(event.message || `its script ${script.href} did not load or threw`);
  };
  worker.onmessageerror = () => { for (const f of failures) f("a message from it could not be received"); };
  return {
    postMessage: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
    onMessage: (handler) => worker.addEventListener("message", (event) => handler(event.data)),
    onFailure: (handler) => { failures.push(handler); },
  };
}

const pool = pooledWorkers(spawn, () => IDLE_KEEP_MS);
export const startWebProcessor: StartProcessor = pool.startProcessor;
export const startWebTicker: StartTicker = pool.startTicker;

/** How many Workers this page keeps idle now, processors' and tickers'. */
export function keptWebWorkers(): KeptWorkers {
  return pool.kept();
}

/** Terminates every idle Worker of this page now. */
export function releaseKeptWebWorkers(): Promise<void> {
  return pool.release();
}
