// Host functions (assembly/sys/call.ts, "Design note"): a program's own imports become system calls, so
// that one which returns a Promise parks only its thread.
//
// Right after asc, for every imported function that is not weft's own (module `weft`, AssemblyScript's
// `env.abort`, `env.seed`, `env.trace`, Asyncify's and the build's intrinsics):
//   - an import named in `syncImports` ("module.name", or "module.*") stays a Wasm import: the host gives
//     the function itself, which must return at once;
//   - any other is replaced by a function of the same name and type that stores its arguments in the
//     thread's argument block (8 bytes each, as their Wasm type), calls __weft_call(index, count) — which
//     may switch, so Asyncify instruments the callers as it does every caller of a blocking call — and
//     loads its result from the block's first 8 bytes. `index` is the function's place in the call table
//     the module carries in the custom section CALLS_SECTION.
// Only a program that has a host function is compiled with the twins (pipeline.ts compiles it again
// when the first compile shows one), so every other module stays as it was, byte for byte; their
// exports go once the calls are in.

import binaryen from "../binaryen.js";
import { BuildError } from "../errors.js";
import { CALLS_SECTION, CALL_ARGS_MAX, type HostCall, type ValueType } from "../../abi.js";

export const CALL_TWINS = ["__weft_call", "__weft_call_args"] as const;

/** Imports that are weft's own, not the program's. */
function weftsOwn(module: string, base: string): boolean {
  return module === "weft" || module === "asyncify" || module === "weft:intrinsic" ||
    (module === "env" && (base === "abort" || base === "seed" || base === "trace" || base === "memory"));
}

function matches(patterns: readonly string[], module: string, base: string): boolean {
  return patterns.some((p) => p === `${module}.${base}` || p === `${module}.*`);
}

function valueType(t: number): ValueType | null {
  return t === binaryen.i32 ? "i32" : t === binaryen.i64 ? "i64" : t === binaryen.f32 ? "f32" : t === binaryen.f64 ? "f64" : null;
}

function internalName(mod: binaryen.Module, exported: string): string | null {
  const e = mod.getExport(exported);
  return e ? binaryen.getExportInfo(e).value : null;
}

/** The program's own imports that are host functions (not weft's, not named in syncImports). */
function programImports(mod: binaryen.Module, syncImports: readonly string[]) {
  const found: { name: string; module: string; base: string; params: number; results: number }[] = [];
  for (let i = 0, n = mod.getNumFunctions(); i < n; i++) {
    const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    const module = info.module, base = info.base ?? "";
    if (!module || weftsOwn(module, base) || matches(syncImports, module, base)) continue;
    found.push({ name: info.name, module, base, params: info.params, results: info.results });
  }
  return found;
}

/** True when the program has a host function: it is then compiled with CALL_TWINS exported. */
export function hasHostCalls(mod: binaryen.Module, syncImports: readonly string[]): boolean {
  return programImports(mod, syncImports).length > 0;
}

/** Rewrites the program's imports as above; returns the call table (empty: the program has none). */
export function hostCalls(mod: binaryen.Module, syncImports: readonly string[]): HostCall[] {
  const [call, args] = CALL_TWINS.map((twin) => internalName(mod, twin));
  for (const twin of CALL_TWINS) if (mod.getExport(twin)) mod.removeExport(twin);
  const table: HostCall[] = [];
  const found = programImports(mod, syncImports);
  if (found.length && (!call || !args)) throw new BuildError("weft build: the core lacks __weft_call (assembly/sys/call.ts)");
  for (const f of found) {
    const what = `${f.module}.${f.base}`;
    const params = binaryen.expandType(f.params).map(valueType);
    const results = binaryen.expandType(f.results).map(valueType);
    if (params.includes(null) || results.includes(null) || results.length > 1) {
      throw new BuildError(`weft build: host function ${what} has a type a host call cannot carry (numbers, strings and arrays as i32, at most one result)`);
    }
    if (params.length > CALL_ARGS_MAX) throw new BuildError(`weft build: host function ${what} takes ${params.length} arguments; at most ${CALL_ARGS_MAX}`);
    const types = binaryen.expandType(f.params);
    const block = types.length;                          // the local after the parameters
    const body: number[] = [mod.local.set(block, mod.call(args!, [], binaryen.i32))];
    types.forEach((t, k) => {
      const at = mod.local.get(block, binaryen.i32), value = mod.local.get(k, t);
      body.push(t === binaryen.i32 ? mod.i32.store(k * 8, 4, at, value) : t === binaryen.i64 ? mod.i64.store(k * 8, 8, at, value)
        : t === binaryen.f32 ? mod.f32.store(k * 8, 4, at, value) : mod.f64.store(k * 8, 8, at, value));
    });
    body.push(mod.drop(mod.call(call!, [mod.i32.const(table.length), mod.i32.const(types.length)], binaryen.i32)));
    const r = f.results, at = mod.local.get(block, binaryen.i32);
    if (r !== binaryen.none) {
      body.push(r === binaryen.i32 ? mod.i32.load(0, 4, at) : r === binaryen.i64 ? mod.i64.load(0, 8, at)
        : r === binaryen.f32 ? mod.f32.load(0, 4, at) : mod.f64.load(0, 8, at));
    }
    mod.removeFunction(f.name);
    mod.addFunction(f.name, f.params, f.results, [binaryen.i32], mod.block(null, body, r));
    table.push({ module: f.module, name: f.base, params: params as ValueType[], results: results as ValueType[] });
  }
  return table;
}

/** Puts the call table into the module (before it is written). */
export function addCallTable(mod: binaryen.Module, table: readonly HostCall[]): void {
  if (table.length) mod.addCustomSection(CALLS_SECTION, new TextEncoder().encode(JSON.stringify(table)));
}
