// The one Binaryen the build uses: AssemblyScript's own (assemblyscript/binaryen), not a copy of our own.
//
// The problem. binaryen.js is a 13 MB JavaScript file holding Binaryen compiled to Wasm; loading it costs
// ~0.4 s (parsing the file, decoding and compiling the Wasm). asc depends on an exact Binaryen release and
// loads it for itself, so a build that also imported a `binaryen` of its own loaded it twice: ~0.4 s of
// a cold `weft build` spent on a second copy (importing the two one after the other or together made no
// difference: the parsing is on the main thread either way).
//
// Rejected: loading our copy in a Worker while asc compiles. Binaryen's modules live in one instance's
// memory, so every pass would then run in that Worker and the module would cross over as bytes; on a
// machine of two busy cores the overlap is not there to be had anyway.
//
// Chosen: the passes use asc's instance. Then the two share Binaryen's global settings (optimisation and
// shrink levels, inlining limits, debug info, fast math, closed world, pass arguments...), and asc changes
// several of them while it compiles (measured: closed world, fast math and debug info on, inlining limits
// raised). `keepSettings` snapshots them before asc runs and puts them back after, so every pass sees
// the defaults a fresh instance has, as it did with its own copy. Checked over the 190 modules of the
// examples, tests and benches, N:1 and shared: N:1 modules came out the same byte for byte as with a
// Binaryen of our own (v132), shared ones differ only in where the memory import sits among the imports.
//
// Tests that make modules of their own import Binaryen from here: a module belongs to the instance that
// made it. toolchain.ts loads it (from a prepared copy when there is one, which loads in a quarter of the
// time) together with asc, so that asc's Binaryen and this one stay the same instance.

import type B from "assemblyscript/binaryen";
import { binaryen as loaded } from "./toolchain.js";

const binaryen: typeof B = loaded;
/** Binaryen's types under their usual names (binaryen.ExpressionRef...): the ones weft's passes and tests
 *  use. A type-only import keeps the original package's file from loading. */
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace binaryen {
  export type BinaryInfo = B.BinaryInfo;
  export type BlockInfo = B.BlockInfo;
  export type BreakInfo = B.BreakInfo;
  export type CallIndirectInfo = B.CallIndirectInfo;
  export type ConstInfo = B.ConstInfo;
  export type ExpressionRef = B.ExpressionRef;
  export type Features = B.Features;
  export type FunctionRef = B.FunctionRef;
  export type GlobalGetInfo = B.GlobalGetInfo;
  export type GlobalInfo = B.GlobalInfo;
  export type GlobalSetInfo = B.GlobalSetInfo;
  export type IfInfo = B.IfInfo;
  export type LocalGetInfo = B.LocalGetInfo;
  export type LocalSetInfo = B.LocalSetInfo;
  export type LoopInfo = B.LoopInfo;
  export type MemoryFillInfo = B.MemoryFillInfo;
  export type MemoryInfo = B.MemoryInfo;
  export type MemorySegment = B.MemorySegment;
  export type Module = B.Module;
  export type ReturnInfo = B.ReturnInfo;
  export type StoreInfo = B.StoreInfo;
  export type SwitchInfo = B.SwitchInfo;
  export type Type = B.Type;
}

export default binaryen;

/** Binaryen's global settings, as getter/setter pairs (pass arguments and passes to skip are cleared). */
const SETTINGS: [() => number | boolean, (v: never) => void][] = [
  [binaryen.getOptimizeLevel, binaryen.setOptimizeLevel],
  [binaryen.getShrinkLevel, binaryen.setShrinkLevel],
  [binaryen.getDebugInfo, binaryen.setDebugInfo],
  [binaryen.getTrapsNeverHappen, binaryen.setTrapsNeverHappen],
  [binaryen.getClosedWorld, binaryen.setClosedWorld],
  [binaryen.getLowMemoryUnused, binaryen.setLowMemoryUnused],
  [binaryen.getZeroFilledMemory, binaryen.setZeroFilledMemory],
  [binaryen.getFastMath, binaryen.setFastMath],
  [binaryen.getGenerateStackIR, binaryen.setGenerateStackIR],
  [binaryen.getOptimizeStackIR, binaryen.setOptimizeStackIR],
  [binaryen.getAlwaysInlineMaxSize, binaryen.setAlwaysInlineMaxSize],
  [binaryen.getFlexibleInlineMaxSize, binaryen.setFlexibleInlineMaxSize],
  [binaryen.getOneCallerInlineMaxSize, binaryen.setOneCallerInlineMaxSize],
  [binaryen.getAllowInliningFunctionsWithLoops, binaryen.setAllowInliningFunctionsWithLoops],
];

/** Runs `use` (asc's compile), then restores every global setting of Binaryen's as it was before. */
export async function keepSettings<T>(use: () => Promise<T>): Promise<T> {
  const saved = SETTINGS.map(([get]) => get());
  try {
    return await use();
  } finally {
    SETTINGS.forEach(([, set], i) => set(saved[i] as never));
    binaryen.clearPassArguments();
    binaryen.clearPassesToSkip();
  }
}
