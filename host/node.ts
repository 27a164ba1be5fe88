// Node-only conveniences: run a .wasm or .ts file from disk.
import { readFile } from "node:fs/promises";
import { run, WeftError, type RunOptions, type RunResult } from "./runner.js";
import { build } from "./build.js";
import { NodeIo, type NodeIoOptions } from "./io/node.js";

export { NodeIo, type NodeIoOptions };

/** Runs `file`: a built .wasm, or an AssemblyScript .ts that is built first. Its system calls go to
 *  Node's I/O host with what `grants` allows (nothing but stdio by default), unless options.io is set. */
export async function runFile(file: string, options: RunOptions & { grants?: NodeIoOptions } = {}): Promise<RunResult> {
  const { grants, ...runOptions } = options;
  options = { ...runOptions, io: runOptions.io ?? new NodeIo(grants) };
  let bytes: Uint8Array;
  if (file.endsWith(".ts")) bytes = (await build(file)).wasm;
  else {
    try { bytes = await readFile(file); }
    catch (e) { throw new WeftError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  }
  return run(bytes as Uint8Array<ArrayBuffer>, options);
}
