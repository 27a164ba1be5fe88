// Runs one weft module in a worker thread for tests/harness.ts, so a program that never ends can be
// stopped (a Wasm loop cannot be interrupted from the thread it runs on).
import { parentPort, workerData } from "node:worker_threads";
import { run } from "../dist/host/kernel/runner.js";
import { NodeIo } from "../dist/host/io/node.js";

const { wasm, options } = workerData;
const { node, ...runOptions } = options;
run(wasm, { ...runOptions, io: new NodeIo(node ?? {}) }).then(
  (result) => parentPort.postMessage({ result }),
  (error) => parentPort.postMessage({ error: { name: error?.name, message: String(error?.message ?? error) } }),
);
