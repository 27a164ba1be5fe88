// Runs a module with the host functions tests/programs/host_calls.ts and host_sync.ts import, in this
// process (functions cannot be handed to the tests' worker threads): `node tests/host-calls-run.mjs
// app.wasm <N:1|M:N|1:1> [imports]` prints the run's result as JSON. `imports` "none" gives no functions.
import { readFileSync } from "node:fs";
import { run, WeftError } from "../dist/host/kernel/runner.js";
import { runShared } from "../dist/host/mn/run.js";

const [file, model, which] = process.argv.slice(2);
let ticks = 0;
const waiting = [];
const imports = { app: {
  add: (a, b) => a + b,
  scale: (x, by) => x * by,
  wide: (x) => x * 3n + 1n,
  tick: () => { ticks++; for (const w of waiting.splice(0)) w(); return ticks; },
  whenTicked: (n) => new Promise((resolve) => { const check = () => (ticks >= n ? resolve(ticks) : waiting.push(check)); check(); }),
  later: (x, ms) => new Promise((resolve) => setTimeout(() => resolve(x * 2), ms)),
  greet(ptr) { return `hello, ${this.string(ptr)}!`; },
  checksum(ptr) { return this.bytes(ptr).reduce((a, b) => a + b, 0); },
  pattern: (n) => Uint8Array.from({ length: n }, (_, i) => i * i),
  throws: () => { throw new Error("no such user"); },
  rejects: async () => { throw new Error("the service is down"); },
  nothing: () => {},
  bad: () => ({}),
  promise: () => Promise.resolve(1),
} };
const wasm = readFileSync(file);
const options = { imports: which === "none" ? undefined : imports, timeoutMs: 60_000 };
try {
  const r = model === "N:1" ? await run(wasm, options)
    : await runShared(wasm, { ...options, model, processors: model === "M:N" ? 2 : undefined });
  console.log(JSON.stringify({ status: r.status, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, error: r.error ?? null }));
} catch (e) {
  console.log(JSON.stringify({ thrown: e instanceof WeftError ? "WeftError" : e.name, message: e.message }));
}
