// One offload helper (pool.ts): runs each synchronous system call it is sent and answers.
import { parentPort } from "node:worker_threads";
import { SYNC_OPS } from "./sync-ops.js";
import "./files.js";      // registers the file system's operations in SYNC_OPS

parentPort!.on("message", ({ op, args }: { op: string; args: unknown }) => {
  const fn = SYNC_OPS[op];
  let answer;
  try { answer = fn ? fn(args) : { result: -95 /* ENOTSUP */ }; }
  catch (e) { answer = { result: -5 /* EIO */, error: String((e as Error)?.message ?? e) }; }
  parentPort!.postMessage(answer, answer.data ? [answer.data.buffer as ArrayBuffer] : []);
});
