// `weft run`: its options, and the run they ask for — N:1, on processors (M:N or 1:1), or a WASI module
// through node:wasi.

import path from "node:path";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { WeftError, type RunResult } from "../kernel/runner.js";
import { SLICE_MS_MAX, TICK_MS_MAX } from "../abi.js";
import type { IoMode } from "../io/abi.js";
import { EXIT_FAILURE, UsageError, splitProgramArgs, takeDir, takeSeed, takeCount, takeNumber, takeMs } from "./usage.js";
import { builtModule, runProgram, report, statsLines, gcLines } from "./programs.js";

/** --imports: the default export of a JavaScript module, { module: { name: function } }. */
async function hostImports(file: string): Promise<Record<string, Record<string, (...args: any[]) => unknown>>> {
  if (!existsSync(file)) throw new UsageError(`--imports ${file}: no such file`);
  const loaded = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
  const value = loaded.default;
  if (typeof value !== "object" || value === null) throw new UsageError(`--imports ${file}: its default export must be { module: { name: function } }`);
  return value as Record<string, Record<string, (...args: any[]) => unknown>>;
}


/** A run's end: reported (report), its trace written to `traceFile`, and with `stats` its threads' and the
 *  collector's figures on stderr. The exit status. */
function finishRun(result: RunResult, traceFile: string | undefined, stats: boolean): number {
  const code = report(result);
  if (traceFile !== undefined && result.trace) {
    try { writeFileSync(traceFile, JSON.stringify(result.trace)); }
    catch (e) {
      process.stderr.write(`weft: could not write the trace to ${traceFile}: ${(e as Error).message}\n`);
      return code || EXIT_FAILURE;
    }
    const { records, dropped } = result.trace.otherData.weft;
    process.stderr.write(`weft: trace of ${records} records written to ${traceFile}${dropped ? ` (${dropped} dropped)` : ""}\n`);
  }
  if (stats) for (const line of [...statsLines(result.threadStats, result.groups), ...gcLines(result.gc)]) process.stderr.write(line + "\n");
  return code;
}

/** `weft run app.ts|app.wasm [options] [-- args]`: the exit status. */
export async function cmdRun(args: string[]): Promise<number> {
  let file: string | undefined, saveAreaMax: number | undefined, memoryLimit: number | undefined, quiet = false;
  let gcPercent: number | undefined;
  let slice: number | undefined, tick: number | undefined, exactAccounting = false, stats = false;
  let deadlock: "report" | "abort" | undefined;
  let dumpOn: string | undefined, traceFile: string | undefined;
  let seed: bigint | undefined, pct: number | undefined, pctSteps: number | undefined;
  let ioMode: IoMode | undefined, helpers: number | undefined, processors: number | undefined, oneToOne = false;
  let cache = true, wasiTarget = false, importsFile: string | undefined;
  const dirs: string[] = [], listen: string[] = [], connect: string[] = [], fetch: string[] = [];
  const takeValue = (i: number, flag: string, what: string): string => {
    const v = args[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs ${what}`);
    return v;
  };
  const takeAddress = (i: number, flag: string): string => {
    const v = takeValue(i, flag, "an address host:port");
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d+|\*)$/.test(v)) throw new UsageError(`${flag} needs an address host:port, got ${JSON.stringify(v)}`);
    return v;
  };
  let programArgs: string[];
  [args, programArgs] = splitProgramArgs(args);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--dir") { dirs.push(takeDir(args, i)); i++; }
    else if (a === "--allow-listen") { listen.push(takeAddress(i, a)); i++; }
    else if (a === "--allow-connect") { connect.push(takeAddress(i, a)); i++; }
    else if (a === "--allow-fetch") { fetch.push(takeValue(i, a, "a URL prefix")); i++; }
    else if (a === "--io") {
      const m = takeValue(i, a, "a mode: async, blocking or offload"); i++;
      if (m !== "async" && m !== "blocking" && m !== "offload") throw new UsageError(`--io takes async, blocking or offload, got ${JSON.stringify(m)}`);
      ioMode = m;
    }
    else if (a === "--helpers") {
      helpers = takeNumber(args, i, a); i++;
      if (helpers < 1 || helpers > 256) throw new UsageError(`--helpers takes 1 to 256, got ${helpers}`);
    }
    else if (a === "--one-to-one") oneToOne = true;
    else if (a === "--imports") { importsFile = takeValue(i, a, "a JavaScript module"); i++; }
    else if (a === "--target") {
      const t = takeValue(i, a, "a target: weft or wasi"); i++;
      if (t !== "weft" && t !== "wasi") throw new UsageError(`--target takes weft or wasi, got ${JSON.stringify(t)}`);
      wasiTarget = t === "wasi";
    }
    else if (a === "--processors") {
      processors = takeNumber(args, i, a); i++;
      if (processors < 1 || processors > 64) throw new UsageError(`--processors takes 1 to 64, got ${processors}`);
    }
    else if (a === "--save-area") { saveAreaMax = takeNumber(args, i, a); i++; }
    else if (a === "--memory-limit") { memoryLimit = takeNumber(args, i, a); i++; }
    else if (a === "--gc-percent") {
      const v = args[i + 1]; i++;
      if (v === "off") gcPercent = -1;
      else if (v !== undefined && /^\d+$/.test(v) && Number(v) <= 1_000_000) gcPercent = Number(v);
      else throw new UsageError(`--gc-percent takes a percentage (0 to 1000000) or off, got ${v === undefined ? "nothing" : JSON.stringify(v)}`);
    }
    else if (a === "--slice") { slice = takeMs(args, i, a, SLICE_MS_MAX); i++; }
    else if (a === "--tick") { tick = takeMs(args, i, a, TICK_MS_MAX); i++; }
    else if (a === "--exact-accounting") exactAccounting = true;
    else if (a === "--dump-on") {
      dumpOn = takeValue(i, a, "a signal, e.g. SIGQUIT"); i++;
      const { signalNumber } = await import("../kernel/signals.js");
      try { signalNumber(dumpOn); } catch (e) { throw new UsageError(`--dump-on: ${(e as Error).message}`); }
    }
    else if (a === "--deadlock" || a.startsWith("--deadlock=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : takeValue(i++, a, "report or abort");
      if (v !== "report" && v !== "abort") throw new UsageError(`--deadlock takes report or abort, got ${JSON.stringify(v)}`);
      deadlock = v;
    }
    else if (a === "--seed") { seed = takeSeed(args, i); i++; }
    else if (a === "--pct") { pct = takeCount(args, i, a, 1, 16); i++; }
    else if (a === "--pct-steps") { pctSteps = takeCount(args, i, a, 1, 2 ** 31 - 1); i++; }
    else if (a === "--stats") stats = true;
    else if (a === "--trace") {
      traceFile = takeValue(i, a, "a file to write the trace to"); i++;
      // Now, not after a long run: a file that cannot be written is refused before the program starts.
      try { writeFileSync(traceFile, ""); }
      catch (e) { throw new UsageError(`--trace: cannot write ${traceFile}: ${(e as Error).message}`); }
    }
    else if (a === "--quiet") quiet = true;
    else if (a === "--no-cache") cache = false;
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a} for run`);
    else if (file) throw new UsageError(`run takes one program, got ${file} and ${a}`);
    else file = a;
  }
  if (!file) throw new UsageError("run needs a program: weft run <app.ts|app.wasm>");
  if (!/\.(ts|wasm)$/.test(file)) throw new UsageError(`run takes a .ts or .wasm file, got ${file}`);
  if (!existsSync(file)) throw new WeftError(`no such file: ${file}`);
  const imports = importsFile === undefined ? undefined : await hostImports(importsFile);
  const printing = {
    stdout: (line: string) => process.stdout.write(line + "\n"),
    stderr: (line: string) => process.stderr.write(line + "\n"),
    onThreadDied: (message: string) => { if (!quiet) console.error(`weft: ${message}`); },
  };
  const preempt = { slice, tick, exactAccounting };
  // The process's own signals (Ctrl-C, kill) go to the program, which decides (core/signal.ts).
  const { WeftSignals } = await import("../kernel/signals.js");
  const signals = new WeftSignals();
  signals.forwardProcess();
  const finish = (result: RunResult): number => finishRun(result, traceFile, stats);
  if (oneToOne && processors !== undefined) throw new UsageError("--one-to-one makes a Worker per thread: drop --processors");
  if ((pct !== undefined || pctSteps !== undefined) && seed === undefined) throw new UsageError("--pct and --pct-steps need --seed");
  if (pctSteps !== undefined && pct === undefined) throw new UsageError("--pct-steps needs --pct");
  if (seed !== undefined && (processors !== undefined || oneToOne)) {
    // A seeded schedule is one processor's (host/kernel/explore.ts, design note).
    console.error("weft: --seed runs the program on one processor (N:1): a seeded schedule is one processor's");
    processors = undefined;
    oneToOne = false;
  }
  if (dumpOn !== undefined && (processors !== undefined || oneToOne)) throw new UsageError("--dump-on works in N:1 (a program's dumpThreads() works everywhere): drop --processors and --one-to-one");
  const wasiFile = !file.endsWith(".ts") && (await import("../wasi.js")).isWasiModule(readFileSync(file));
  if (wasiTarget || wasiFile) {
    // The module carries its kernel; node:wasi plays only the WASI runtime (host/wasi.ts).
    signals.detach();                        // node:wasi's module has no way to take them: Node's defaults
    if (processors !== undefined || oneToOne) throw new UsageError("a WASI module runs on one processor: drop --processors and --one-to-one");
    if (listen.length || connect.length || fetch.length) throw new UsageError("a WASI module has no sockets: --allow-listen, --allow-connect and --allow-fetch do not apply");
    const { runWasi } = await import("../wasi.js");
    const wasm = file.endsWith(".ts") ? await builtModule(file, false, cache, true) : readFileSync(file);
    return runWasi(wasm, { dirs, args: [file] });
  }
  if (processors !== undefined || oneToOne) {
    const { runShared } = await import("../mn/run.js");
    const wasm = file.endsWith(".ts") ? await builtModule(file, true, cache) : readFileSync(file);
    // One I/O host for the whole run, on this thread: every processor's calls come here (host/kernel/shared-io.ts).
    const { NodeIo, loadFromDisk } = await import("../node.js");
    const io = new NodeIo({ dirs, listen, connect, fetch, helpers });
    return finish(await runShared(wasm as Uint8Array<ArrayBuffer>, {
      processors, model: oneToOne ? "1:1" : "M:N", saveAreaMax, memoryLimit, gcPercent, io, ioMode, imports, signals, deadlock, ...preempt, ...printing,
      args: [file, ...programArgs],
      trace: traceFile !== undefined, loadProgram: loadFromDisk,
    }));
  }
  const result = await runProgram(file.endsWith(".ts") ? await builtModule(file, false, cache) : file, {
    saveAreaMax, memoryLimit, gcPercent, ioMode, imports, signals, deadlock, dumpOn, args: [file, ...programArgs], ...preempt, grants: { dirs, listen, connect, fetch, helpers },
    trace: traceFile !== undefined,
    ...(seed !== undefined ? { seed, pct, pctSteps } : {}), ...printing,
  });
  return finish(result);
}

