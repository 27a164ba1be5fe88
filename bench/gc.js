// The collector's benchmarks (assembly/core/gc.ts):
//   gc_churn_peak_mb      bench/programs/gc_churn.ts, N:1: the heap's high-water mark (MB) of 4 threads
//                         building and splitting 2,000,000 request lines (target <= 64)
//   gc_churn_peak_mb_p2   the same on 2 processors (target <= 96)
//   gc_pause_p99_ms       bench/programs/gc_pause.ts: p99 pause with 100,000 parked threads each holding a
//                         small object graph while one thread allocates (target <= 20)
//   gc_pause_p99_ms_1k    the same with 1,000 threads (target <= 2)
//   gc_alloc_ratio        binary trees (bench/programs/lib/trees.ts) under weft / the same kernel built by
//                         plain asc --runtime incremental -O3, run without weft, same run (target <= 1.0)
//   gc_cost_skynet_1m, gc_cost_channel_roundtrip, gc_cost_spawn_join
//                         the program built with the collector / built without it (`collector: false`),
//                         runs alternated in one process (target <= 1.05)
//   gc_cost_http          examples/http.ts: req/s built without the collector / with it, under wrk
//                         (bench/http.js, httpGcBench; target <= 1.05)
// Each figure is the median of `runs` runs; ratios are ratios of medians.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../dist/host/compiler/build.js";
import { run } from "../dist/host/kernel/runner.js";
import { runShared } from "../dist/host/mn/run.js";
import { median } from "./baselines.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench");

async function cachedBuild(program, coreKey, options = {}) {
  const file = path.join(ROOT, "bench", "programs", program + ".ts");
  const lib = path.join(ROOT, "bench", "programs", "lib");
  const h = createHash("sha256").update(coreKey).update(readFileSync(file)).update(JSON.stringify(options));
  for (const f of ["gc_pause.ts", "trees.ts"]) h.update(readFileSync(path.join(lib, f)));
  const cached = path.join(CACHE, `${program}-${h.digest("hex").slice(0, 24)}.wasm`);
  if (existsSync(cached)) return readFileSync(cached);
  const { wasm } = await build(file, options);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(cached, wasm);
  return wasm;
}

/** The `name value` lines a run printed. */
function valuesOf(result, what) {
  if (result.status !== "exited" || result.exitCode !== 0) throw new Error(`bench ${what}: ${result.status} ${result.error ?? ""} ${result.stderr}`.trim());
  const out = {};
  for (const line of result.stdout.split("\n")) {
    const m = /^(\w+) ([\d.e+-]+)$/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** The binary-trees kernel as a plain AssemblyScript module: asc --runtime incremental -O3, no weft. */
async function ascTrees(coreKey) {
  const file = path.join(ROOT, "bench", "programs", "lib", "trees_asc.ts");
  const key = createHash("sha256").update(coreKey).update(readFileSync(file))
    .update(readFileSync(path.join(ROOT, "bench", "programs", "lib", "trees.ts"))).digest("hex").slice(0, 24);
  const cached = path.join(CACHE, `trees-asc-${key}.wasm`);
  if (existsSync(cached)) return readFileSync(cached);
  const asc = await import("assemblyscript/asc");
  let wasm = null, diagnostics = "";
  const { error } = await asc.main([file, "--runtime", "incremental", "-O3", "--outFile", "trees.wasm"], {
    writeFile: (name, contents) => { if (contents instanceof Uint8Array) wasm = contents; },
    stderr: { write: (s) => { diagnostics += s; return true; } },
  });
  if (error || !wasm) throw new Error(`bench gc: asc could not build trees_asc.ts: ${error?.message ?? ""} ${diagnostics}`);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(cached, wasm);
  return wasm;
}

export async function gcBench({ quick, coreKey, want }) {
  const runs = quick ? 3 : 7;
  const results = [];
  const push = (bench, samples, extra = {}) => results.push({ bench, value: median(samples), unit: extra.unit ?? "ms", runs: samples.length, samples, ...extra });

  if (want("gc_churn_peak_mb")) {
    const wasm = await cachedBuild("gc_churn", coreKey);
    const peak = [], ms = [];
    for (let i = 0; i < runs; i++) {
      const v = valuesOf(await run(wasm), "gc_churn");
      peak.push(v.gc_churn_peak_mb); ms.push(v.gc_churn_ms);
    }
    push("gc_churn_peak_mb", peak, { unit: "MB", churn_ms: median(ms) });
  }
  if (want("gc_churn_peak_mb_p2")) {
    const wasm = await cachedBuild("gc_churn", coreKey, { shared: true });
    const peak = [], ms = [];
    for (let i = 0; i < runs; i++) {
      const v = valuesOf(await runShared(wasm, { processors: 2, timeoutMs: 300_000 }), "gc_churn p2");
      peak.push(v.gc_churn_peak_mb); ms.push(v.gc_churn_ms);
    }
    push("gc_churn_peak_mb_p2", peak, { unit: "MB", churn_ms: median(ms) });
  }
  for (const [program, name] of [["gc_pause", "gc_pause_p99_ms"], ["gc_pause_1k", "gc_pause_p99_ms_1k"]]) {
    if (!want(name)) continue;
    const wasm = await cachedBuild(program, coreKey);
    const p99 = [], mark = [], sweep = [];
    for (let i = 0; i < runs; i++) {
      const v = valuesOf(await run(wasm), program);
      p99.push(v[name]); mark.push(v[`${name}_mark_mean`]); sweep.push(v[`${name}_sweep_mean`]);
    }
    push(name, p99, { mark_mean_ms: +median(mark).toFixed(3), sweep_mean_ms: +median(sweep).toFixed(3) });
  }
  if (want("gc_alloc_ratio")) {
    const wasm = await cachedBuild("gc_trees", coreKey);
    const plain = await WebAssembly.instantiate(await ascTrees(coreKey), { env: { abort: () => { throw new Error("trees_asc aborted"); } } });
    const weftMs = [], ascMs = [];
    const sums = new Set();
    for (let i = 0; i < runs; i++) {
      const v = valuesOf(await run(wasm), "gc_trees");
      weftMs.push(v.gc_trees_ms);
      sums.add(v.gc_trees_sum);
      // A fresh instance each run, as weft's run has.
      const instance = (await WebAssembly.instantiate(plain.module, { env: { abort: () => { throw new Error("trees_asc aborted"); } } })).exports;
      const t0 = performance.now();
      sums.add(instance.run());
      ascMs.push(performance.now() - t0);
    }
    if (sums.size !== 1) throw new Error(`bench gc: the two trees kernels disagree (${[...sums].join(", ")})`);
    results.push({ bench: "gc_alloc_ratio", value: median(weftMs) / median(ascMs), unit: "ratio", runs, samples: weftMs.map((w, i) => w / ascMs[i]),
      weft_ms: +median(weftMs).toFixed(1), asc_ms: +median(ascMs).toFixed(1) });
  }
  for (const [program, name, field] of [["skynet", "gc_cost_skynet_1m", "skynet_1m"], ["channel", "gc_cost_channel_roundtrip", "channel_roundtrip"], ["spawn_join", "gc_cost_spawn_join", "spawn_join"]]) {
    if (!want(name)) continue;
    const on = await cachedBuild(program, coreKey), off = await cachedBuild(program, coreKey, { collector: false });
    const withGc = [], without = [];
    for (let i = 0; i < runs; i++) {
      withGc.push(valuesOf(await run(on), program)[field]);
      without.push(valuesOf(await run(off), program)[field]);
    }
    results.push({ bench: name, value: median(withGc) / median(without), unit: "ratio", runs, samples: withGc.map((w, i) => w / without[i]),
      with_collector: +median(withGc).toFixed(1), without_collector: +median(without).toFixed(1) });
  }
  return results;
}
