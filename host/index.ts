// weft's host API, for Node and browsers: load a built module and run it.
//   import { run } from "weft";  const result = await run(wasmBytes, { stdout: console.log });
// Building from AssemblyScript is Node-only: "weft/build". Running files from disk: "weft/node".
export { run, loadModule, WeftProgram, WeftError } from "./runner.js";
export type { RunOptions, RunResult, ThreadOutcome } from "./runner.js";
export { ABI_VERSION } from "./abi.js";
export { WebIo, type WebIoOptions } from "./io/web.js";
export type { IoHost, IoContext, IoRequest } from "./io/host.js";
export type { IoMode } from "./io/abi.js";
