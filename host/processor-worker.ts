// One processor of an M:N run (host/mn.ts): a Worker that instantiates the shared module over the shared
// memory and runs the scheduler loop. Output, deaths and the end of the run go to the parent as messages.
import { parentPort, workerData } from "node:worker_threads";
import { WeftProgram } from "./runner.js";

interface Data {
  module: WebAssembly.Module; memory: WebAssembly.Memory; index: number; count: number; t0: number;
  /** Word 0 becomes 1 when every processor is set up (host/mn.ts): processor 0 waits for it to run. */
  go: Int32Array;
  saveAreaMax?: number; memoryLimit?: number;
}
const data = workerData as Data;
const post = (message: unknown) => parentPort!.postMessage(message);

WeftProgram.load(data.module, {
  saveAreaMax: data.saveAreaMax,
  memoryLimit: data.memoryLimit,
  stdout: (line) => post({ kind: "line", fd: 1, line }),
  stderr: (line) => post({ kind: "line", fd: 2, line }),
  onThreadDied: (message) => post({ kind: "died", message }),
  processor: {
    memory: data.memory, index: data.index, count: data.count, t0: data.t0,
    onReady: () => post({ kind: "ready" }),
    beforeLoop: () => { while (Atomics.load(data.go, 0) === 0) Atomics.wait(data.go, 0, 0); },
  },
}).then((program) => program.run()).then(
  (result) => post({ kind: "result", result }),
  (error) => post({ kind: "error", message: String((error as Error)?.message ?? error), name: (error as Error)?.name }),
);
