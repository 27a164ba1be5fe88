#!/usr/bin/env node
// weft's command line: build and run programs, and `weft start` (the bundled examples and a benchmark
// summary). Exit codes: EXIT_* (host/cli/usage.ts); `weft run` exits with main's own value when main returns.

import path from "node:path";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";
import v8 from "node:v8";
import { WeftError } from "./kernel/runner.js";
import { SLICE_MS_MAX, TICK_MS_MAX } from "./abi.js";
import type { BuildError as BuildErrorType } from "./compiler/errors.js";
import {
  EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_DEADLOCK, UsageError, BuildFailed, splitProgramArgs, takeDir, takeCount, takeNumber,
} from "./cli/usage.js";
import { buildModule, runProgram, builtModule, report, BUILD_V8_FLAGS, enableCompileCache } from "./cli/programs.js";
import { cmdRun } from "./cli/run.js";

export { EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_DEADLOCK };
export { gcLines, statsLines } from "./cli/programs.js";

const HELP = `weft — user-level threads for WebAssembly

Usage:
  weft run <app.ts|app.wasm> [options]   run a program (a .ts file is built first)
  weft explore <app.ts|app.wasm> [--runs N] [--pct D] [--from S] [-- args]
                                         run a program under seed after seed until a run fails, then
                                         print the seed and the command that replays it
  weft debug <app.ts|app.wasm> [--dir <path>] [--processors <n>] [-- args]
                                         run a program under a debugger (N:1, or M:N on n processors):
                                         it stops at debugBreak() or Ctrl-C and reads threads, bt N,
                                         step N, continue from stdin
  weft build <entry.ts> [-o out.wasm] [--shared | --target wasi] [--no-safepoints] [--no-cache]
                                         build an AssemblyScript program into a weft module
  weft start [--no-bench]                run the bundled examples and the benchmark summary (--no-bench:
                                         the examples alone)
  weft --help | --version

Options for run:
  --dir <path>             grant a directory (and all under it) to the program's file calls; repeatable
  --allow-listen <h:p>     grant listening on host:port (port 0: any port on that host); repeatable
  --allow-connect <h:p>    grant connecting to host:port (port *: any port); repeatable
  --allow-fetch <prefix>   grant reading URLs that start with prefix through open(); repeatable
  --processors <n>         run on n processors (Workers) over one shared memory (M:N); a .ts program is
                           built with --shared; every I/O call and grant works as on one processor
  --one-to-one             run with a Worker per thread (1:1), over one shared memory, for comparison
  --imports <module.js>    the program's host functions: a JavaScript module whose default export is
                           { module: { name: function } } (README, "Host functions")
  --target wasi            build a .ts program for WASI and run it under node:wasi, as any WASI runtime
                           would (a .wasm built so runs that way by itself); --dir grants directories
  --io <mode>              how calls that name no mode are done: async (default), blocking, offload
  --helpers <n>            helper Workers for offload mode (default 4)
  --save-area <bytes>      most bytes a thread's frames may take when it switches (default 65536)
  --memory-limit <bytes>   cap on the heap; spawn fails with ENOMEM beyond it
  --gc-percent <n|off>     collect once objects allocated since the last collection pass n% of the heap
                           in use after it (default 100, as Go's GOGC); off: only gc() collects
  --slice <ms>             time slice: how long a thread runs before others of its priority get the
                           processor (more than 0, at most ${SLICE_MS_MAX}; default 10)
  --tick <ms>              how often a running thread checks whether to give way (more than 0, at most
                           ${TICK_MS_MAX}; default 1)
  --exact-accounting       keep exact CPU, runnable and blocked times per thread (a clock read per switch)
  --deadlock report|abort  a cycle of waits among some threads: say so and go on (default), or end the run
  --seed <n>               every scheduling choice comes from seed n (0 to 2^64-1): the same seed gives
                           the same interleaving and output (README, "Reproducible schedules"); N:1
                           (with --processors the program runs on one processor, and says so)
  --pct <d>                with --seed: PCT schedules for bugs of depth d (1 to 16), not a random walk
  --pct-steps <k>          with --pct: the change points fall among the first k picks (default 1000)
  --dump-on <signal>       N:1: that signal (e.g. SIGQUIT, Ctrl-\\) prints every thread to stderr instead
  --stats                  after the run, print every thread's statistics and the groups' to stderr
  --trace <file>           write a timeline of the run to file (Chrome trace JSON: open it in Perfetto
                           or chrome://tracing): runs, waits, wake-ups, spawns, preemptions, pauses, I/O
  --quiet                  print only the program's own output
  --no-cache               build a .ts program anew, without the build cache (see build)
  Nothing is granted by default but stdin, stdout and stderr: other paths and addresses fail with EACCES.
Options for explore (and run's options but --processors, --one-to-one and --seed):
  --runs <n>               runs at most n schedules (default 1000)
  --pct <d>                every other run is a PCT schedule of depth d (default 3; 0: random walk only)
  --from <s>               the first seed (default 1)
Options for build:
  -o, --out <file>         where to write the module (default: <entry>.wasm)
  --no-optimize            skip Binaryen's optimiser (faster build, slower program)
  --quick                  optimise lightly (Binaryen level 1): about half the build time
  --lines                  keep source lines for backtraces (file:line:column of each frame; README,
                           Errors): a source map in the module's "weft.lines" section
  --shared                 build for M:N: one module that several processors (Workers) run over one
                           shared memory
  --target <weft|wasi>     weft (default): for weft's own host in Node or a browser; wasi: for any WASI
                           preview 1 runtime (node:wasi, wasmtime, wasmer, WAMR): imports only
                           wasi_snapshot_preview1, exports _start, N:1 (README, "Embedding")
  --sync-imports <list>    the program's imports that answer at once ("app.price,app.*"): plain Wasm
                           imports, called directly; the others may return a Promise
  --no-safepoints          no safepoints in the program's loops and recursive functions: a thread that
                           never yields then keeps its processor (slightly faster loops)
  --no-cache               neither use nor fill the build cache. The cache serves a program whose files
                           (every one the compiler read), weft, the compiler and the options are all as
                           they were; it lives in node_modules/.cache/weft beside weft's install, or
                           in $WEFT_CACHE_DIR (set it to move the cache; delete the folder to empty it).
                           The compiler's own caches live there too and are used either way: a copy of
                           asc and Binaryen that loads faster (toolchain/, written by a build that uses
                           the cache) and, on Node 22 and later, Node's compile cache (v8/)

Exit status: main's value after "run"; ${EXIT_FAILURE} after "explore" when a run failed; ${EXIT_FAILURE} build failed, module refused or main died;
${EXIT_USAGE} usage error; ${EXIT_DEADLOCK} deadlock.`;

/** `weft debug app.ts`: runs the program N:1 with a debugger on the terminal (host/kernel/debug.ts): it
 *  stops where a thread calls debugBreak(), or on Ctrl-C, and reads commands (threads, bt N, step N,
 *  continue) from stdin; with --processors, on that many (M:N: host/kernel/debug.ts says how a stop is
 *  made there). A .ts program is built with --no-optimize, so that functions keep frames of
 *  their own and locals their names (a frame shows its live locals), and --lines, so that each frame
 *  says where it is in the source. */
async function cmdDebug(args: string[]): Promise<number> {
  let file: string | undefined, cache = true, processors: number | undefined;
  const dirs: string[] = [];
  let programArgs: string[];
  [args, programArgs] = splitProgramArgs(args);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--dir") { dirs.push(takeDir(args, i)); i++; }
    else if (a === "--no-cache") cache = false;
    else if (a === "--processors") { processors = takeCount(args, i, a, 1, 64); i++; }
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a} for debug (it takes --dir, --processors, --no-cache)`);
    else if (file) throw new UsageError(`debug takes one program, got ${file} and ${a}`);
    else file = a;
  }
  if (!file) throw new UsageError("debug needs a program: weft debug <app.ts|app.wasm>");
  if (!/\.(ts|wasm)$/.test(file)) throw new UsageError(`debug takes a .ts or .wasm file, got ${file}`);
  if (!existsSync(file)) throw new WeftError(`no such file: ${file}`);
  const shared = processors !== undefined;
  const wasm = file.endsWith(".ts") ? await builtModule(file, shared, cache, false, true) : readFileSync(file);
  const { consoleDebugger } = await import("./kernel/debug.js");
  const { createInterface } = await import("node:readline");
  const input = createInterface({ input: process.stdin, terminal: false });
  const hooks = consoleDebugger(input, (text) => process.stdout.write(text.endsWith("(weft) ") ? text : text + "\n"));
  let program: { pause(): void } | null = null;
  const interrupt = () => { process.stdout.write("\n"); program?.pause(); };
  process.on("SIGINT", interrupt);              // Ctrl-C stops the program (it does not end it)
  const printing = {
    stdout: (line: string) => process.stdout.write(line + "\n"),
    stderr: (line: string) => process.stderr.write(line + "\n"),
    onThreadDied: (message: string) => console.error(`weft: ${message}`),
  };
  const debug = { ...hooks, onStart: (control: { pause(): void }) => { program = control; } };
  try {
    if (shared) {
      const { runShared } = await import("./mn/run.js");
      const { NodeIo, loadFromDisk } = await import("./node.js");
      return report(await runShared(wasm as Uint8Array<ArrayBuffer>, {
        processors, io: new NodeIo({ dirs }), args: [file, ...programArgs], loadProgram: loadFromDisk, debug, ...printing,
      }));
    }
    return report(await runProgram(wasm as Uint8Array<ArrayBuffer>, { args: [file, ...programArgs], grants: { dirs }, debug, ...printing }));
  } finally {
    process.off("SIGINT", interrupt);
    input.close();
  }
}

/** `weft explore app.ts`: runs seeds until one fails (host/kernel/explore.ts), then prints the seed, the
 *  strategy, the failure and the command that replays it. The options of run that the schedule does not
 *  set are passed on to every run (and to the printed command). */
async function cmdExplore(args: string[]): Promise<number> {
  let file: string | undefined, runs: number | undefined, pct: number | undefined, from: number | undefined;
  let cache = true;
  const passed: string[] = [];                 // run's options, for the replay command
  let programArgs: string[];
  [args, programArgs] = splitProgramArgs(args);
  const runOptions: Parameters<typeof import("./kernel/explore.js").explore>[1] = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--runs") { runs = takeCount(args, i, a, 1, 1e9); i++; }
    else if (a === "--pct") { pct = takeCount(args, i, a, 0, 16); i++; }
    else if (a === "--from") { from = takeCount(args, i, a, 0, Number.MAX_SAFE_INTEGER); i++; }
    else if (a === "--no-cache") cache = false;
    else if (a === "--save-area") { runOptions.saveAreaMax = takeNumber(args, i, a); passed.push(a, args[++i]); }
    else if (a === "--memory-limit") { runOptions.memoryLimit = takeNumber(args, i, a); passed.push(a, args[++i]); }
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a} for explore (it takes --runs, --pct, --from, --save-area, --memory-limit, --no-cache)`);
    else if (file) throw new UsageError(`explore takes one program, got ${file} and ${a}`);
    else file = a;
  }
  if (!file) throw new UsageError("explore needs a program: weft explore <app.ts|app.wasm>");
  if (!/\.(ts|wasm)$/.test(file)) throw new UsageError(`explore takes a .ts or .wasm file, got ${file}`);
  if (!existsSync(file)) throw new WeftError(`no such file: ${file}`);
  const { explore, replayFlags } = await import("./kernel/explore.js");
  const wasm = file.endsWith(".ts") ? await builtModule(file, false, cache) : readFileSync(file);
  const result = await explore(wasm as Uint8Array<ArrayBuffer>, { ...runOptions, runs, pct, from, args: [file, ...programArgs] });
  const rate = (n: number) => Math.round(n / (result.elapsedMs / 1000)).toLocaleString("en-US");
  const failed = result.failed;
  if (!failed) {
    console.log(`weft explore: ${result.runs.toLocaleString("en-US")} schedules, no failure (${rate(result.runs)} schedules/s)`);
    return EXIT_OK;
  }
  const quote = (s: string) => /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
  const command = ["weft", "run", file, ...replayFlags(failed), ...passed, ...(programArgs.length ? ["--", ...programArgs] : [])].map(quote).join(" ");
  const indent = (text: string) => text.trimEnd().split("\n").map((l) => "  " + l).join("\n");
  console.log(`weft explore: run ${failed.index} failed (seed ${failed.schedule.seed}, ${failed.strategy}; ${rate(result.runs)} schedules/s)`);
  console.log(indent(failed.failure!));
  console.log(`replay it with:\n  ${command}`);
  return EXIT_FAILURE;
}

async function cmdBuild(args: string[]): Promise<number> {
  let entry: string | undefined, out: string | undefined, optimize: boolean | "quick" = true, shared = false, safepoints = true, cache = true;
  let lines = false;
  let target: "weft" | "wasi" = "weft";
  let syncImports: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-o" || a === "--out") { out = args[++i]; if (!out) throw new UsageError(`${a} needs a file name`); }
    else if (a === "--no-optimize") optimize = false;
    else if (a === "--quick") optimize = "quick";
    else if (a === "--lines") lines = true;
    else if (a === "--shared") shared = true;
    else if (a === "--no-safepoints") safepoints = false;
    else if (a === "--no-cache") cache = false;
    else if (a === "--sync-imports") {
      const list = args[++i];
      if (!list || !/^[^.,\s]+\.[^.,\s]+(,[^.,\s]+\.[^.,\s]+)*$/.test(list)) throw new UsageError(`--sync-imports takes module.name[,module.name...], got ${list === undefined ? "nothing" : JSON.stringify(list)}`);
      syncImports = list.split(",");
    }
    else if (a === "--target") {
      const t = args[++i];
      if (t !== "weft" && t !== "wasi") throw new UsageError(`--target takes weft or wasi, got ${t === undefined ? "nothing" : JSON.stringify(t)}`);
      target = t;
    }
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a} for build`);
    else if (entry) throw new UsageError(`build takes one entry file, got ${entry} and ${a}`);
    else entry = a;
  }
  if (!entry) throw new UsageError("build needs an entry file: weft build <entry.ts>");
  if (!entry.endsWith(".ts")) throw new UsageError(`build takes an AssemblyScript .ts file, got ${entry}`);
  out ??= entry.replace(/\.ts$/, ".wasm");
  for (const flag of BUILD_V8_FLAGS) v8.setFlagsFromString(flag);      // this process only builds
  const { build, defaultCacheDir } = await buildModule();
  if (cache) enableCompileCache(path.join(defaultCacheDir(), "v8"));   // --no-cache writes nothing there
  if (shared && target === "wasi") throw new UsageError("--target wasi makes an N:1 module (WASI preview 1 has no threads): drop --shared");
  const result = await build(entry, { outFile: out, optimize, shared, safepoints, cache, target, syncImports, lines });
  const kind = result.shared ? `shared, ${Object.keys(result.shared.globals).length} shared globals; ` : target === "wasi" ? "WASI; " : "";
  const from = result.cached ? ", from the build cache" : "";
  console.log(`weft: built ${out} (${result.size} bytes; ${kind}${result.switchCallers.length} functions switch${from})`);
  return EXIT_OK;
}

async function cmdStart(args: string[]): Promise<number> {
  for (const a of args) if (a !== "--no-bench") throw new UsageError(`unknown option ${a} for start`);
  const bench = !args.includes("--no-bench");
  const { WEFT_ROOT } = await buildModule();
  const examples = path.join(WEFT_ROOT, "examples");
  const files = existsSync(examples) ? readdirSync(examples).filter((f) => f.endsWith(".ts")).sort() : [];
  let failed = 0;
  for (const f of files) {
    console.log(`\n── examples/${f} ${"─".repeat(Math.max(0, 60 - f.length))}`);
    // A server runs until stopped: its header says how to run it ("// run: weft run ..."); start shows that.
    const server = /^\/\/ run: (weft run .*)$/m.exec(readFileSync(path.join(examples, f), "utf8"));
    if (server) { console.log(`  a server: try it with ${server[1]}`); continue; }
    const result = await runProgram(await builtModule(path.join(examples, f), false, true), { stdout: (l) => console.log("  " + l) });
    report(result);
    console.log(`  → ${result.status}, exit ${result.exitCode}, ${result.elapsedMs.toFixed(1)} ms`);
    if (result.status !== "exited") failed++;
  }
  if (bench) {
    console.log(`\n── benchmarks (quick) ${"─".repeat(43)}`);
    const benchmarks = spawnSync(process.execPath, [path.join(WEFT_ROOT, "bench", "run.js"), "--quick"], { stdio: "inherit" });
    if (benchmarks.status !== 0) failed++;
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined: case "--help": case "-h": case "help": console.log(HELP); return command ? EXIT_OK : EXIT_USAGE;
      case "--version": case "-v": console.log("weft 0.1.0"); return EXIT_OK;
      case "run": return await cmdRun(rest);
      case "explore": return await cmdExplore(rest);
      case "debug": return await cmdDebug(rest);
      case "build": return await cmdBuild(rest);
      case "start": return await cmdStart(rest);
      default: throw new UsageError(`unknown command ${JSON.stringify(command)} (try weft --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError) { console.error(`weft: ${e.message}`); return EXIT_USAGE; }
    if (e instanceof BuildFailed) return EXIT_FAILURE;
    if ((e as Error)?.name === "BuildError") {
      const be = e as BuildErrorType;
      console.error(be.message);
      if (be.diagnostics && process.env.WEFT_VERBOSE) console.error(be.diagnostics);
      return EXIT_FAILURE;
    }
    if (e instanceof WeftError) { console.error(`weft: ${e.message}`); return EXIT_FAILURE; }
    throw e;
  }
}

const invokedDirectly = !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
// process.exit rather than exitCode: a helper Worker still blocked in a read of stdin (offload mode) would
// otherwise keep the process until that read returns. stdout and stderr writes are synchronous here.
if (invokedDirectly) {
  // A reader that went away (`weft run app.ts | head`) ends the run quietly, as with any Unix tool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => { if (e.code === "EPIPE") process.exit(0); throw e; });
  }
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
