// Preemption benchmarks (issue 5):
//   safepoint_overhead   bench/programs/preempt_kernels.ts built with safepoints and without (the build
//                        option), run alternately in this process; per kernel, median(with) / median(without)
//                        over every timed run; the figure is the geometric mean of the three kernels'
//                        ratios (ratio; target <= 1.03), each also reported as safepoint_overhead_fib,
//                        _loop and _matmul.
//   safepoint_overhead_mn  the same for the shared (M:N) build on one processor (runShared), whose
//                        safepoints read the ticker's word instead of counting fuel. Reported only when
//                        both shared builds run (the shared build needs the host's ticker to preempt, not
//                        to run a single thread).
//   preempt_latency_p99  bench/programs/preempt_latency.ts (N:1): 2 spinners, main sleeps 2 ms 200 times;
//                        the 99th percentile of how late it woke (ms; target <= slice + 1 = 11), and the
//                        median as preempt_latency_p50.
//   fair_share_error     bench/programs/preempt_fair.ts (N:1): two groups (weights 3 and 1; the second
//                        holds threads of weights 1 and 3), 2 s; the worst relative error of the measured
//                        shares against 0.75, 0.0625, 0.1875 (ratio; target <= 0.05).
// Each figure is the median over runs (a kernel's time: over every timed kernel run of every run). In the
// --json lines, `runs` is the runs of each build; safepoint_overhead's `samples` are the three kernels'
// ratios (fib, loop, matmul), a kernel's are the ratios of its timed runs taken pairwise.
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
const KERNELS = ["fib", "loop", "matmul"];

/** The module for bench/programs/<program>.ts with `options` (build()'s), cached by core and options. */
async function cachedBuild(program, options, coreKey) {
  const file = path.join(ROOT, "bench", "programs", program + ".ts");
  const key = createHash("sha256").update(coreKey).update(JSON.stringify(options)).update(readFileSync(file))
    .digest("hex").slice(0, 24);
  const cached = path.join(CACHE, `${program}-${key}.wasm`);
  if (existsSync(cached)) return readFileSync(cached);
  const { wasm } = await build(file, options);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(cached, wasm);
  return wasm;
}

/** Runs a module once (N:1, or M:N on one processor) and returns its `name value` lines as name → values. */
async function samplesOf(wasm, shared) {
  const r = shared ? await runShared(wasm, { processors: 1, timeoutMs: 120_000 }) : await run(wasm);
  if (r.status !== "exited" || r.exitCode !== 0) throw new Error(`bench preempt: ${r.status} ${r.error ?? ""} ${r.stderr}`.trim());
  const out = {};
  for (const line of r.stdout.split("\n")) {
    const m = /^(\w+) ([\d.e+-]+)$/.exec(line.trim());
    if (m) (out[m[1]] ??= []).push(Number(m[2]));
  }
  return out;
}

const geomean = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

/** Per kernel, median(with safepoints) / median(without), the two builds run alternately `runs` times. */
async function overhead(runs, shared, coreKey) {
  const withSp = await cachedBuild("preempt_kernels", { shared, safepoints: true }, coreKey);
  const without = await cachedBuild("preempt_kernels", { shared, safepoints: false }, coreKey);
  const times = { with: {}, without: {} };
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so that drift (the machine warming, other load) falls on both alike.
    const order = i % 2 === 0 ? [["with", withSp], ["without", without]] : [["without", without], ["with", withSp]];
    for (const [variant, wasm] of order) {
      const s = await samplesOf(wasm, shared);
      for (const k of KERNELS) {
        if (!s[`${k}_ms`]) throw new Error(`bench preempt: preempt_kernels did not report ${k}_ms`);
        (times[variant][k] ??= []).push(...s[`${k}_ms`]);
      }
    }
  }
  const ratios = {};
  for (const k of KERNELS) ratios[k] = median(times.with[k]) / median(times.without[k]);
  return { ratios, times };
}

/** Every preemption figure, as bench/run.js's results. `want(name)`: whether a figure is asked for. */
export async function preemptBench({ quick = false, coreKey = "", want = () => true } = {}) {
  const results = [];
  const add = (bench, value, unit, samples, extra = {}) => results.push({ bench, value, unit, runs: samples.length, samples, ...extra });

  if (want("safepoint_overhead")) {
    const runs = quick ? 3 : 7;
    const { ratios, times } = await overhead(runs, false, coreKey);
    const perKernel = KERNELS.map((k) => ratios[k]);
    add("safepoint_overhead", geomean(perKernel), "ratio", perKernel, {
      runs,
      with_ms: Object.fromEntries(KERNELS.map((k) => [k, +median(times.with[k]).toFixed(2)])),
      without_ms: Object.fromEntries(KERNELS.map((k) => [k, +median(times.without[k]).toFixed(2)])),
    });
    for (const k of KERNELS) {
      add(`safepoint_overhead_${k}`, ratios[k], "ratio", times.with[k].map((t, i) => t / (times.without[k][i] ?? NaN)).filter(Number.isFinite), {
        with_ms: +median(times.with[k]).toFixed(2), without_ms: +median(times.without[k]).toFixed(2),
      });
    }
  }
  if (want("safepoint_overhead_mn")) {
    try {
      const runs = quick ? 1 : 3;
      const { ratios } = await overhead(runs, true, coreKey);
      const perKernel = KERNELS.map((k) => ratios[k]);
      add("safepoint_overhead_mn", geomean(perKernel), "ratio", perKernel, { runs, kernels: ratios });
    } catch (e) {
      console.error(`bench preempt: safepoint_overhead_mn skipped: ${e.message}`);
    }
  }
  if (want("preempt_latency")) {
    const wasm = await cachedBuild("preempt_latency", {}, coreKey);
    const p99 = [], p50 = [];
    for (let i = 0, n = quick ? 1 : 5; i < n; i++) {
      const s = await samplesOf(wasm, false);
      p99.push(s.preempt_latency_p99[0]);
      p50.push(s.preempt_latency_p50[0]);
    }
    add("preempt_latency_p99", median(p99), "ms", p99);
    add("preempt_latency_p50", median(p50), "ms", p50);
  }
  if (want("fair_share")) {
    const wasm = await cachedBuild("preempt_fair", {}, coreKey);
    const error = [], shares = { a: [], b1: [], b3: [] };
    for (let i = 0, n = quick ? 1 : 3; i < n; i++) {
      const s = await samplesOf(wasm, false);
      error.push(s.fair_share_error[0]);
      for (const k of Object.keys(shares)) shares[k].push(s[`fair_share_${k}`][0]);
    }
    add("fair_share_error", median(error), "ratio", error, {
      shares: Object.fromEntries(Object.entries(shares).map(([k, v]) => [k, +median(v).toFixed(4)])),
    });
  }
  return results;
}
