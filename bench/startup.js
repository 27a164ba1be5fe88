// Build and start-up times of the command line, each a fresh `node dist/host/cli.js` process timed from
// spawn to exit (wall seconds), on examples/hello.ts:
//   build_hello_s     `weft build --no-cache`: a cold build (loads asc and Binaryen from the prepared copy
//                     the first build wrote, compiles, optimises)
//   build_first_s     the same with no prepared copy (a cache folder of its own, empty): the first cold
//                     build after an install, which loads the installed asc and Binaryen
//   build_shared_s    `weft build --shared --no-cache`: the same cold build, of the module processors run
//                     (M:N and 1:1: host/compiler/passes/shared.ts)
//   build_cached_s    `weft build` of the same program, unchanged, served from the build cache
//   start_prebuilt_s  `weft run hello.wasm`: the kernel host alone, and the run
// They alternate within each round, so that a busy spell of the machine falls on all of them. The cache
// lives in a fresh folder (WEFT_CACHE_DIR) for the whole bench, filled by one build before the rounds
// (which also writes the prepared copy of the compiler, host/compiler/toolchain.ts).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./baselines.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "dist", "host", "cli.js");
const HELLO = path.join(ROOT, "examples", "hello.ts");

/** Seconds from spawning `node cli.js ...args` to its exit; throws if it failed. */
function timed(args, env) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`bench: weft ${args.join(" ")} exited with ${r.status}: ${r.stderr.trim()}`);
  return seconds;
}

export async function startupBench({ quick = false, want = () => true } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "weft-bench-startup-"));
  const env = { WEFT_CACHE_DIR: path.join(dir, "cache") };
  const wasm = path.join(dir, "hello.wasm");
  try {
    timed(["build", HELLO, "-o", wasm], env);                  // fills the cache, writes the module
    const runs = quick ? 3 : 7;
    const samples = { build_hello_s: [], build_first_s: [], build_shared_s: [], build_cached_s: [], start_prebuilt_s: [] };
    const commands = {
      build_hello_s: ["build", "--no-cache", HELLO, "-o", path.join(dir, "cold.wasm")],
      build_first_s: ["build", "--no-cache", HELLO, "-o", path.join(dir, "first.wasm")],
      build_shared_s: ["build", "--shared", "--no-cache", HELLO, "-o", path.join(dir, "shared.wasm")],
      build_cached_s: ["build", HELLO, "-o", path.join(dir, "cached.wasm")],
      start_prebuilt_s: ["run", "--quiet", wasm],
    };
    const envs = { build_first_s: { WEFT_CACHE_DIR: path.join(dir, "empty") } };   // --no-cache writes nothing there
    const names = Object.keys(samples).filter(want);
    for (let i = 0; i < runs; i++) for (const name of names) samples[name].push(timed(commands[name], envs[name] ?? env));
    return names.map((name) => ({ bench: name, value: median(samples[name]), unit: "s", runs, samples: samples[name] }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
