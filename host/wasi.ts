// Running a module built with `weft build --target wasi` in Node, through node:wasi: what `weft run`
// does with such a module. Nothing of weft's kernel host is involved — the module carries its kernel
// (assembly/sys/wasi.ts) — so this is what any WASI runtime does: give it preopened directories, stdio
// and a clock, call `_start`, report the exit code. ("weft" here only checks the module and maps grants.)

import { readFileSync } from "node:fs";
import { WeftError } from "./kernel/runner.js";
import { THREAD, WASI_MODULE } from "./abi.js";
import { readI32, readString, readU32 } from "./kernel/tables.js";
import { applyEngineQuirks } from "./engine.js";

/** True when `wasm` is a WASI module (it imports from wasi_snapshot_preview1); false for anything else,
 *  a module that does not compile included (the caller's own checks then say what is wrong with it). */
export function isWasiModule(wasm: Uint8Array | WebAssembly.Module): boolean {
  let mod: WebAssembly.Module;
  try { mod = wasm instanceof WebAssembly.Module ? wasm : new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>); }
  catch { return false; }
  return WebAssembly.Module.imports(mod).some((i) => i.module === WASI_MODULE);
}

export interface WasiRunOptions {
  /** Directories the program may use, each preopened under the name it is given by (a relative name
   *  holds the program's relative paths below it: "granted" → "granted/x.txt"; "." holds them all). */
  dirs?: string[];
  /** The program's arguments (argv[0] first). */
  args?: string[];
}

/** Runs a WASI module to its end in this thread; returns its exit code. A trap ends the instance (WASI
 *  cannot catch one: assembly/sys/wasi.ts): it is reported on stderr, naming the thread that trapped,
 *  and the code is 1. */
export async function runWasi(file: string | Uint8Array, options: WasiRunOptions = {}): Promise<number> {
  const wasm = typeof file === "string" ? readFileSync(file) : file;
  applyEngineQuirks();
  let mod: WebAssembly.Module;
  try { mod = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>); }
  catch (e) { throw new WeftError(`not a valid WebAssembly module: ${(e as Error).message}`); }
  if (!isWasiModule(mod)) throw new WeftError("not a WASI module: it imports nothing from wasi_snapshot_preview1 (build it with weft build --target wasi)");
  if (!WebAssembly.Module.exports(mod).some((e) => e.name === "_start")) throw new WeftError("not a WASI command: it exports no _start");
  // node:wasi prints an experimental-feature warning on load in Node 20; this run says nothing of its own.
  const quiet = process.emitWarning;
  process.emitWarning = (() => {}) as typeof process.emitWarning;
  let WASI: typeof import("node:wasi").WASI;
  try { ({ WASI } = await import("node:wasi")); } finally { process.emitWarning = quiet; }
  const preopens: Record<string, string> = {};
  for (const d of options.dirs ?? []) preopens[d] = d;
  const wasi = new WASI({ version: "preview1", args: options.args ?? ["app"], env: {}, preopens, returnOnExit: true });
  const instance = await WebAssembly.instantiate(mod, wasi.getImportObject() as WebAssembly.Imports);
  try {
    return wasi.start(instance);
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError || e instanceof RangeError)) throw e;
    process.stderr.write(`weft: ${trapMessage(instance, e)}; a trap ends a WASI program\n`);
    return 1;
  }
}

/** `thread <id> "<name>" died: <what>`, as weft's own host says it, read from the module's tables. */
function trapMessage(instance: WebAssembly.Instance, e: Error): string {
  const what = e instanceof RangeError ? `stack overflow: ${e.message}` : e.message;
  try {
    const ex = instance.exports as { memory: WebAssembly.Memory; weft_current(): number };
    const t = ex.weft_current() >>> 0;
    if (t === 0) return `the scheduler trapped: ${what}`;
    const name = readString(ex.memory, readU32(ex.memory, t + THREAD.name));
    return `thread ${readI32(ex.memory, t + THREAD.id)}${name ? ` "${name}"` : ""} died: ${what}`;
  } catch {
    return `the program trapped: ${what}`;
  }
}
