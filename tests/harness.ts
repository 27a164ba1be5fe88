// Builds and runs AssemblyScript test programs, off the test file's event loop: builds go to the build
// server (tests/build-server.ts, which caches them), runs to a worker thread (tests/run-worker.mjs) or to
// runShared's Workers. A test file's own thread only waits, so vitest's calls to it are answered in time.
import { spawn } from "node:child_process";
import http from "node:http";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { expect, inject } from "vitest";
import { BuildError } from "../host/compiler/errors.js";
import type { BuildOptions, BuildResult } from "../host/compiler/build.js";
import { WeftError, type GroupStats, type RunOptions, type RunResult, type ThreadStats } from "../host/kernel/runner.js";
import type { NodeIoOptions } from "../host/io/node.js";
// The compiled host: its processors are Workers that load dist/host/mn/processor-worker.js beside it.
import { runShared, type SharedRunOptions } from "../dist/host/mn/run.js";
import { BUILD_CACHE, type BuildAnswer } from "./build-server.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Posts a build request to the build server and waits for its answer. */
function ask(file: string, options: BuildOptions, ahead = false): Promise<BuildAnswer> {
  const server = inject("weftBuildServer");
  if (!server) throw new Error("tests: no build server (tests/build-server.ts runs as vitest's globalSetup: run the tests with vitest)");
  return new Promise((resolve, reject) => {
    const request = http.request(server, { method: "POST" }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk) => (body += chunk)).on("end", () => {
        try { resolve(JSON.parse(body) as BuildAnswer); } catch (e) { reject(e); }
      }).on("error", reject);
    });
    request.on("error", reject);
    request.end(JSON.stringify({ file, options, ahead }));
  });
}

const programPath = (file: string) => path.isAbsolute(file) ? file : path.join(ROOT, "tests", "programs", file);

/** Asks the build server to build these modules (`file` as buildModule takes it, and its options) while it
 *  has nothing else to do, without waiting: a test file with many programs names them at its start, and
 *  its tests then find them built. */
export function buildAhead(modules: [file: string, options?: BuildOptions][]): void {
  for (const [file, options = {}] of modules) ask(programPath(file), options, true).catch(() => {});
}

/** Builds `file` (relative to tests/programs/ or absolute) with `options`, as host/compiler/build.ts's build()
 *  does, through the build server's cache; a failed build throws its error (a BuildError stays one). */
export async function buildModule(file: string, options: BuildOptions = {}): Promise<BuildResult> {
  const answer = await ask(programPath(file), options);
  if ("error" in answer) {
    const { name, message } = answer.error;
    throw name === "BuildError" ? new BuildError(message) : Object.assign(new Error(message), { name });
  }
  const about = JSON.parse(await readFile(path.join(BUILD_CACHE, answer.key + ".json"), "utf8"));
  const wasm = new Uint8Array(await readFile(path.join(BUILD_CACHE, answer.key + ".wasm")));
  if (options.outFile) await writeFile(options.outFile, wasm);
  return { ...about, wasm };
}

/** The module of buildModule(file, options). */
export async function buildProgram(file: string, options: BuildOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
  return (await buildModule(file, options)).wasm as Uint8Array<ArrayBuffer>;
}

/** `node`: what Node's I/O host grants the program (host/io/node.ts); nothing but stdio by default. */
export type ProgramOptions = Omit<RunOptions, "stdout" | "stderr" | "io" | "signals"> & {
  build?: BuildOptions; timeoutMs?: number; node?: NodeIoOptions;
  /** Once the program prints `line`, the host raises `signals` (tests/run-worker.mjs). */
  raiseOn?: { line: string; signals: (string | number)[] };
};

/** What the host reads from a program's tables after its run (tests/run-worker.mjs). */
export interface ReadBack {
  /** weft_preempt_slice() and weft_preempt_tick(): the slice and tick the core ran with. */
  slice: number; tick: number;
  /** WeftProgram.readThreadStats(), and readThreadStats / readGroups of its raw exports. */
  threadStats: ThreadStats[]; rawThreadStats: ThreadStats[]; rawGroups: GroupStats[];
}

/** Run Workers of this file's process left idle by a run that ended cleanly (tests/run-worker.mjs says
 *  so), kept for its next run: a Worker costs ~140 ms of CPU to start and load the host, most of a short
 *  run. One that timed out, failed or left anything in its event loop is terminated. Unref'd while idle. */
const idleRunWorkers: Worker[] = [];
const IDLE_RUN_WORKERS = 2;

/** Builds and runs `file` in a worker thread; a run that takes longer than timeoutMs is stopped and fails. */
async function runInWorker(file: string, options: ProgramOptions, readBack: boolean): Promise<{ result: RunResult; readBack?: ReadBack }> {
  const { build: buildOptions, timeoutMs = 60_000, ...runOptions } = options;
  const wasm = await buildProgram(file, buildOptions);
  const worker = idleRunWorkers.pop() ?? new Worker(new URL("./run-worker.mjs", import.meta.url));
  worker.ref();
  let reusable = false;
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${file}: still running after ${timeoutMs} ms (stopped)`)), timeoutMs);
      worker.removeAllListeners("message").removeAllListeners("error");
      worker.once("message", (m: { result?: RunResult; readBack?: ReadBack; error?: { name: string; message: string }; reusable?: boolean }) => {
        clearTimeout(timer);
        reusable = m.reusable === true;
        if (m.result) resolve({ result: m.result, readBack: m.readBack });
        else reject(m.error?.name === "WeftError" ? new WeftError(m.error.message) : new Error(m.error?.message));
      });
      worker.once("error", (e) => { clearTimeout(timer); reject(e); });
      worker.postMessage({ wasm, options: runOptions, readBack });
    });
  } finally {
    if (reusable && idleRunWorkers.length < IDLE_RUN_WORKERS) {
      // While idle, a failure only takes it out of the pool.
      worker.removeAllListeners("message").removeAllListeners("error").once("error", () => {
        const at = idleRunWorkers.indexOf(worker);
        if (at >= 0) idleRunWorkers.splice(at, 1);
      });
      worker.unref();
      idleRunWorkers.push(worker);
    } else {
      await worker.terminate();
    }
  }
}

/** Builds and runs a program in a worker thread; a run that takes longer than timeoutMs (default 60 s)
 *  is stopped and fails the test with a clear message. See host/kernel/runner.ts for RunResult. */
export async function runProgram(file: string, options: ProgramOptions = {}): Promise<RunResult> {
  return (await runInWorker(file, options, false)).result;
}

/** runProgram, and what the host reads back from the program's tables once the run is over. */
export async function runReadingBack(file: string, options: ProgramOptions = {}): Promise<{ result: RunResult; readBack: ReadBack }> {
  const { result, readBack } = await runInWorker(file, options, true);
  return { result, readBack: readBack! };
}

/** Builds `file` for M:N (shared) and runs it on `processors` Workers, or 1:1 (host/mn/run.ts). */
export async function runSharedProgram(file: string, processors: number, timeoutMs = 60_000, model: "M:N" | "1:1" = "M:N",
  options: BuildOptions = {}, run: Partial<SharedRunOptions> = {}): Promise<RunResult> {
  const wasm = await buildProgram(file, { ...options, shared: true });
  return runShared(wasm as Uint8Array<ArrayBuffer>, { processors, timeoutMs, model, ...run });
}

const runs = new Map<string, Promise<RunResult>>();
/** runProgram for `tests/programs/<name>.ts`, run once per test file however many cases read it. */
export function runOnce(name: string, options: ProgramOptions = {}): Promise<RunResult> {
  const key = name + JSON.stringify(options);
  if (!runs.has(key)) runs.set(key, runProgram(`${name}.ts`, options));
  return runs.get(key)!;
}

/** The `key=value` lines of a run, as a map (the value is everything after the first "="). */
export function valuesOf(result: RunResult): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of lines(result)) {
    const eq = line.indexOf("=");
    if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return values;
}

/** Runs a program that must exit 0 and returns its values. */
export async function runValues(name: string, options: ProgramOptions = {}): Promise<Map<string, string>> {
  const result = await runOnce(name, options);
  expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null, stderr: result.stderr })
    .toMatchObject({ status: "exited", exitCode: 0, error: null });
  return valuesOf(result);
}

/** The values named by `keys`, as an object, so a failure shows every mismatch at once. */
export function pick(values: Map<string, string>, keys: string[]): Record<string, string | undefined> {
  return Object.fromEntries(keys.map((k) => [k, values.get(k)]));
}

/** The lines a run printed to stdout. */
export function lines(result: RunResult): string[] {
  return result.stdout.split("\n").filter((l) => l.length > 0);
}

/** What a child process left: its exit status (null if it was stopped), its signal and its output. */
export interface ChildResult { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs `node ...args` in a child process and collects its output as spawnSync would, without holding this
 *  thread's event loop while it runs. `input` is written to its stdin (then closed); a child still running
 *  after `timeoutMs` is killed, and its status is null. The default, 4 minutes, is for a hung child only:
 *  the CLI building a program takes seconds, and a minute on a machine whose every core is busy. */
export function runNode(args: string[], options: { cwd?: string; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ChildResult> {
  const { cwd = ROOT, input = "", timeoutMs = 240_000, env = process.env } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {});               // a child that exits without reading its input
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    child.on("close", (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
}

/** What tests/programs/process_fork.ts prints, N:1 or on processors, in Node or a browser. */
export const FORK_VALUES = {
  child_pids: "ok", child_counter: "101", child_join_absent: "yes", fork_in_parent: "child id", child_status: "exit 7",
  parent_counter_kept: "101", sigchld_after_wait: "1", wait_again: "ECHILD", wait_bad_options: "EINVAL", wnohang: "exit 3",
  child_killed: "signal 15", hazard_child: "exit 1", child_robust: "EOWNERDEAD,0,0",
  child_unrepaired: "EOWNERDEAD,ENOTRECOVERABLE", child_atfork_lock: "0", atfork_child: "exit 0", no_child: "ECHILD",
};
