// Building and running a program for the commands: the module of a .ts file (from the build cache, or
// built in a process of its own), a run with Node's I/O host, and what a run's end prints.

import path from "node:path";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import module from "node:module";
import { run, type RunOptions, type RunResult, type ThreadStats, type GroupStats, type GcStats } from "../kernel/runner.js";
import type { NodeIoOptions } from "../io/node.js";
import { EXIT_OK, EXIT_FAILURE, EXIT_DEADLOCK, BuildFailed } from "./usage.js";

/** The command line's own script: a build runs `node cli.js build` in a process of its own. */
const CLI = fileURLToPath(new URL("../cli.js", import.meta.url));

// The front of the build (build.ts) answers from the cache without loading the compiler; the compiler
// itself (asc and Binaryen) is loaded only by a build that misses. Both only when a command needs them.
export const buildModule = () => import("../compiler/build.js");
const runFile: typeof import("../node.js").runFile = async (...args) => (await import("../node.js")).runFile(...args);

/** Runs a .wasm file, or a .ts program's module (builtModule), with Node's I/O host as runFile does. */
export async function runProgram(program: string | Uint8Array, options: RunOptions & { grants?: NodeIoOptions }): Promise<RunResult> {
  if (typeof program === "string") return runFile(program, options);
  const { grants, ...runOptions } = options;
  const { NodeIo, loadFromDisk } = await import("../node.js");
  return run(program as Uint8Array<ArrayBuffer>, { loadProgram: loadFromDisk, ...runOptions, io: new NodeIo(grants) });
}

/** V8 flags for a process that only builds. The build spends most of its time in binaryen.js, 12 MB of
 *  Wasm: with tier-up, V8 compiles its hot functions again with TurboFan, which costs more than it saves
 *  in a process of a few seconds (the first optimisation took 0.7 s with --liftoff-only, 1.5 s without on
 *  an idle machine, 3–4 s on a busy one). V8's flags hold for the whole process and for everything
 *  compiled after they are set, so they are set only where no program will run: `weft build`, and the
 *  process `weft run app.ts` starts to build its module (see builtModule). */
export const BUILD_V8_FLAGS = ["--liftoff-only"];

/** Node's module compile cache (Node 22 and later; Node 20 has none) for a process that builds: V8 keeps
 *  the code it compiled for asc's and Binaryen's 1.8 MB of JavaScript (the prepared copy's,
 *  host/compiler/toolchain.ts) and the next build skips compiling it again: ~0.1 s of a cold build on
 *  Node 22 here (medians of 5, alternating: 2.15 s against 2.30 s). In <cache folder>/v8; a process-wide
 *  setting, so only the command line turns it on, and only where it builds with the cache (`--no-cache`
 *  writes nothing in its folder). */
export function enableCompileCache(dir: string): void {
  const enable = (module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  try { enable?.(dir); } catch { /* a folder that cannot be written: no cache */ }
}

/** The module of a .ts program, for `weft run` and `weft start`: from the build cache when it holds it
 *  (no compiler loaded); else built by `weft build` in a process of its own under BUILD_V8_FLAGS, which
 *  this process, where the program runs, never sees. `cache` false: `weft build --no-cache`. */
export async function builtModule(file: string, shared: boolean, cache: boolean, wasi = false, debug = false): Promise<Uint8Array> {
  if (cache) {
    const hit = await (await buildModule()).fromCache(file, { shared, target: wasi ? "wasi" : "weft", ...(debug ? { optimize: false, lines: true } : {}) });
    if (hit) return hit.wasm;
  }
  const dir = mkdtempSync(path.join(tmpdir(), "weft-run-"));
  try {
    const out = path.join(dir, "program.wasm");
    const args = [...BUILD_V8_FLAGS, CLI, "build", file, "-o", out,
      ...(shared ? ["--shared"] : []), ...(wasi ? ["--target", "wasi"] : []), ...(debug ? ["--no-optimize", "--lines"] : []), ...(cache ? [] : ["--no-cache"])];
    const code = await new Promise<number | null>((resolve, reject) => {
      spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] }).on("error", reject).on("exit", resolve);
    });
    if (code !== EXIT_OK) throw new BuildFailed(`weft build exited with ${code}`);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A time in ms with one decimal, or "-" when it was not kept. */
const ms = (v: number | null) => v === null ? "-" : v.toFixed(1);

/** --stats: the collector's line. */
export function gcLines(gc: GcStats | null): string[] {
  if (!gc) return [];
  const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
  return [`gc: ${gc.collections} collections, ${gc.pauses} pauses (${gc.pauseTotalMs.toFixed(1)} ms in all, longest ` +
    `${gc.pauseMaxMs.toFixed(2)} ms), ${mb(gc.freedBytes)} MB freed; ${mb(gc.liveBytes)} MB of objects kept by the last, ` +
    `${mb(gc.heapBytes)} MB in use after it; percentage ${gc.gcPercent < 0 ? "off" : gc.gcPercent}`];
}

/** --stats: one line per thread, aligned columns (times in ms), then one line per group. */
export function statsLines(threads: ThreadStats[], groups: GroupStats[]): string[] {
  const header = ["id", "name", "state", "pri", "group", "weight", "switches", "cpu ms", "exact ms", "runnable ms", "blocked ms"];
  const rows = threads.map((t) => [
    String(t.id), t.name, t.state, String(t.priority), String(t.group), String(t.weight), String(t.switches),
    ms(t.cpu), ms(t.cpuExact), ms(t.runnable), ms(t.blocked),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const left = new Set([1, 2]);                          // name and state read left to right; numbers right
  const line = (cells: string[]) => cells.map((cell, c) => left.has(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  ").trimEnd();
  return [
    line(header), ...rows.map(line),
    ...groups.map((g) => `group ${g.id}: weight ${g.weight}, cpu ${ms(g.cpu)} ms`),
  ];
}

/** The run's end on stderr (unless it exited), and the exit status it makes. */
export function report(result: RunResult): number {
  if (result.status === "deadlock") { console.error(`weft: ${result.error}`); return EXIT_DEADLOCK; }
  if (result.status === "error") { console.error(`weft: ${result.error}`); return EXIT_FAILURE; }
  if (result.status === "signaled") { console.error(`weft: ${result.error}`); return result.exitCode & 0xff; }
  return result.exitCode & 0xff;
}
