// Node-only conveniences: run a .wasm or .ts file from disk.
import { readFile } from "node:fs/promises";
import { run, WeftError, type RunOptions, type RunResult } from "./runner.js";
import { build } from "./build.js";

/** Runs `file`: a built .wasm, or an AssemblyScript .ts that is built first. */
export async function runFile(file: string, options: RunOptions = {}): Promise<RunResult> {
  let bytes: Uint8Array;
  if (file.endsWith(".ts")) bytes = (await build(file)).wasm;
  else {
    try { bytes = await readFile(file); }
    catch (e) { throw new WeftError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  }
  return run(bytes as Uint8Array<ArrayBuffer>, options);
}
