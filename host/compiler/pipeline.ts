// weft build's pipeline: AssemblyScript source → a Wasm module whose threads switch inside Wasm. This is
// the part that loads the compiler (asc, and Binaryen through host/compiler/binaryen.ts); build.ts loads it
// only when the build cache (cache.ts) has no module for the program.
//
// Pipeline (DESIGN.md, "Asyncify facts"):
//   1. asc compiles a generated entry (the user's main + weft's ABI exports) with weft's runtime
//      (assembly/runtime) and a shadow stack, without optimisation: asc's -O3 would inline the switch
//      into its callers, and Asyncify then instruments nothing (the program hangs). Every file asc reads,
//      and every one it looked for and did not find, is recorded for the cache key.
//   2. intrinsics: the stack-pointer imports become global.get/set of __stack_pointer, and the compiler's
//      ~stack_check calls weft's growable-stack check (assembly/core/stack.ts); a store of a call's result
//      into a frame reads the stack pointer after the call, which may have moved the stack
//      (host/compiler/passes/stackmoves.ts).
//      Safepoints go into the program's loops and recursive functions (host/compiler/passes/safepoints.ts; `safepoints`
//      turns them off). Optimised builds then drop the shadow-stack frames of functions that cannot reach
//      a collection (host/compiler/passes/frameless.ts).
//   3. Binaryen optimises with every inlining limit at 0, so the switch stays a function of its own
//      (level 3; `optimize: "quick"` runs level 1 here and in step 6, and step 6 once).
//   4. Asyncify, with asyncify-imports naming no import: only the callers of weft's switch, and what can
//      reach them, are instrumented; code that never switches runs at full speed. The program's own
//      functions are kept aside first (asyncify-removelist): those Asyncify instruments are then rebuilt
//      with weft's own unwind and rewind (host/compiler/passes/resumable.ts), which costs their fast path almost nothing.
//   5. the build checks that every caller of the switch was instrumented, and refuses to emit a module
//      that would hang otherwise;
//   6. Binaryen optimises again, inlining as asc's -O3 would (the switch may now be inlined: it is plain
//      code);
//   7. with `shared` only (M:N, host/compiler/passes/shared.ts): the data segments become passive, the start function an
//      export, and the globals the processors share move into the shared memory. Without it, step 7 does
//      not run and nothing else changes: the N:1 module is the same, byte for byte.
// Errors from asc come back as BuildError with the compiler's `file:line` diagnostics.

import binaryen, { keepSettings } from "./binaryen.js";
import { asc } from "./toolchain.js";
import { readFile, readdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { IMPORT_MODULE, REQUIRED_EXPORTS } from "../abi.js";
import { BuildError } from "./errors.js";
import { WEFT_ROOT, type BuildResult, type PipelineSettings } from "./options.js";
import { insertSafepoints, FUEL_GLOBAL } from "./passes/safepoints.js";
import { stripNeedlessFrames, abortImport } from "./passes/frameless.js";
import { storeAfterCalls } from "./passes/stackmoves.js";
import { keepOriginals, rebuildResumable } from "./passes/resumable.js";
import { SPILL_PUSH } from "./passes/frames.js";
import { hotPathsFirst } from "./passes/fuel.js";
import { SHARED_ASC_OPTIONS, SHARED_EXPORTS, sharedEntrySource, shareModule, type SharedLayout } from "./passes/shared.js";
import { WASI_TWINS, plainAtomics, wasiEntrySource, wasiFlavour, wasiImportsError } from "./passes/wasi.js";
import { CALL_TWINS, addCallTable, hasHostCalls, hostCalls } from "./passes/calls.js";
import { addGlobalsSnapshot } from "./passes/fork.js";
import { callLocations, appendCustomSection, LINES_SECTION } from "./lines.js";
import { callees, touchesGlobal } from "./passes/walk.js";
import { LOCALS_SECTION } from "../abi.js";
import { EXPORTS_SECTION, callableExports, exportsEntrySource, exportsSection } from "./passes/exports.js";

/** What asc read while it compiled: each file's absolute path and its text, or null for a file it looked
 *  for and did not find (a later file there could change the program). */
export type SourcesRead = Map<string, string | null>;

const SWITCH = "~lib/weft/assembly/core/scheduler/suspend";
/** Asyncify's state global: every function it instrumented reads it. */
const ASYNCIFY_STATE = "__asyncify_state";
/** Set by the build when threads may unwind straight into their own save areas (assembly/core/scheduler.ts). */
const DIRECT_UNWIND = "~lib/weft/assembly/core/scheduler/directUnwind";
/** The safepoints' switches (assembly/core/scheduler.ts): like SWITCH, bottoms of a thread's frames; and the
 *  spill, which moves an unwind under way (called only by host/compiler/passes/resumable.ts's frames). */
/** Functions Binaryen never inlines (its no-inline patterns): a resume path runs once per switch, not in
 *  its dispatcher's loop (passes/resumable.ts); a thread whose frames were lost is dealt with outside the
 *  scheduler's loop (assembly/core/savearea.ts, framesLost and endLost), which is inlined into weft_run
 *  and would otherwise carry that rare code beside the switch; and every wait on shared memory must keep
 *  a frame of its own, where a baseline compiler that clobbers the slot before the wait's address has
 *  nothing to lose (assembly/core/atomics.ts, atomicWait); and a frame's push that does not fit its save
 *  area (passes/frames.ts, spillPush): in line again, it would slow the fast path beside it. And a stack's
 *  growth (assembly/core/stack.ts, stackGrow): inlined into stackCheck, its one caller, it made the check
 *  too big to be inlined into every function that pushes a frame, each of which then called it (spawn_join
 *  ~5% faster with the check in line: bench/HISTORY.md, "The switch, N:1"). */
const NEVER_INLINE = ["*~resume", "*/core/savearea/framesLost", "*/core/savearea/endLost", "*/core/atomics/atomicWait", `${SPILL_PUSH}*`,
  "*/core/stack/stackGrow"];

/** Binaryen's inlining limits (sizes in its own units): always inlined up to `always`, even a function
 *  that calls others; up to `flexible` if it calls nothing; up to `oneCaller` if it has a single caller. */
type Inlining = { always: number; flexible: number; oneCaller: number };
/** Step 3: none, so the switch stays a function of its own. */
const NO_INLINING: Inlining = { always: 0, flexible: 0, oneCaller: 0 };
/** Step 6: asc's own for -O3. Binaryen's defaults leave out every function that calls another, however
 *  small: a typed array's element access (its bounds check calls abort) stayed a call in every loop over
 *  bytes. With these, spawn_join ran 8% faster, yield_d1 4%, and examples/http.ts took ~2% less CPU a
 *  request (medians of 5 alternating `node bench/run.js yield channel_roundtrip spawn_join --quick
 *  --json`; bench/HISTORY.md, "The switch, N:1"); builds took no longer, hello grew by 3%. */
const AFTER_ASYNCIFY: Inlining = { always: 12, flexible: 70, oneCaller: 200 };

/** Runs `fn` with Binaryen's inlining limits set to `limits`, and puts the previous ones back. */
function withInlining(limits: Inlining, fn: () => void): void {
  const was: Inlining = {
    always: binaryen.getAlwaysInlineMaxSize(), flexible: binaryen.getFlexibleInlineMaxSize(), oneCaller: binaryen.getOneCallerInlineMaxSize(),
  };
  const set = (l: Inlining) => {
    binaryen.setAlwaysInlineMaxSize(l.always);
    binaryen.setFlexibleInlineMaxSize(l.flexible);
    binaryen.setOneCallerInlineMaxSize(l.oneCaller);
  };
  set(limits);
  try { fn(); } finally { set(was); }
}

/** Marks NEVER_INLINE's functions in `mod`. The mark is kept on the function, not in the binary or the
 *  text: a module parsed again (passes/shared.ts) is marked again. */
export function markNeverInline(mod: binaryen.Module): void {
  for (const pattern of NEVER_INLINE) {
    binaryen.setPassArgument("no-inline", pattern);
    mod.runPasses(["no-inline"]);
  }
  binaryen.setPassArgument("no-inline", null);
}

/** Functions that call through a pointer but never reach a switch: the collector's slow path, which
 *  __new takes, and its root sources (assembly/core/gc.ts). Asyncify assumes any indirect call may
 *  switch, and would then instrument every function that allocates; it is told to leave these plain. */
const NEVER_SWITCH = ["~lib/weft/assembly/runtime/gc/gcSlowPath", "~lib/weft/assembly/core/gcroots/markRootSource",
  // The WASI kernel's twins of the host's imports (passes/wasi.ts): like the imports they replace, they
  // never switch. Left alone, `abort` — which every bounds check calls — closed a cycle through the
  // stack check that got a safepoint, and Asyncify instrumented 83 functions of the yield bench instead
  // of 5 (it ran 8%, the channel bench 19% slower than under weft's host).
  ...[...WASI_TWINS.values()].map((twin) => `~lib/weft/assembly/sys/wasi/${twin}`)];
const SAFEPOINT_SWITCHES = ["~lib/weft/assembly/core/scheduler/safepointSwitch", "~lib/weft/assembly/core/scheduler/preemptSwitch", "~lib/weft/assembly/core/scheduler/saveAreaSpill"];
const LOOP = "~lib/weft/assembly/core/scheduler/runLoop";
/** The other function that rewinds a thread: a backtrace's (assembly/core/inspect.ts, "Backtraces"). */
const PROBE = "~lib/weft/assembly/core/inspect/probeFrames";
const RUNTIME_EXPORTS = [
  "heapTryAlloc", "heapFree", "heapCapacity", "heapSetLimit", "heapAllocated", "heapTop", "heapCacheEnter", "__alloc", "__realloc",
  "__free", "__reset", "__new", "__renew", "__link", "__pin", "__unpin", "__collect",
];
const STACK_POINTER = "~lib/memory/__stack_pointer";
/** The function asc calls after it pushes a frame (step 2 makes it call weft's check). */
const STACK_CHECK = "~stack_check";
const FEATURES =
  binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
  binaryen.Features.NontrappingFPToInt | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt |
  binaryen.Features.Atomics | binaryen.Features.Multivalue;

/** The generated entry: the user's main becomes thread 1; weft's ABI is exported. */
function entrySource(userModule: string, mainReturnsVoid: boolean): string {
  return [
    `import { main } from "${userModule}";`,
    `import { startMain } from "weft/assembly/core/thread";`,
    `export * from "weft/assembly/sys/abi";`,
    `function __weft_main(arg: usize): i32 { ${mainReturnsVoid ? "main(); return 0;" : "return main();"} }`,
    `export function weft_start(): i32 { return startMain(__weft_main); }`,
    ``,
  ].join("\n");
}

/** Maps asc's package lookups for "weft" onto this package, wherever the program lives. asc looks a bare
 *  "weft" up as node_modules/weft/index.ts; that file is virtual (PACKAGE_INDEX) and re-exports
 *  assembly/index.ts, so every weft file keeps one name (~lib/weft/assembly/...) however it is reached. */
function weftPath(file: string): string | null {
  const f = file.replace(/\\/g, "/");
  const m = /^(?:.*\/)?node_modules\/weft\/(.+)$/.exec(f) ?? /^~lib\/weft\/(.+)$/.exec(f);
  if (!m) return null;
  return m[1] === "index.ts" ? PACKAGE_INDEX : path.join(WEFT_ROOT, m[1]);
}
const PACKAGE_INDEX = "<weft package index>";

/** Rewrites a program's relative imports of weft's own files ("../assembly/index") to the package form
 *  ("weft/assembly/index"), so that weft is compiled once whichever way a program reaches it. */
function canonicalImports(source: string, dir: string): string {
  const assembly = path.join(WEFT_ROOT, "assembly") + path.sep;
  return source.replace(/(from\s+|import\s+)(["'])(\.{1,2}\/[^"']*)\2/g, (whole, lead: string, quote: string, spec: string) => {
    const target = path.resolve(dir, spec);
    if (!(target + path.sep).startsWith(assembly) && target !== assembly.slice(0, -1)) return whole;
    const rel = path.relative(path.join(WEFT_ROOT), target).split(path.sep).join("/");
    return `${lead}${quote}weft/${rel}${quote}`;
  });
}

/** The compiler's first error as one line: `weft build: file.ts:line:column: error TSnnnn: message`. */
function firstDiagnostic(diagnostics: string, error: Error | null, baseDir: string): string {
  const m = /ERROR (\w+): ([^\n]*)[\s\S]*?in (\S+?)\((\d+),(\d+)\)/.exec(diagnostics);
  if (m) {
    const file = m[3].startsWith("~lib/") ? m[3] : path.relative(process.cwd(), path.resolve(baseDir, m[3]));
    return `weft build: ${file}:${m[4]}:${m[5]}: error ${m[1]}: ${m[2].trim()}`;
  }
  const line = diagnostics.split("\n").find((l) => /ERROR/.test(l));
  return `weft build: ${(line ?? error?.message ?? "compilation failed").replace(/^\s*ERROR\s*/, "error ").trim()}`;
}

/** Compiles `entry`; also returns the section that lists its callable exports (passes/exports.ts). */
async function compile(entry: string, processorStack: number, shared: boolean, wasi: boolean, calls: boolean, collector: boolean, traceHooks: boolean, poison: boolean, lines: boolean, read: SourcesRead): Promise<{ wasm: Uint8Array; exports: Uint8Array; text?: string }> {
  const absEntry = path.resolve(entry);
  if (!existsSync(absEntry)) throw new BuildError(`weft build: no such file: ${entry}`);
  const source = await readFile(absEntry, "utf8");
  read.set(absEntry, source);
  if (!/export\s+function\s+main\s*\(/.test(source)) {
    throw new BuildError(`weft build: ${entry} does not export a function main()`);
  }
  const mainReturnsVoid = /export\s+function\s+main\s*\(\s*\)\s*(:\s*void\s*)?\{/.test(source);
  const baseDir = path.dirname(absEntry);
  const userModule = "./" + path.basename(absEntry).replace(/\.ts$/, "");
  const { callable, skipped } = callableExports(source);
  const generated = "__weft_entry__.ts";
  let output: Uint8Array | null = null;
  let text: string | undefined;
  let diagnostics = "";
  const sink = { write(s: string | Uint8Array) { diagnostics += typeof s === "string" ? s : new TextDecoder().decode(s); return true; } };
  // asc changes Binaryen's global settings, which the passes below share with it (./binaryen.ts).
  const { error } = await keepSettings(() => asc.main([
    generated,
    "--runtime", "~lib/weft/assembly/runtime/index",
    "--stackSize", String(processorStack),
    "--enable", "threads",
    "--outFile", "out.wasm",
    "--optimizeLevel", "0", "--shrinkLevel", "0",
    "--noColors",
    "--debug",
    "--baseDir", baseDir,
    ...(shared ? SHARED_ASC_OPTIONS : []),
    ...(collector ? [] : ["--use", "WEFT_GC_OFF=1"]),
    ...(traceHooks ? [] : ["--use", "WEFT_TRACE_OFF=1"]),
    ...(poison ? ["--use", "WEFT_GC_POISON=1"] : []),
    ...(lines ? ["--sourceMap"] : []),
  ], {
    // BuildOptions.lines: the module as text, which carries the source locations (lines.ts).
    ...(lines ? { transforms: [{ afterCompile(m: binaryen.Module) { text = m.emitText(); } } as never] } : {}),
    stdout: sink as never,
    stderr: sink as never,
    readFile: async (file: string, dir: string) => {
      if (file === generated) return entrySource(userModule, mainReturnsVoid) + exportsEntrySource(userModule, callable) + (shared ? sharedEntrySource() : "") +
        (wasi ? wasiEntrySource() : "") + (calls ? `export { ${CALL_TWINS.join(", ")} } from "weft/assembly/sys/call";\n` : "");
      const inWeft = weftPath(file);
      if (inWeft === PACKAGE_INDEX) return `export * from "./assembly/index";\n`;
      const mapped = inWeft ?? path.resolve(dir, file);
      let text: string;
      try { text = await readFile(mapped, "utf8"); } catch { read.set(mapped, null); return null; }
      read.set(mapped, text);
      return inWeft ? text : canonicalImports(text, path.dirname(mapped));
    },
    writeFile: (_file: string, contents: Uint8Array | string) => {
      if (contents instanceof Uint8Array) output = contents;
    },
    listFiles: async (dir: string, base: string) => {
      const mapped = weftPath(dir) ?? path.resolve(base, dir);
      let files: string[];
      try { files = (await readdir(mapped)).filter((f) => f.endsWith(".ts")).sort(); } catch { read.set(mapped + path.sep, null); return null; }
      read.set(mapped + path.sep, files.join("\n"));        // a listing: the cache lists the folder again
      return files;
    },
  }));
  if (error || !output) throw new BuildError(firstDiagnostic(diagnostics, error, baseDir), diagnostics);
  return { wasm: output, exports: exportsSection(callable, skipped), ...(text !== undefined ? { text } : {}) };
}

function functionNames(mod: binaryen.Module): string[] {
  const names: string[] = [];
  for (let i = 0, n = mod.getNumFunctions(); i < n; i++) names.push(binaryen.getFunctionInfo(mod.getFunctionByIndex(i)).name);
  return names;
}

/** Splits a module's text into function bodies by name (lines.ts reads the calls' source lines there). */
function functionBodies(text: string): Map<string, string> {
  const bodies = new Map<string, string>();
  const re = /^ \(func \$(\S+)/gm;
  let m: RegExpExecArray | null, last: { name: string; start: number } | null = null;
  while ((m = re.exec(text))) {
    if (last) bodies.set(last.name, text.slice(last.start, m.index));
    last = { name: m[1], start: m.index };
  }
  if (last) bodies.set(last.name, text.slice(last.start));
  return bodies;
}

/** Before Asyncify: the switch and the loop must each still be a function of their own, and the only
 *  callers of the Asyncify intrinsics; otherwise Asyncify would instrument the wrong functions and the
 *  program would hang or resume twice. Returns the functions that call the switch. */
function checkSwitchIntact(mod: binaryen.Module, calls: Map<string, Set<string>>): string[] {
  const intrinsic = (base: string) => functionNames(mod).find((n) => {
    const info = binaryen.getFunctionInfo(mod.getFunction(n));
    return info.module === "asyncify" && info.base === base;
  });
  const callersOf = (target: string | undefined) => target === undefined ? [] :
    [...calls].filter(([, called]) => called.has(target)).map(([n]) => n);
  const unwinders = callersOf(intrinsic("start_unwind"));
  const rewinders = callersOf(intrinsic("start_rewind"));
  const refuse = (what: string) => {
    throw new BuildError(`weft build: ${what} before Asyncify; the module would not switch correctly, so none was written`);
  };
  if (!rewinders.includes(LOOP)) refuse("the scheduler loop is missing or was inlined into " + (rewinders.join(", ") || "nothing"));
  const others = rewinders.filter((n) => n !== LOOP && n !== PROBE);
  if (others.length) refuse(`the scheduler loop was inlined into ${others.join(", ")}`);
  const bottom = (n: string) => n === SWITCH || SAFEPOINT_SWITCHES.includes(n);
  if (unwinders.some((n) => !bottom(n))) refuse(`weft's switch was inlined into ${unwinders.filter((n) => !bottom(n)).join(", ")}`);
  return callersOf(SWITCH).filter((n) => n !== SWITCH);
}

/** Step 2: intrinsics. Returns the function safepoints call (host/compiler/passes/safepoints.ts), if the program has it. */
function installIntrinsics(mod: binaryen.Module): string | null {
  const names = functionNames(mod);
  for (const name of names) {
    const info = binaryen.getFunctionInfo(mod.getFunction(name));
    if (info.module !== "weft:intrinsic") continue;
    mod.removeFunction(name);
    if (info.base === "get_stack_pointer") {
      mod.addFunction(name, binaryen.none, binaryen.i32, [], mod.global.get(STACK_POINTER, binaryen.i32));
    } else if (info.base === "set_stack_pointer") {
      mod.addFunction(name, binaryen.i32, binaryen.none, [], mod.global.set(STACK_POINTER, mod.local.get(0, binaryen.i32)));
    } else {
      throw new BuildError(`weft build: unknown intrinsic ${info.base}`);
    }
  }
  // The runtime is compiled as an entry, so asc exports its functions: keep them internal.
  for (const name of RUNTIME_EXPORTS) if (mod.getExport(name)) mod.removeExport(name);
  // The safepoints' slow paths: exported by abi.ts so that the compiler keeps them; the exports go once
  // the build has put in the calls (__weft_preempt_switch is called only by host/compiler/passes/resumable.ts's code).
  let safepoint: string | null = null;
  if (mod.getExport("__weft_safepoint")) {
    safepoint = binaryen.getExportInfo(mod.getExport("__weft_safepoint")).value;
    mod.removeExport("__weft_safepoint");
  }
  const check = binaryen.getExportInfo(mod.getExport("__weft_stack_check"));
  mod.removeExport("__weft_stack_check");
  if (names.includes(STACK_CHECK)) {
    mod.removeFunction(STACK_CHECK);
    mod.addFunction(STACK_CHECK, binaryen.none, binaryen.none, [], mod.call(check.value, [], binaryen.none));
  }
  return safepoint;
}

/** Rewrites Asyncify's four intrinsics to only set its state (and buffer). As Binaryen writes them, each
 *  also compares the buffer's `current` with its `end` and traps past it: weft's loop makes that check
 *  itself before it stops an unwind (assembly/core/savearea.ts), and every buffer it rewinds
 *  from is one it built, so the four loads and compares per switch only cost time (~2 ns of a yield).
 *  N:1 (`stateCopy`): each also stores the state it sets into a word of memory (its address is what
 *  __weft_state_copy returns, assembly/core/preempt.ts), which code weft rebuilt reads instead of the global.
 *  Returns that address, or null when there is none. */
function leanIntrinsics(mod: binaryen.Module, stateCopy: boolean): number | null {
  let address: number | null = null;
  const exp = mod.getExport("__weft_state_copy");
  if (exp) {
    const fn = binaryen.getExportInfo(exp).value;
    mod.removeExport("__weft_state_copy");
    let body = binaryen.getFunctionInfo(mod.getFunction(fn)).body;
    if (binaryen.getExpressionId(body) === binaryen.BlockId) body = (binaryen.getExpressionInfo(body) as binaryen.BlockInfo).children.at(-1)!;
    if (stateCopy && binaryen.getExpressionId(body) === binaryen.ConstId) address = (binaryen.getExpressionInfo(body) as binaryen.ConstInfo).value as number;
  }
  const STATES: Record<string, number> = { asyncify_start_unwind: 1, asyncify_stop_unwind: 0, asyncify_start_rewind: 2, asyncify_stop_rewind: 0 };
  for (const [name, state] of Object.entries(STATES)) {
    const f = mod.getFunction(name);
    if (!f) return null;
    const body = [mod.global.set(ASYNCIFY_STATE, mod.i32.const(state))];
    if (state !== 0) body.push(mod.global.set("__asyncify_data", mod.local.get(0, binaryen.i32)));
    if (address !== null) body.push(mod.i32.store(0, 4, mod.i32.const(address), mod.i32.const(state)));
    (binaryen as unknown as { Function: { setBody(f: number, b: number): void } }).Function.setBody(f, mod.block(null, body, binaryen.none));
  }
  return address;
}

/** Gives the mutable i32 global `name` the initial value `value`. */
function setGlobal(mod: binaryen.Module, name: string, value: number): void {
  const g = mod.getGlobal(name);
  if (!g) throw new BuildError(`weft build: the module lacks weft's global ${name}`);
  mod.removeGlobal(name);
  mod.addGlobal(name, binaryen.i32, true, mod.i32.const(value));
}

/** Builds `entry` (an AssemblyScript file exporting main) into a weft module; `read` receives what asc read. */
export async function runPipeline(entry: string, options: PipelineSettings, read: SourcesRead): Promise<BuildResult> {
  const wasi = options.target === "wasi";
  if (wasi && options.shared) throw new BuildError("weft build: a WASI module runs on one processor (WASI preview 1 has no threads): --target wasi cannot be --shared");
  const compileWith = (calls: boolean) => compile(entry, options.processorStack, options.shared, wasi, calls, options.collector, options.traceHooks, options.poisonFreed, options.lines, read);
  const load = (c: { wasm: Uint8Array; text?: string }) => c.text !== undefined ? binaryen.parseText(c.text) : binaryen.readBinary(c.wasm);
  let compiled = await compileWith(false);
  let mod = load(compiled);
  // A program with host functions is compiled again with the kernel's half of them (passes/calls.ts),
  // which every other program then goes without.
  if (!wasi && hasHostCalls(mod, options.syncImports)) {
    mod.dispose();
    compiled = await compileWith(true);
    mod = load(compiled);
  }
  let shared: SharedLayout | undefined;
  try {
    mod.setFeatures(FEATURES);
    // A WASI build's stand-ins for the host's imports never switch, like the imports they replace.
    const abortStandIn = wasi ? abortImport(mod) : null;     // a WASI build's env.abort becomes a function: it ends the program
    const standIns = wasi ? wasiFlavour(mod) : [];
    const neverSwitchAll = [...NEVER_SWITCH, ...standIns];
    const calls = wasi ? [] : hostCalls(mod, options.syncImports);
    const safepointTarget = installIntrinsics(mod);
    storeAfterCalls(mod, STACK_POINTER);     // a call may move the stack: its result's slot is found after it
    const safepoints = options.safepoints && safepointTarget
      ? insertSafepoints(mod, options.shared ? "flag" : "fuel", safepointTarget, new Set(neverSwitchAll)) : undefined;
    const optimize = options.optimize;
    if (optimize) {
      stripNeedlessFrames(mod, STACK_POINTER, STACK_CHECK, { safepoint: safepoints ? safepointTarget! : undefined, ends: abortStandIn ? [abortStandIn] : [] });
    }
    binaryen.setOptimizeLevel(!optimize ? 0 : options.quick && !options.inlineBeforeAsyncify ? 1 : 3);
    binaryen.setShrinkLevel(0);
    markNeverInline(mod);
    withInlining(options.inlineBeforeAsyncify ? AFTER_ASYNCIFY : NO_INLINING, () => {
      if (optimize || options.inlineBeforeAsyncify) mod.optimize();
    });
    const callGraph = callees(mod);
    const locations = options.lines ? callLocations(functionBodies(mod.emitText())) : undefined;
    const callers = checkSwitchIntact(mod, callGraph);
    const sizeBeforeAsyncify = mod.emitBinary().length;

    const rebuild = options.weftUnwind;
    const originals = rebuild ? keepOriginals(mod, functionNames(mod).filter((n) => !n.startsWith("asyncify_"))) : new Map<string, string>();
    binaryen.setPassArgument("asyncify-imports", `${IMPORT_MODULE}.__none`);
    const neverSwitch = neverSwitchAll.filter((name) => mod.getFunction(name));
    const removed = [...originals.values(), ...neverSwitch];
    if (removed.length) binaryen.setPassArgument("asyncify-removelist", removed.join(","));
    mod.runPasses(["asyncify"]);
    binaryen.setPassArgument("asyncify-imports", null);
    binaryen.setPassArgument("asyncify-removelist", null);
    const exportedAs = (name: string) => mod.getExport(name) ? binaryen.getExportInfo(mod.getExport(name)).value : null;
    const preemptSwitch = exportedAs("__weft_preempt_switch"), spill = exportedAs("__weft_spill"), probeHere = exportedAs("__weft_probe_here");
    const stateCopy = leanIntrinsics(mod, !options.shared);
    const resumable = rebuild && safepointTarget && preemptSwitch && spill
      ? rebuildResumable(mod, originals, {
        safepoint: safepointTarget, preemptSwitch, spill, ...(mod.getFunction(SWITCH) ? { suspend: SWITCH } : {}),
        ...(probeHere ? { probeHere } : {}), ...(locations ? { locations } : {}),
        ...(options.shared ? {} : { fuel: FUEL_GLOBAL }), ...(stateCopy !== null ? { stateCopy } : {}), keepNames: !optimize,
      })
      : undefined;
    // Threads unwind straight into their own save areas when every frame checks its end: when every
    // function that can switch was rebuilt (assembly/core/savearea.ts, "Direct unwinds").
    if (resumable && resumable.fallback.length === 0) setGlobal(mod, DIRECT_UNWIND, 1);
    for (const name of ["__weft_spill", "__weft_direct_unwind", "__weft_probe_here"]) if (mod.getExport(name)) mod.removeExport(name);
    if (!resumable) for (const copy of originals.values()) mod.removeFunction(copy);
    // Cold paths stay out of line: inlined, they would only crowd the fast path they sit beside.
    markNeverInline(mod);
    if (mod.getExport("__weft_preempt_switch")) mod.removeExport("__weft_preempt_switch");

    // (A function weft rebuilt tests the state through its dispatcher, which may read the memory copy.)
    const rebuiltNames = new Set(resumable?.rebuilt ?? []);
    const missed = callers.filter((name) => !rebuiltNames.has(name) && !touchesGlobal(mod, name, ASYNCIFY_STATE));
    // A program that never switches has no switch at all (asc compiles only what is reachable).
    if (callGraph.has(SWITCH) && (callers.length === 0 || missed.length > 0)) {
      throw new BuildError(`weft build: Asyncify did not instrument the callers of weft's switch (${(missed.length ? missed : ["none found"]).join(", ")}); the module would hang, so none was written`);
    }
    // Twice: the second costs ~0.2 s of a cold build and changes hello by 44 bytes, but the switch
    // paths it leaves ran 1–6% faster (yield, channel_roundtrip, spawn_join; bench/HISTORY.md, "Build and start-up").
    withInlining(AFTER_ASYNCIFY, () => {
      if (optimize) mod.optimize();
      if (optimize && !options.quick) mod.optimize();
    });
    if (wasi) plainAtomics(mod);
    if (!wasi && !options.shared) addGlobalsSnapshot(mod);   // fork() (passes/fork.ts)
    if (options.shared) shared = shareModule(mod, optimize);
    if (resumable?.rebuilt.length) hotPathsFirst(mod, resumable.rebuilt);
    addCallTable(mod, calls);
    if (compiled.exports.length) mod.addCustomSection(EXPORTS_SECTION, compiled.exports);
    if (!mod.validate()) throw new BuildError("weft build: Binaryen produced an invalid module");
    const debugInfo = binaryen.getDebugInfo();
    binaryen.setDebugInfo(true);             // keep function names: traps then say where they happened
    let wasm: Uint8Array;
    if (options.lines) {                      // with its source map, in a section after the code (lines.ts)
      const { binary, sourceMap } = mod.emitBinary(LINES_SECTION) as unknown as { binary: Uint8Array; sourceMap: string };
      wasm = appendCustomSection(binary, LINES_SECTION, sourceMap);
    } else wasm = mod.emitBinary();
    // A build for debugging (source lines, or unoptimised, where the locals keep their names): the rebuilt
    // functions' frames, with their locals' names, which a parked thread's locals are read with
    // (host/kernel/locals.ts).
    if (resumable && (options.lines || !options.optimize)) wasm = appendCustomSection(wasm, LOCALS_SECTION, JSON.stringify(resumable.layouts));
    binaryen.setDebugInfo(debugInfo);
    const exported = new Set(WebAssembly.Module.exports(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>)).map((e) => e.name));
    const lacking = [...REQUIRED_EXPORTS, ...(shared ? SHARED_EXPORTS : [])].filter((name) => !exported.has(name));
    if (lacking.length) throw new BuildError(`weft build: the module lacks the exports ${lacking.join(", ")}`);
    const wasiError = wasi ? wasiImportsError(wasm) : null;
    if (wasiError) throw new BuildError(`weft build --target wasi: ${wasiError}, which no WASI runtime supplies`);
    return {
      wasm, switchCallers: callers, sizeBeforeAsyncify, size: wasm.length, ...(shared ? { shared } : {}), ...(calls.length ? { calls } : {}),
      ...(safepoints ? { safepoints } : {}), ...(resumable ? { resumable } : {}),
    };
  } finally {
    mod.dispose();
  }
}
