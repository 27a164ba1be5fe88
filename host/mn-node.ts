// Processors on Node's worker_threads (host/mn.ts's StartProcessor for Node; imported only in Node).
// Each Worker runs host/processor-worker.ts, with the processor's data as its workerData.
import { Worker } from "node:worker_threads";
import { isProcessorMessage } from "./processor.js";
import type { StartProcessor } from "./mn.js";

export const startNodeProcessor: StartProcessor = (data, events) => {
  // execArgv: [] so the parent's flags (a test runner's loaders, --inspect) do not reach the processors.
  const worker = new Worker(new URL("./processor-worker.js", import.meta.url), { workerData: data, execArgv: [] });
  worker.on("message", (message: unknown) => { if (isProcessorMessage(message)) events.onMessage(message); });
  worker.on("error", (error) => events.onFailure(error.message));
  return worker;
};
