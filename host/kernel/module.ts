// Protocol step 1 (host/kernel/runner.ts, "Run protocol"): a module weft can run — compiled, exporting
// everything the ABI asks of a core, importing only what this host or the run's options supply. Web-standard
// APIs only.

import { IMPORT_MODULE, HOST_IMPORTS, REQUIRED_EXPORTS, SHARED_EXPORTS } from "../abi.js";
import { callTable, callsError, type HostImports } from "./calls.js";
import { WeftError } from "./weft-error.js";
import { applyEngineQuirks } from "../engine.js";

/** A weft module's exports, as the host calls them. */
export type Exports = Record<(typeof REQUIRED_EXPORTS)[number] | (typeof SHARED_EXPORTS)[number], any> & { memory: WebAssembly.Memory } &
  // An N:1 build's fork exports (host/compiler/passes/fork.ts), and the core's half of fork.
  Partial<Record<"weft_globals_size" | "weft_globals_save" | "weft_globals_load", any>> & { weft_fork_child: any };

/** True for an import weft's host supplies itself. */
export function weftImport(module: string, name: string, shared: boolean): boolean {
  return (module === IMPORT_MODULE && (HOST_IMPORTS as readonly string[]).includes(name)) ||
    (module === "env" && (name === "abort" || (shared && name === "memory")));
}

/** Compiles and checks a module (protocol step 1); `imports` are the functions the run gives it. */
export async function loadModule(source: BufferSource | WebAssembly.Module, shared = false, imports?: HostImports): Promise<WebAssembly.Module> {
  applyEngineQuirks();
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) module = source;
  else {
    try { module = await WebAssembly.compile(source); }
    catch (e) { throw new WeftError(`not a valid WebAssembly module: ${(e as Error).message}`); }
  }
  const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  const imported = WebAssembly.Module.imports(module);
  const sharedModule = imported.some((i) => i.module === "env" && i.name === "memory");
  if (shared && !sharedModule) throw new WeftError("not a shared weft module: run it with one processor, or build it with --shared");
  if (!shared && sharedModule) throw new WeftError("a shared weft module (built with --shared) runs on processors: use runShared, or weft run --processors N");
  const required: readonly string[] = shared ? [...REQUIRED_EXPORTS.filter((n) => n !== "memory"), ...SHARED_EXPORTS] : REQUIRED_EXPORTS;
  const missing = required.filter((n) => !exports.has(n));
  if (missing.length) {
    throw new WeftError(`not a weft module: missing export${missing.length > 1 ? "s" : ""} ${missing.slice(0, 4).join(", ")}${missing.length > 4 ? ", ..." : ""} (build it with "weft build")`);
  }
  for (const imp of imported) {
    if (weftImport(imp.module, imp.name, shared)) continue;
    if (imp.kind === "function" && typeof imports?.[imp.module]?.[imp.name] === "function") {
      // A sync import (calls.ts): called on the processor itself, which in a shared run is a Worker.
      if (shared) throw new WeftError(`the program imports ${imp.module}.${imp.name} as a sync import; in a shared run host functions run on the thread that called runShared: build it without syncImports`);
      continue;
    }
    const hint = imports ? " (options.imports does not have it)" : "";
    throw new WeftError(`not a weft module: it imports ${imp.module}.${imp.name}, which this host does not provide${hint}`);
  }
  // A shared run's processors call no host function: the run's I/O owner does (runShared checks).
  const uncalled = shared ? null : callsError(callTable(module), imports);
  if (uncalled) throw new WeftError(uncalled);
  return module;
}
