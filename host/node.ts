// Node-only conveniences: run a .wasm or .ts file from disk.
import { readFile } from "node:fs/promises";
import { run, WeftError, type RunOptions, type RunResult } from "./kernel/runner.js";
import { NodeIo, type NodeIoOptions } from "./io/node.js";
import { start, type WeftApp } from "./serve.js";

export { NodeIo, type NodeIoOptions };
/** The Workers runShared keeps for the next run (host/mn/workers-node.ts): how many wait, and ending them now. */
export { keptWorkers, releaseKeptWorkers } from "./mn/workers-node.js";

/** Runs `file`: a built .wasm, or an AssemblyScript .ts that is built first. Its system calls go to
 *  Node's I/O host with what `grants` allows (nothing but stdio by default), unless options.io is set.
 *  The compiler (asc and Binaryen, seconds to load) is loaded only for a .ts file. */
export async function runFile(file: string, options: RunOptions & { grants?: NodeIoOptions } = {}): Promise<RunResult> {
  const { grants, ...runOptions } = options;
  options = { args: [file], loadProgram: loadFromDisk, ...runOptions, io: runOptions.io ?? new NodeIo(grants) };
  let bytes: Uint8Array;
  if (file.endsWith(".ts")) bytes = (await (await import("./compiler/build.js")).build(file)).wasm;
  else {
    try { bytes = await readFile(file); }
    catch (e) { throw new WeftError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  }
  return run(bytes as Uint8Array<ArrayBuffer>, options);
}

/** `start` (host/serve.ts) for a file, as runFile runs one: a .wasm, or a .ts built through the
 *  build cache; Node's I/O with `grants`. */
export async function startFile(file: string, options: RunOptions & { grants?: NodeIoOptions } = {}): Promise<WeftApp> {
  const { grants, ...runOptions } = options;
  const bytes = file.endsWith(".ts") ? (await (await import("./compiler/build.js")).build(file)).wasm : await readWasm(file);
  return start(bytes as Uint8Array<ArrayBuffer>, { args: [file], loadProgram: loadFromDisk, ...runOptions, io: runOptions.io ?? new NodeIo(grants) });
}

async function readWasm(file: string): Promise<Uint8Array> {
  try { return await readFile(file); }
  catch (e) { throw new WeftError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
}

/** posixSpawn's and exec's loader in Node (RunOptions.loadProgram): a .wasm file's bytes, or a .ts built
 *  (through the build cache). A missing file rejects with its code (ENOENT). */
export async function loadFromDisk(path: string): Promise<Uint8Array> {
  if (/\.ts$/.test(path)) {
    await readFile(path);                        // ENOENT before the compiler loads
    return (await (await import("./compiler/build.js")).build(path, { cache: true })).wasm;
  }
  return readFile(path);
}
