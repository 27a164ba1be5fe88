// What a build takes and gives (BuildOptions, BuildResult) and where weft's package root is. In a file of
// its own, free of Binaryen and asc, so that the front of the build (build.ts), the cache (cache.ts) and
// the pipeline (pipeline.ts) share them without importing each other round a circle, and the front can
// answer from the cache without loading the compiler.

import type { SafepointReport } from "./passes/safepoints.js";
import type { ResumableReport } from "./passes/resumable.js";
import type { SharedLayout } from "./passes/shared.js";
import type { HostCall } from "../abi.js";

export { WEFT_ROOT } from "./paths.js";

export interface BuildOptions {
  /** Write the module here as well. */
  outFile?: string;
  /** Run Binaryen's optimiser (default true). false keeps the module readable and the build fast.
   *  "quick": its level 1 (no inlining) and one pass after Asyncify where a full build runs level 3 and
   *  two: the same pipeline and checks in about half the time, with switch paths that run slower. What
   *  weft's own test suite builds with (tests/build-server.ts); never what a benchmark measures. */
  optimize?: boolean | "quick";
  /** Inline before Asyncify as asc -O3 would (the pitfall the pipeline avoids). Only for testing that
   *  the build then refuses to emit the module. */
  inlineBeforeAsyncify?: boolean;
  /** Bytes of the processor's own shadow stack (default 64 KiB). */
  processorStack?: number;
  /** Insert safepoints into the program's own loops and recursive functions, so that a thread that never
   *  yields can be preempted (host/compiler/passes/safepoints.ts). Default true. */
  safepoints?: boolean;
  /** Rebuild the program's functions that can switch with weft's own unwind and rewind instead of
   *  Asyncify's (host/compiler/passes/resumable.ts; default true). false: Asyncify instruments them, for comparison. */
  weftUnwind?: boolean;
  /** Build for M:N: K instances of the module, one per Worker, over one shared memory (host/compiler/passes/shared.ts).
   *  Default false: the N:1 module, which this option leaves unchanged. */
  shared?: boolean;
  /** Free unreachable objects (assembly/core/gc.ts; default true). false: objects are never freed, as
   *  before weft had a collector — the baseline the benchmarks measure the collector's cost against. */
  collector?: boolean;
  /** Keep the timeline trace's hooks (assembly/core/trace.ts; default true). false compiles them out:
   *  the baseline bench/trace.js measures the hooks' cost against (trace_overhead_off). */
  traceHooks?: boolean;
  /** For tests of the collector: every object it frees is overwritten with a pattern first, so that a
   *  use after a wrong free fails at once (runtime/sweep.ts). Default false. */
  poisonFreed?: boolean;
  /** Serve an unchanged program from the build cache, and keep what is built there (host/compiler/cache.ts):
   *  true for the default folder, or the folder to use. Default false: build() then reads and writes no
   *  file but the program's and `outFile`. The command line turns it on (`weft build --no-cache` does not). */
  cache?: boolean | string;
  /** What hosts the module: "weft" (default), weft's own host in Node or a browser; "wasi", any WASI
   *  preview 1 runtime (assembly/sys/wasi.ts: the module imports only wasi_snapshot_preview1 and exports
   *  _start). A WASI module is N:1: not with `shared`. */
  target?: "weft" | "wasi";
  /** The program's own imports that return at once ("module.name", or "module.*" for all of a module):
   *  they stay Wasm imports, called directly, and cost no instrumentation, but may not return a Promise.
   *  Every other import of the program is a host function that may (assembly/sys/call.ts). */
  syncImports?: string[];
  /** Keep where each call and instruction is in the source (file:line:column), for backtraces
   *  (host/kernel/backtrace.ts): the module carries a source map in its "weft.lines" section
   *  (host/compiler/lines.ts). Default false: it costs build time (the compiler's output goes through text). */
  lines?: boolean;
}

export interface BuildResult {
  wasm: Uint8Array;
  /** Names of the functions that call the switch directly (all verified instrumented). */
  switchCallers: string[];
  /** Size in bytes before Asyncify (optimised, no inlining) and after the final optimisation. */
  sizeBeforeAsyncify: number;
  size: number;
  /** Shared builds only: the memory to create and where the globals every processor shares live. */
  shared?: SharedLayout;
  /** Where safepoints went (absent with `safepoints: false`). */
  safepoints?: SafepointReport;
  /** Which of the program's functions were rebuilt, and which kept Asyncify's instrumentation and why. */
  resumable?: ResumableReport;
  /** The program's host functions, by index (the module's "weft.calls" section); absent when none. */
  calls?: HostCall[];
  /** True when the module came from the build cache (the rest is what the build that made it said). */
  cached?: boolean;
}

/** The options that decide what the module is, every default filled in: what the pipeline runs with, and
 *  (as JSON) part of the cache key. outFile and cache only say where the result goes. */
export interface PipelineSettings {
  optimize: boolean;
  quick: boolean;
  inlineBeforeAsyncify: boolean;
  processorStack: number;
  safepoints: boolean;
  weftUnwind: boolean;
  shared: boolean;
  collector: boolean;
  traceHooks: boolean;
  poisonFreed: boolean;
  target: "weft" | "wasi";
  syncImports: string[];
  lines: boolean;
}

export function pipelineSettings(options: BuildOptions): PipelineSettings {
  return {
    optimize: (options.optimize ?? true) !== false,
    quick: options.optimize === "quick",
    inlineBeforeAsyncify: options.inlineBeforeAsyncify ?? false,
    processorStack: options.processorStack ?? 65536,
    safepoints: options.safepoints ?? true,
    weftUnwind: options.weftUnwind ?? true,
    shared: options.shared ?? false,
    collector: options.collector ?? true,
    traceHooks: options.traceHooks ?? true,
    poisonFreed: options.poisonFreed ?? false,
    target: options.target ?? "weft",
    syncImports: [...(options.syncImports ?? [])].sort(),
    lines: options.lines ?? false,
  };
}
