// The WASI flavour's build step (`weft build --target wasi`; the kernel's side is assembly/sys/wasi.ts).
//
// The generated entry exports, beside the program, `_start` and one `__weft_wasi_*` function for each
// import weft's own host would supply. This step, right after asc and before anything else:
//   1. swaps every imported function of `weft` and `env` for a plain function of the same name and type
//      whose body calls its `__weft_wasi_*` twin (the optimiser later inlines the small ones), and drops
//      the twins' exports;
//   2. detaches the start function (the program's top-level initialisers) and puts a call to it where
//      sys/wasi.ts calls the intrinsic `program_init`: a WASI runtime hands the module its memory only
//      when it calls `_start`, after instantiation;
//   3. refuses an import no WASI runtime supplies, such as a program's own `@external`, naming it
//      (asyncify's intrinsics stay: the Asyncify pass replaces them).
// And at the end, once the module is optimised: its atomic loads and stores become plain ones
// (plainAtomics). An N:1 module's memory is its own and unshared, so they mean the same, and WASI runtimes
// that do not enable the threads proposal (it is off by default in several) then accept the module.
// Asyncify's view does not change: none of these functions switches (they never park a thread: WASI
// preview 1 answers every call at once).

import binaryen from "../binaryen.js";
import { BuildError } from "../errors.js";
import { WASI_IMPORTS, WASI_MODULE } from "../../abi.js";
import { replaceChild, walk } from "./walk.js";

/** Each import of weft's host, and the function of assembly/sys/wasi.ts that plays it. */
export const WASI_TWINS: ReadonlyMap<string, string> = new Map([
  ["weft.now", "__weft_wasi_now"],
  ["weft.wall", "__weft_wasi_wall"],
  ["weft.write", "__weft_wasi_write"],
  ["weft.died", "__weft_wasi_died"],
  ["weft.io_submit", "__weft_wasi_io_submit"],
  ["env.abort", "__weft_wasi_abort"],
  ["env.seed", "__weft_wasi_seed"],                // Math.random's seed
  ["weft.processor_start", "__weft_wasi_processor_start"],
  ["weft.frames", "__weft_wasi_frames"],
]);


/** What the generated entry adds for a WASI build. */
export function wasiEntrySource(): string {
  return [
    `import { wasiRun, wasiProgramInit } from "weft/assembly/sys/wasi";`,
    `export { ${[...WASI_TWINS.values()].join(", ")} } from "weft/assembly/sys/wasi";`,
    `export function _start(): void { wasiProgramInit(); wasiRun(weft_start()); }`,
    ``,
  ].join("\n");
}

function internalName(mod: binaryen.Module, exported: string): string | null {
  const e = mod.getExport(exported);
  return e ? binaryen.getExportInfo(e).value : null;
}

/** Steps 1–3 on the module asc made. Returns the functions that now stand where the imports were: they
 *  never switch, and the pipeline tells the safepoints and Asyncify so. */
export function wasiFlavour(mod: binaryen.Module): string[] {
  const standIns: string[] = [];
  const twins = new Map<string, string>();
  for (const twin of WASI_TWINS.values()) {
    const name = internalName(mod, twin);
    if (name === null) throw new BuildError(`weft build --target wasi: the kernel lacks ${twin}`);
    twins.set(twin, name);
    mod.removeExport(twin);
  }
  const foreign: string[] = [];
  for (let i = mod.getNumFunctions() - 1; i >= 0; i--) {
    const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (!info.module) continue;
    const key = `${info.module}.${info.base}`;
    if (info.module === "weft:intrinsic" && info.base === "program_init") {
      const start = mod.getStart();
      mod.removeFunction(info.name);
      if (start) {
        const init = binaryen.getFunctionInfo(start).name;
        mod.setStart(0 as binaryen.FunctionRef);
        mod.addFunction(info.name, binaryen.none, binaryen.none, [], mod.call(init, [], binaryen.none));
      } else {
        mod.addFunction(info.name, binaryen.none, binaryen.none, [], mod.nop());
      }
      continue;
    }
    const twin = WASI_TWINS.get(key);
    if (twin) {
      const params = binaryen.expandType(info.params);
      mod.removeFunction(info.name);
      mod.addFunction(info.name, info.params, info.results, [],
        mod.call(twins.get(twin)!, params.map((t, k) => mod.local.get(k, t)), info.results));
      standIns.push(info.name);
      continue;
    }
    if (info.module !== WASI_MODULE && info.module !== "weft:intrinsic" && info.module !== "asyncify") foreign.push(key);
  }
  if (foreign.length) {
    throw new BuildError(`weft build --target wasi: the program imports ${foreign.join(", ")}, which no WASI runtime supplies`);
  }
  return standIns;
}

/** Makes every atomic load and store of the module a plain one and drops its fences, in place; a
 *  read-modify-write, a wait or a notify (only a shared build uses them) is refused. */
export function plainAtomics(mod: binaryen.Module): void {
  const api = binaryen as unknown as {
    Load: { isAtomic(e: number): boolean; setMemoryOrder(e: number, order: number): void };
    Store: { isAtomic(e: number): boolean; setMemoryOrder(e: number, order: number): void };
    MemoryOrder: { unordered: number };
  };
  const refused = new Set([binaryen.AtomicRMWId, binaryen.AtomicCmpxchgId, binaryen.AtomicWaitId, binaryen.AtomicNotifyId]);
  for (let i = 0, n = mod.getNumFunctions(); i < n; i++) {
    const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (!info.body) continue;
    walk(info.body, (expr, parent, slot) => {
      const id = binaryen.getExpressionId(expr);
      if (id === binaryen.LoadId && api.Load.isAtomic(expr)) api.Load.setMemoryOrder(expr, api.MemoryOrder.unordered);
      else if (id === binaryen.StoreId && api.Store.isAtomic(expr)) api.Store.setMemoryOrder(expr, api.MemoryOrder.unordered);
      else if (id === binaryen.AtomicFenceId && parent !== 0 && slot) {
        const nop = mod.nop();
        replaceChild(parent, slot, nop);
        return nop;
      } else if (refused.has(id)) {
        throw new BuildError(`weft build --target wasi: ${info.name} uses an atomic read-modify-write or wait, which an N:1 module should not need`);
      }
    });
  }
}

/** The imports a built WASI module may have: every one from WASI_MODULE, among WASI_IMPORTS. */
export function wasiImportsError(wasm: Uint8Array): string | null {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>));
  const bad = imports.filter((i) => i.kind !== "function" || i.module !== WASI_MODULE || !(WASI_IMPORTS as readonly string[]).includes(i.name));
  return bad.length ? `the module imports ${bad.map((i) => `${i.module}.${i.name}`).join(", ")}` : null;
}
