// Processors and the ticker on Node's worker_threads (host/mn/run.ts's StartProcessor and StartTicker for
// Node; imported only in Node). A processor's Worker runs host/mn/processor-worker.ts with its data as its
// workerData; the ticker's runs host/mn/ticker-worker.ts and is posted its data later.
import { Worker } from "node:worker_threads";
import { isProcessorMessage } from "./processor.js";
import type { StartProcessor, StartTicker } from "./workers.js";

export const startNodeProcessor: StartProcessor = (data, events) => {
  // execArgv: [] so the parent's flags (a test runner's loaders, --inspect) do not reach the processors.
  const worker = new Worker(new URL("./processor-worker.js", import.meta.url), { workerData: data, execArgv: [] });
  worker.on("message", (message: unknown) => { if (isProcessorMessage(message)) events.onMessage(message); });
  worker.on("error", (error) => events.onFailure(error.message));
  return { terminate: () => worker.terminate(), send: (request) => worker.postMessage(request) };
};

export const startNodeTicker: StartTicker = (onFailure) => {
  const worker = new Worker(new URL("./ticker-worker.js", import.meta.url), { execArgv: [] });
  worker.on("error", (error) => onFailure(error.message));
  return { post: (data) => worker.postMessage(data), terminate: () => worker.terminate() };
};
