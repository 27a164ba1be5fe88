// Builds and runs AssemblyScript test programs. Builds are cached by the hash of the program, weft's
// core and the build pipeline, so a test run builds each program once.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildOptions } from "../host/build.js";
import { run, type RunOptions, type RunResult } from "../host/runner.js";

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

let coreHash: Promise<string> | null = null;
function hashCore(): Promise<string> {
  coreHash ??= (async () => {
    const h = createHash("sha256");
    for (const f of [...(await filesUnder(path.join(ROOT, "assembly"))), path.join(ROOT, "host", "build.ts")]) {
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

/** Builds and runs a program; see host/runner.ts for RunResult. */
export async function runProgram(file: string, options: RunOptions & { build?: BuildOptions } = {}): Promise<RunResult> {
  const wasm = await buildProgram(file, options.build);
  return run(wasm as Uint8Array<ArrayBuffer>, options);
}

/** The lines a run printed to stdout. */
export function lines(result: RunResult): string[] {
  return result.stdout.split("\n").filter((l) => l.length > 0);
}
