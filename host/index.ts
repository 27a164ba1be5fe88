// weft's host API, for Node and browsers: load a built module and run it.
//   import { run } from "weft";  const result = await run(wasmBytes, { stdout: console.log });
// M:N (a module built with --shared) on several processors, in Node or on a cross-origin isolated page:
//   import { runShared } from "weft";  const result = await runShared(wasmBytes, { processors: 4 });
// A program's own imports (host functions; a Promise parks only the calling thread):
//   await run(wasmBytes, { imports: { app: { lookup: (id) => table[id], fetchUser: async (id) => ... } } });
// Building from AssemblyScript is Node-only: "weft/build". Running files from disk: "weft/node".
export { run, loadModule, WeftProgram, WeftError, readThreadStats, readGroups } from "./kernel/runner.js";
export type { RunOptions, RunResult, ThreadOutcome, ThreadStats, GroupStats, CoreTables } from "./kernel/runner.js";
export type { PreemptOptions } from "./kernel/preempt.js";
export type { DebugHooks, DebugSession, DebugStop, DebugThread, StepResult, SharedDebugHooks, SharedDebugSession } from "./kernel/debug.js";
export type { BacktraceFrame } from "./kernel/backtrace.js";
export { consoleDebugger } from "./kernel/debug.js";
export { runShared, keptWorkers, releaseKeptWorkers, type SharedRunOptions } from "./mn/run.js";
export { start, type WeftApp } from "./serve.js";
export type { CallableExport, CallKind } from "./abi.js";
export { ABI_VERSION } from "./abi.js";
export { WeftSignals, signalName, signalNumber, SIGNAL_NUMBERS } from "./kernel/signals.js";
export { WebIo, type WebIoOptions } from "./io/web.js";
export type { IoHost, IoContext, IoRequest } from "./io/host.js";
export type { IoMode } from "./io/abi.js";
export type { HostImports, CallContext } from "./kernel/calls.js";
