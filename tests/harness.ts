// Builds and runs AssemblyScript test programs. Builds are cached by the hash of the program, weft's
// core and the build pipeline (host/compiler/build.ts and every host file it imports), so a test run builds each
// program once, and again whenever any of them changes.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { expect } from "vitest";
import { build, type BuildOptions } from "../host/compiler/build.js";
import { WeftError, type RunOptions, type RunResult } from "../host/kernel/runner.js";
import type { NodeIoOptions } from "../host/io/node.js";
// The compiled host: its processors are Workers that load dist/host/mn/processor-worker.js beside it.
import { runShared, type SharedRunOptions } from "../dist/host/mn/run.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-tests");

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out.sort();
}

/** `file` and every file of weft's it imports ("./x.js" names the source ./x.ts), however deep. */
async function withImports(file: string, seen = new Set<string>()): Promise<string[]> {
  if (seen.has(file)) return [...seen];
  seen.add(file);
  for (const m of (await readFile(file, "utf8")).matchAll(/from\s+["'](\.{1,2}\/[^"']+)\.js["']/g)) {
    await withImports(path.join(path.dirname(file), m[1] + ".ts"), seen);
  }
  return [...seen].sort();
}

let coreHash: Promise<string> | null = null;
function hashCore(): Promise<string> {
  coreHash ??= (async () => {
    const h = createHash("sha256");
    // The build pipeline: host/compiler/build.ts and every host file it imports, however deep.
    for (const f of [...(await filesUnder(path.join(ROOT, "assembly"))), ...(await withImports(path.join(ROOT, "host", "compiler", "build.ts")))]) {
      h.update(f).update(await readFile(f));
    }
    return h.digest("hex");
  })();
  return coreHash;
}

/** Builds `file` (relative to tests/programs/ or absolute), cached. */
export async function buildProgram(file: string, options: BuildOptions = {}): Promise<Uint8Array> {
  const abs = path.isAbsolute(file) ? file : path.join(ROOT, "tests", "programs", file);
  const key = createHash("sha256").update(await hashCore()).update(abs).update(await readFile(abs))
    .update(JSON.stringify(options)).digest("hex").slice(0, 32);
  const cached = path.join(CACHE, key + ".wasm");
  if (existsSync(cached)) return new Uint8Array(await readFile(cached));
  const { wasm } = await build(abs, options);
  await mkdir(CACHE, { recursive: true });
  await writeFile(cached, wasm);
  return wasm;
}

/** `node`: what Node's I/O host grants the program (host/io/node.ts); nothing but stdio by default. */
export type ProgramOptions = Omit<RunOptions, "stdout" | "stderr" | "io"> & {
  build?: BuildOptions; timeoutMs?: number; node?: NodeIoOptions;
};

/** Builds and runs a program in a worker thread; a run that takes longer than timeoutMs (default 60 s)
 *  is stopped and fails the test with a clear message. See host/kernel/runner.ts for RunResult. */
export async function runProgram(file: string, options: ProgramOptions = {}): Promise<RunResult> {
  const { build: buildOptions, timeoutMs = 60_000, ...runOptions } = options;
  const wasm = await buildProgram(file, buildOptions);
  const worker = new Worker(new URL("./run-worker.mjs", import.meta.url), { workerData: { wasm, options: runOptions } });
  try {
    return await new Promise<RunResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${file}: still running after ${timeoutMs} ms (stopped)`)), timeoutMs);
      worker.once("message", (m: { result?: RunResult; error?: { name: string; message: string } }) => {
        clearTimeout(timer);
        if (m.result) resolve(m.result);
        else reject(m.error?.name === "WeftError" ? new WeftError(m.error.message) : new Error(m.error?.message));
      });
      worker.once("error", (e) => { clearTimeout(timer); reject(e); });
    });
  } finally {
    await worker.terminate();
  }
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
