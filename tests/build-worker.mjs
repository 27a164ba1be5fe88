// One build thread of tests/build-server.ts: builds the programs it is sent, one at a time, with the
// compiled pipeline (dist/host/compiler/build.js, which `npm test` compiles first). A build is
// synchronous Binaryen work of seconds; here it holds only this thread.
import { parentPort } from "node:worker_threads";
import { build } from "../dist/host/compiler/build.js";

// Answers { result } or { error: { name, message } }, and `ms`, how long the build took.
parentPort.on("message", async ({ file, options }) => {
  const started = performance.now();
  try {
    const result = await build(file, options);
    parentPort.postMessage({ result, ms: performance.now() - started });
  } catch (error) {
    parentPort.postMessage({ error: { name: error?.name ?? "Error", message: String(error?.message ?? error) }, ms: performance.now() - started });
  }
});
