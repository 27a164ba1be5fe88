// fork() of an N:1 module (assembly/core/fork.ts, "Design note"): the child is a new instance whose memory
// is a copy of the parent's, and whose globals must be the parent's too. A shared build keeps every global
// that is not per processor in memory already (passes/shared.ts); an N:1 build keeps them in Wasm globals,
// which no host can read or write. This pass, run last on N:1 builds, adds three exports:
//   weft_globals_size() -> i32        bytes a snapshot takes (8 per mutable global)
//   weft_globals_save(addr: i32)      stores every mutable global at addr, in the module's order
//   weft_globals_load(addr: i32)      loads them back (in the child, from the copied memory)
// The host saves between two calls of the loop, when no thread runs: the globals then hold the loop's
// state, which is what the child starts from.

import binaryen from "../binaryen.js";

export const GLOBALS_EXPORTS = ["weft_globals_size", "weft_globals_save", "weft_globals_load"] as const;

export function addGlobalsSnapshot(mod: binaryen.Module): void {
  const globals: { name: string; type: number }[] = [];
  for (let i = 0; i < mod.getNumGlobals(); i++) {
    const info = binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
    if (info.mutable && !info.module) globals.push({ name: info.name, type: info.type });
  }
  const addr = () => mod.local.get(0, binaryen.i32);
  const save = globals.map((g, i) => store(mod, g.type, i * 8, addr(), mod.global.get(g.name, g.type)));
  const load = globals.map((g, i) => mod.global.set(g.name, loadOf(mod, g.type, i * 8, addr())));
  mod.addFunction("weft_globals_size", binaryen.none, binaryen.i32, [], mod.i32.const(globals.length * 8));
  mod.addFunction("weft_globals_save", binaryen.i32, binaryen.none, [], mod.block(null, save, binaryen.none));
  mod.addFunction("weft_globals_load", binaryen.i32, binaryen.none, [], mod.block(null, load, binaryen.none));
  for (const name of GLOBALS_EXPORTS) mod.addFunctionExport(name, name);
}

function store(mod: binaryen.Module, type: number, offset: number, ptr: number, value: number): number {
  if (type === binaryen.i32) return mod.i32.store(offset, 4, ptr, value);
  if (type === binaryen.i64) return mod.i64.store(offset, 8, ptr, value);
  if (type === binaryen.f32) return mod.f32.store(offset, 4, ptr, value);
  return mod.f64.store(offset, 8, ptr, value);
}

function loadOf(mod: binaryen.Module, type: number, offset: number, ptr: number): number {
  if (type === binaryen.i32) return mod.i32.load(offset, 4, ptr);
  if (type === binaryen.i64) return mod.i64.load(offset, 8, ptr);
  if (type === binaryen.f32) return mod.f32.load(offset, 4, ptr);
  return mod.f64.load(offset, 8, ptr);
}
