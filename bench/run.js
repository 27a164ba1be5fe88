#!/usr/bin/env node
// weft's benchmark suite: each program in bench/programs prints "name value" lines; this runs each program
// several times (fresh instance each run), reports medians, and measures the JS baselines in the same run.
//
//   npm run bench                 a table
//   npm run bench -- --json       one JSON object per line: {"bench","value","unit","runs","target",...}
//   npm run bench -- --quick      fewer runs (what `npm start` shows)
//   npm run bench -- yield mutex  only programs whose name contains one of these words
//   npm run bench -- startup      the command line's build and start-up times (bench/startup.js)
//   npm run bench -- embed        the switch benchmarks under node:wasi and natively (bench/embed.js)
//   npm run bench -- signal       signal latencies (bench/signals.js)
//   npm run bench -- fork_        fork and posixSpawn costs (bench/processes.js)
//   npm run bench -- call_in      JavaScript calling in: app.call's cost (bench/call-in.js)
//   npm run bench -- explore      schedules explored per second (bench/explore.js)
//   npm run bench -- trace_       the timeline trace's cost, off and on (bench/trace.js)
//
// Targets are medians on Node 20 on the project's 2-core machine (see README, "Performance").
//
// Profiling a benchmark down to the instruction (Debian's linux-perf; this machine has no hardware
// counters, so perf samples cpu-clock): build the program (weft build bench/programs/yield.ts -o y.wasm),
// then  perf record -k 1 -F 10000 -o p.data node --perf-prof dist/host/cli.js run y.wasm
//       perf inject --jit -i p.data -o p.jit.data && perf report -i p.jit.data --no-children --sort symbol
//       perf annotate -i p.jit.data --stdio -s 'JS:<function>-<n>-turbofan'
// Function names tell the tier: "-liftoff" is V8's unoptimised code (see SWITCHES_PER_CALL).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../dist/host/compiler/build.js";
import { run } from "../dist/host/kernel/runner.js";
import { NodeIo } from "../dist/host/io/node.js";
import { asyncPingPong, generatorPingPong, median } from "./baselines.js";
import { httpBench, httpGcBench, httpMnBench, httpCloseBench } from "./http.js";
import { mnBench } from "./mn.js";
import { preemptBench } from "./preempt.js";
import { startupBench } from "./startup.js";
import { gcBench } from "./gc.js";
import { embedBench } from "./embed.js";
import { callsBench } from "./calls.js";
import { guestBench } from "./guest.js";
import { signalsBench } from "./signals.js";
import { processesBench } from "./processes.js";
import { callInBench } from "./call-in.js";
import { exploreBench } from "./explore.js";
import { traceBench } from "./trace.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench");

/** Every benchmark: unit, target (the value must be <= it) or range (within it), and Go's figure on this
 *  machine or the prediction a ratio is taken against, or a note on what is timed. Programs that do I/O run with Node's I/O host
 *  (PROGRAM_IO); io_lab takes ~9 s a run, so it runs fewer times (RUNS). */
export const BENCHES = {
  yield_d1: { unit: "ns", target: 20, go: "52-57 ns", program: "yield" },
  yield_d10: { unit: "ns", target: 100, go: "~flat", program: "yield" },
  spawn_join: { unit: "ns", target: 150, go: "286-342 ns", program: "spawn_join" },
  mutex_uncontended: { unit: "ns", target: 5, go: "14 ns", program: "mutex" },
  channel_roundtrip: { unit: "ns", target: 80, go: "242-281 ns", program: "channel" },
  live_threads_100k: { unit: "bytes", target: 512, go: "2.6 KB", program: "live_threads" },
  skynet_1m: { unit: "ms", target: 500, go: "1,430 ms", program: "skynet" },
  io_blocking_rate: { unit: "ratio", range: [0.95, 1.05], program: "io_lab", prediction: "1/(tc+tb)" },
  io_async_rate: { unit: "ratio", range: [0.95, 1.05], program: "io_lab", prediction: "1/tc" },
  io_offload_rate: { unit: "ratio", range: [0.95, 1.05], program: "io_lab", prediction: "1/tc" },
  io_utilisation: { unit: "ratio", range: [0.95, 1.05], program: "io_lab", prediction: "1-(1-p)^N, worst N" },
  io_utilisation_n1: { unit: "ratio", program: "io_lab" },
  io_utilisation_n2: { unit: "ratio", program: "io_lab" },
  io_utilisation_n4: { unit: "ratio", program: "io_lab" },
  io_utilisation_n8: { unit: "ratio", program: "io_lab" },
  mn_speedup_2: { unit: "ratio", range: [1.9, Infinity], program: null, prediction: "1 processor (compute-bound)" },
  skynet_1m_p2: { unit: "ms", target: 300, go: "710 ms (2 procs)", program: null },
  spawn_mn: { unit: "ns", program: null },
  mem_mn_1k: { unit: "bytes", program: null },
  mem_mn_10k: { unit: "bytes", program: null },
  xworker_pingpong: { unit: "ratio", target: 1.2, program: null, prediction: "raw Atomics.wait/notify round trip" },
  mn_ring_ratio: { unit: "ratio", target: 1.5, program: null, prediction: "the same ring on 1 processor" },
  mn_pingpong_ratio: { unit: "ratio", target: 1.5, program: null, prediction: "channel_roundtrip, N:1" },
  mn_rerun_ratio: { unit: "ratio", target: 0.25, program: null, prediction: "the first run of a fresh process (new Workers)" },
  idle_cpu_4p: { unit: "ratio", target: 0.02, program: null, prediction: "wall time (CPU / wall, whole process)" },
  spawn_1to1: { unit: "ns", program: null },
  mem_1to1_100: { unit: "bytes", program: null },
  http_vs_node: { unit: "ratio", range: [0.9, Infinity], program: null, prediction: "Node's http module" },
  http_mn_vs_node: { unit: "ratio", range: [1.3, Infinity], program: null, prediction: "Node's http module (weft on 2 processors)" },
  http_mn_speedup_2: { unit: "ratio", range: [1.6, Infinity], program: null, prediction: "1 processor (~0.2 ms of CPU per request)" },
  http_node_threads_2: { unit: "ratio", program: null, prediction: "one Node process (Node's http on 2 Workers sharing the port; Node 22.12+)" },
  http_close_mn_vs_n1: { unit: "ratio", program: null, prediction: "N:1, a connection per request" },
  safepoint_overhead: { unit: "ratio", target: 1.03, program: null, prediction: "the kernels built without safepoints (geomean)" },
  safepoint_overhead_fib: { unit: "ratio", program: null, prediction: "built without safepoints" },
  safepoint_overhead_loop: { unit: "ratio", program: null, prediction: "built without safepoints" },
  safepoint_overhead_matmul: { unit: "ratio", program: null, prediction: "built without safepoints" },
  safepoint_overhead_mn: { unit: "ratio", program: null, prediction: "shared build without safepoints, 1 processor" },
  preempt_latency_p99: { unit: "ms", target: 11, program: null, prediction: "slice (10 ms) + 1 ms" },
  preempt_latency_p50: { unit: "ms", program: null },
  fair_share_error: { unit: "ratio", target: 0.05, program: null, prediction: "configured shares" },
  build_hello_s: { unit: "s", target: 2.5, program: null, note: "weft build --no-cache examples/hello.ts, a fresh process" },
  build_first_s: { unit: "s", program: null, note: "the same, the first time after an install (no prepared compiler)" },
  build_shared_s: { unit: "s", program: null, note: "weft build --shared --no-cache examples/hello.ts (the module processors run)" },
  build_cached_s: { unit: "s", target: 0.3, program: null, note: "weft build of it unchanged, from the build cache" },
  start_prebuilt_s: { unit: "s", target: 0.3, program: null, note: "weft run hello.wasm (built), a fresh process" },
  gc_churn_peak_mb: { unit: "MB", target: 64, program: null, prediction: "1,380 MB without a collector" },
  gc_churn_peak_mb_p2: { unit: "MB", target: 96, program: null },
  gc_pause_p99_ms: { unit: "ms", target: 20, program: null },
  gc_pause_p99_ms_1k: { unit: "ms", target: 2, program: null },
  gc_alloc_ratio: { unit: "ratio", target: 1.0, program: null, prediction: "asc --runtime incremental, no weft" },
  gc_cost_skynet_1m: { unit: "ratio", target: 1.05, program: null, prediction: "built without the collector" },
  gc_cost_channel_roundtrip: { unit: "ratio", target: 1.05, program: null, prediction: "built without the collector" },
  gc_cost_spawn_join: { unit: "ratio", target: 1.05, program: null, prediction: "built without the collector" },
  gc_cost_http: { unit: "ratio", target: 1.05, program: null, prediction: "req/s built without the collector / with it" },
  host_call_sync: { unit: "ns", program: null, note: "a sync import, called directly" },
  host_call_ratio: { unit: "ratio", target: 1.5, program: null, prediction: "a plain Wasm → JS call of the same function" },
  host_call: { unit: "ns", program: null, note: "a host function answered at once (a system call)" },
  host_call_resolved: { unit: "ns", program: null, note: "a host function returning a resolved Promise (parks)" },
  interval_late_max_ms: { unit: "ms", target: 30, program: null, note: "a 5 ms setInterval beside 8 computing threads, N:1" },
  host_slice_throughput: { unit: "ratio", range: [0.97, Infinity], program: null, prediction: "hostSlice: Infinity (no turns)" },
  call_in_us: { unit: "µs", program: null, note: "app.call from JavaScript to its resolved Promise, one at a time, N:1" },
  call_in_burst_us: { unit: "µs", program: null, note: "the same, 1,000 calls in flight (each)" },
  call_in_mn_us: { unit: "µs", program: null, note: "app.call on 2 processors, one at a time" },
  call_in_mn_burst_us: { unit: "µs", program: null, note: "the same, 1,000 in flight (each)" },
  fork_ms: { unit: "ms", program: null, note: "fork() to the child running, 16 MB of live objects, N:1" },
  fork_dense_ms: { unit: "ms", program: null, note: "the same with every byte of the 16 MB set (no zero page to skip), N:1" },
  fork_ms_p2: { unit: "ms", program: null, note: "fork_ms on 2 processors: the world stopped, the copy, a child run on Workers of its own (kept ones where there are)" },
  spawn_process_ms: { unit: "ms", program: null, note: "posixSpawn() of a small built program to its main" },
  fork_spawn_ratio: { unit: "ratio", target: 2, program: null, prediction: "spawn_process_ms, same run" },
  signal_latency_us: { unit: "µs", target: 1000, program: null, note: "p99, WeftSignals.raise to the handler, a thread in a futex wait, N:1" },
  signal_latency_mn_us: { unit: "µs", target: 1000, program: null, note: "the same on 2 processors" },
  signal_latency_spin_us: { unit: "µs", target: 2000, program: null, note: "p99, to a thread spinning in a loop, N:1 (tick + 1 ms)" },
  signal_latency_spin_mn_us: { unit: "µs", target: 2000, program: null, note: "the same on 2 processors" },
  wasi_yield_d1: { unit: "ns", program: null, prediction: "yield_d1 under weft's host, same rounds" },
  wasi_channel_roundtrip: { unit: "ns", program: null, prediction: "channel_roundtrip under weft's host, same rounds" },
  c_yield_d1: { unit: "ns", program: null, prediction: "yield_d1 under weft's host, same rounds" },
  c_channel_roundtrip: { unit: "ns", program: null, prediction: "channel_roundtrip under weft's host, same rounds" },
  explore_runs_per_s: { unit: "runs/s", program: null, note: "weft explore of a 10-thread program (lock, add, yield, send), N:1" },
  trace_overhead_off: { unit: "ratio", target: 1.01, program: null, prediction: "channel_roundtrip built without the trace's hooks" },
  trace_overhead_on: { unit: "ratio", target: 1.3, program: null, prediction: "channel_roundtrip, the same module not tracing" },
  baseline_generator_d1: { unit: "ns", program: null },
  baseline_async_d1: { unit: "ns", program: null },
};

const PROGRAM_IO = { io_lab: { helpers: 8 } };
const RUNS = { io_lab: { quick: 1, full: 3 } };

function hashOf(files) {
  const h = createHash("sha256");
  for (const f of files) h.update(f).update(readFileSync(f));
  return h.digest("hex").slice(0, 24);
}

/** What a build depends on: the core's sources, and the compiler as it runs (dist/host/compiler and the
 *  ABI file it imports; tests/layout.test.ts keeps it from importing any other file of weft's). */
function coreFiles() {
  const out = [];
  const walk = (d, ext) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, ext); else if (e.name.endsWith(ext) && !e.name.endsWith(".d.ts")) out.push(p);
    }
  };
  walk(path.join(ROOT, "assembly"), ".ts");
  walk(path.join(ROOT, "dist", "host", "compiler"), ".js");
  return [...out.sort(), path.join(ROOT, "dist", "host", "abi.js")];
}

async function buildCached(program) {
  const file = path.join(ROOT, "bench", "programs", program + ".ts");
  const key = hashOf([...coreFiles(), file]);
  const cached = path.join(CACHE, `${program}-${key}.wasm`);
  if (existsSync(cached)) return readFileSync(cached);
  const { wasm } = await build(file);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(cached, wasm);
  return wasm;
}

async function runProgram(program, runs) {
  const wasm = await buildCached(program);
  const samples = {};
  for (let i = 0; i < runs; i++) {
    const io = PROGRAM_IO[program] ? new NodeIo(PROGRAM_IO[program]) : undefined;
    const result = await run(wasm, { io });
    if (result.status !== "exited" || result.exitCode !== 0) {
      throw new Error(`bench ${program}: ${result.status} ${result.error ?? ""} ${result.stderr}`.trim());
    }
    for (const line of result.stdout.split("\n")) {
      const m = /^(\w+) ([\d.e+-]+)$/.exec(line.trim());
      if (m) (samples[m[1]] ??= []).push(Number(m[2]));
    }
  }
  return samples;
}

function format(value, unit) {
  if (unit === "ratio" || unit === "s") return value.toFixed(2);
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

async function main(argv) {
  const json = argv.includes("--json");
  const quick = argv.includes("--quick");
  const filters = argv.filter((a) => !a.startsWith("--"));
  const runs = quick ? 3 : 7;
  const want = (name) => filters.length === 0 || filters.some((f) => name.includes(f));
  const results = [];

  const programs = [...new Set(Object.values(BENCHES).map((b) => b.program).filter(Boolean))];
  for (const program of programs) {
    const names = Object.entries(BENCHES).filter(([, b]) => b.program === program).map(([n]) => n);
    if (!names.some(want)) continue;
    const samples = await runProgram(program, RUNS[program]?.[quick ? "quick" : "full"] ?? runs);
    for (const name of names) {
      if (!samples[name]) throw new Error(`bench ${program} did not report ${name}`);
      results.push({ bench: name, value: median(samples[name]), unit: BENCHES[name].unit, runs: samples[name].length, samples: samples[name] });
    }
  }
  if (want("baseline") || want("yield")) {
    const iterations = quick ? 500_000 : 2_000_000;
    const gen = [], asy = [];
    for (let i = 0; i < runs; i++) {
      gen.push(generatorPingPong(iterations, 1));
      asy.push(await asyncPingPong(iterations / 4, 1));
    }
    results.push({ bench: "baseline_generator_d1", value: median(gen), unit: "ns", runs, samples: gen });
    results.push({ bench: "baseline_async_d1", value: median(asy), unit: "ns", runs, samples: asy });
  }

  if (["mn_", "skynet_1m_p2", "spawn_mn", "mem_mn", "xworker", "1to1", "mn_ring_ratio", "mn_pingpong_ratio", "idle_cpu_4p", "mn_speedup_2", "mn_rerun_ratio"].some(want)) {
    for (const r of await mnBench({ quick, coreKey: hashOf(coreFiles()), want })) if (want(r.bench)) results.push(r);
  }
  // Preemption (bench/preempt.js): "preempt" asks for all of its figures.
  const preemptWant = (name) => want(name) || filters.includes("preempt") || filters.some((f) => f.startsWith(name));
  if (["safepoint_overhead", "preempt_latency", "fair_share"].some(preemptWant)) {
    for (const r of await preemptBench({ quick, coreKey: hashOf(coreFiles()), want: preemptWant })) results.push(r);
  }
  // Build and start-up (bench/startup.js): "startup" asks for all five.
  const startupWant = (name) => want(name) || filters.includes("startup");
  if (["build_hello_s", "build_first_s", "build_shared_s", "build_cached_s", "start_prebuilt_s"].some(startupWant)) {
    for (const r of await startupBench({ quick, want: startupWant })) results.push(r);
  }
  if (Object.keys(BENCHES).some((n) => n.startsWith("gc_") && want(n)) || filters.includes("gc")) {
    const gcWant = (name) => want(name) || filters.includes("gc");
    for (const r of await gcBench({ quick, coreKey: hashOf(coreFiles()), want: gcWant })) results.push(r);
  }
  if (want("host_call")) {
    for (const r of await callsBench({ quick })) if (want(r.bench)) results.push(r);
  }
  if (want("interval_late") || want("host_slice")) {
    for (const r of await guestBench({ quick })) if (want(r.bench)) results.push(r);
  }
  if (want("call_in")) {
    for (const r of await callInBench({ quick, want })) results.push(r);
  }
  if (want("fork_") || want("spawn_process")) {
    for (const r of await processesBench({ want })) results.push(r);
  }
  if (want("explore_runs_per_s")) {
    for (const r of await exploreBench({ quick })) results.push(r);
  }
  if (want("trace_overhead")) {
    for (const r of await traceBench({ quick, want })) results.push(r);
  }
  if (want("signal_latency")) {
    for (const r of await signalsBench({ quick, want })) results.push(r);
  }
  // Other hosts (bench/embed.js): "embed" asks for all four.
  const embedWant = (name) => want(name) || filters.includes("embed");
  if (["wasi_yield_d1", "wasi_channel_roundtrip", "c_yield_d1", "c_channel_roundtrip"].some(embedWant)) {
    for (const r of await embedBench({ quick, want: embedWant })) results.push(r);
  }
  if (want("gc_cost_http") || filters.includes("gc")) {
    const r = await httpGcBench({ quick });        // null when wrk is missing and cannot be installed
    if (r) results.push(r);
  }
  if (want("http")) {
    const r = await httpBench({ quick });          // null when wrk is missing and cannot be installed
    if (r) results.push({ ...r, samples: [r.value] });
  }
  if (want("http_mn_vs_node") || want("http_mn_speedup_2") || want("http_node_threads_2")) {
    for (const r of (await httpMnBench({ quick })) ?? []) results.push({ ...r, samples: [r.value] });
  }
  if (want("http_close_mn_vs_n1")) {
    const r = await httpCloseBench({ quick });     // null when wrk is missing and cannot be installed
    if (r) results.push({ ...r, samples: [r.value] });
  }

  for (const r of results) {
    const spec = BENCHES[r.bench];
    if (spec.target !== undefined) { r.target = spec.target; r.met = r.value <= spec.target; }
    if (spec.range) { r.range = spec.range; r.met = r.value >= spec.range[0] && r.value <= spec.range[1]; }
    if (spec.go) r.go = spec.go;
    if (spec.prediction) r.prediction = spec.prediction;
    if (spec.note) r.note = spec.note;
  }
  if (json) {
    for (const r of results) console.log(JSON.stringify({ ...r, ...(r.samples ? { samples: r.samples.map((s) => +s.toFixed(3)) } : {}) }));
    return;
  }
  const rows = results.map((r) => [
    r.bench, `${format(r.value, r.unit)} ${r.unit === "ratio" ? "×" : r.unit}`,
    r.target !== undefined ? `≤ ${r.target} ${r.unit}` : r.range ? (r.range[1] === Infinity ? `≥ ${r.range[0]}` : `${r.range[0]}–${r.range[1]}`) : "",
    r.met === undefined ? "" : r.met ? "met" : "MISSED",
    r.go ?? (r.prediction ? `vs ${r.prediction}` : r.note ?? "") + (r.weft_rps ? ` (req/s ${Math.round(r.weft_rps)} vs ${Math.round(r.node_rps)}; p99 ${r.weft_p99_ms} vs ${r.node_p99_ms} ms; Node ${r.node})` : "") +
      (r.mn_rps ? ` (req/s ${r.mn_rps} vs ${r.n1_rps}; Node's http ${r.node_rps})` : "") +
      (r.threads_rps ? ` (req/s ${r.threads_rps} vs ${r.node_rps}; weft on 2 processors ${r.weft_vs_threads.toFixed(2)}× this)` : "") +
      (r.atomics_ns ? ` (${Math.round(r.weft_ns)} vs ${Math.round(r.atomics_ns)} ns)` : "") +
      (r.p2_ns ? ` (${Math.round(r.p2_ns)} vs ${Math.round(r.p1_ns ?? r.n1_ns)} ns)` : "") +
      (r.weft_ns ? ` (${format(r.weft_ns, "ns")} ns)` : ""),
  ]);
  const head = ["bench", `median`, "target", "", "Go 1.19 / ratio to"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => "─".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
  const judged = results.filter((r) => r.met !== undefined);
  console.log(`\n${judged.filter((r) => r.met).length} of ${judged.length} targets met, on Node ${process.version}. The targets are ` +
    `for the project's machine: README, "Performance", gives a full run there and why each miss happened.`);
}

main(process.argv.slice(2)).catch((e) => { console.error(`bench: ${e.message}`); process.exitCode = 1; });
