// M:N benchmarks: shared builds run on processors (Workers) over one shared memory (host/mn/run.ts).
//   mn_speedup_2      bench/programs/mn_compute.ts on 1 processor, then on 2: time ratio (target >= 1.9)
//   skynet_1m_p2      bench/programs/skynet.ts on 2 processors (ms; target <= 300)
//   spawn_mn, mem_mn_1k, mem_mn_10k   bench/programs/mn_lab.ts on 2 processors
//   xworker_pingpong  mn_lab's channel ping-pong on 2 processors / a raw Atomics.wait/notify round trip
//                     between two Workers, measured here in the same run (ratio; target <= 1.2)
//   mn_ring_ratio     bench/programs/mn_handoff.ts: a token passed around a ring of 503 threads, ns per pass
//                     on 2 processors / on 1 processor, the same shared build in the same run (target <= 1.5)
//   mn_pingpong_ratio mn_handoff's channel ping-pong on 2 processors / channel_roundtrip (bench/programs/
//                     channel.ts) built for N:1, in the same run (target <= 1.5)
//   idle_cpu_4p       bench/programs/mn_idle.ts on 4 processors: the process's CPU time (every thread:
//                     processors, ticker, the main thread) while the only thread sleeps 2 s, as a fraction
//                     of that wall time (target <= 0.02)
//   mn_rerun_ratio    bench/programs/process_hello.ts on 2 processors: the wall time of a run in a process
//                     that has run it before (its Workers kept, host/mn/workers-node.ts) / the first run of a
//                     fresh process (new Workers), each sample a child process of its own (target <= 0.25)
//   spawn_1to1, mem_1to1_100   bench/programs/one_lab.ts with a Worker per thread (1:1): ns per
//                     spawn + join; bytes per parked thread with 100 parked — the process's resident
//                     memory (the Workers' own) plus nothing else, read while they are parked.
// mem_1to1_1k and mem_1to1_10k are not run: at the ~9 MB of resident memory and ~1.4 MB of linear memory
// (the processor's stack and save areas) a 1:1 thread costs, 1,000 would take ~10 GB and 10,000 ~100 GB
// of this machine's 24 GiB, and a run has at most PROCESSORS_MAX = 1,024 processors, never reused: spawn
// says EAGAIN after 1,023 threads. (Measured once: 903 threads parked after 121 earlier spawns, then
// EAGAIN.)
// Each figure is the median of `runs` runs (the raw round trip: of as many).
import { Worker } from "node:worker_threads";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { build } from "../dist/host/compiler/build.js";
import { runShared } from "../dist/host/mn/run.js";
import { releaseKeptWorkers } from "../dist/host/mn/workers-node.js";
import { run } from "../dist/host/kernel/runner.js";
import { median } from "./baselines.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench");

async function sharedBuild(program, coreKey) {
  return readFileSync(await sharedBuildFile(program, coreKey));
}

/** The file of sharedBuild's module. */
async function sharedBuildFile(program, coreKey) {
  const file = path.join(ROOT, "bench", "programs", program + ".ts");
  const key = createHash("sha256").update(coreKey).update(readFileSync(file)).digest("hex").slice(0, 24);
  const cached = path.join(CACHE, `${program}-shared-${key}.wasm`);
  if (existsSync(cached)) return cached;
  const { wasm } = await build(file, { shared: true });
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(cached, wasm);
  return cached;
}

/** One mn_rerun_ratio sample: a fresh Node process runs `wasmFile` on 2 processors once (new Workers),
 *  then `again` more times (the Workers kept); the wall ms of the first and the median of the rest. */
function rerunSample(wasmFile, again) {
  const script = `import { readFileSync } from "node:fs";
    import { runShared } from ${JSON.stringify(path.join(ROOT, "dist", "host", "mn", "run.js"))};
    const module = await WebAssembly.compile(readFileSync(${JSON.stringify(wasmFile)}));
    const once = async () => {
      const t = performance.now();
      const r = await runShared(module, { processors: 2, timeoutMs: 60_000 });
      if (r.status !== "exited") throw new Error(r.status + " " + (r.error ?? ""));
      return performance.now() - t;
    };
    const first = await once(), later = [];
    for (let i = 0; i < ${again}; i++) later.push(await once());
    later.sort((a, b) => a - b);
    console.log(JSON.stringify({ first, again: later[later.length >> 1] }));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench mn: mn_rerun_ratio's child failed: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

/** mn_rerun_ratio (see the top of this file). */
async function rerunBench({ runs, coreKey }) {
  const file = await sharedBuildFile("process_hello", coreKey);
  const first = [], again = [], samples = [];
  for (let i = 0; i < runs; i++) {
    const s = rerunSample(file, 9);
    first.push(s.first); again.push(s.again); samples.push(s.again / s.first);
  }
  return [{ bench: "mn_rerun_ratio", value: median(samples), unit: "ratio", runs, samples, again_ms: median(again), first_ms: median(first) }];
}

async function values(wasm, processors) {
  const r = await runShared(wasm, { processors, timeoutMs: 120_000 });
  if (r.status !== "exited" || r.exitCode !== 0) throw new Error(`bench mn: ${r.status} ${r.error ?? ""} ${r.stderr}`.trim());
  const out = {};
  for (const line of r.stdout.split("\n")) {
    const m = /^(\w+) ([\d.e+-]+)$/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

async function plainBuild(program, coreKey) {
  const file = path.join(ROOT, "bench", "programs", program + ".ts");
  const key = createHash("sha256").update(coreKey).update(readFileSync(file)).digest("hex").slice(0, 24);
  const cached = path.join(CACHE, `${program}-n1-${key}.wasm`);
  if (existsSync(cached)) return readFileSync(cached);
  const { wasm } = await build(file);
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(cached, wasm);
  return wasm;
}

/** channel_roundtrip of an N:1 build (ns). */
async function channelRoundTrip(wasm) {
  const r = await run(wasm);
  if (r.status !== "exited" || r.exitCode !== 0) throw new Error(`bench mn: channel ${r.status} ${r.error ?? ""}`.trim());
  const m = /channel_roundtrip ([\d.e+-]+)/.exec(r.stdout);
  return Number(m[1]);
}

/** The process's CPU time between mn_idle's two lines, over the wall time between them. */
async function idleCpu(wasm, processors) {
  let cpu0 = null, wall0 = 0, fraction = NaN;
  const r = await runShared(wasm, {
    processors, timeoutMs: 60_000,
    stdout: (line) => {
      if (line.startsWith("idle_begin")) { cpu0 = process.cpuUsage(); wall0 = performance.now(); }
      if (line.startsWith("idle_end") && cpu0) {
        const d = process.cpuUsage(cpu0);
        fraction = (d.user + d.system) / 1000 / (performance.now() - wall0);
      }
    },
  });
  if (r.status !== "exited" || !(fraction >= 0)) throw new Error(`bench mn: idle ${r.status} ${r.error ?? ""}`.trim());
  return fraction;
}

/** ns per round trip of two Workers taking turns on one word with Atomics.wait / Atomics.notify. */
async function atomicsRoundTrip(rounds) {
  const word = new Int32Array(new SharedArrayBuffer(8));
  const source = `
    const { workerData } = require("node:worker_threads");
    const { word, rounds } = workerData;
    for (let i = 0; i < rounds; i++) {
      while (Atomics.load(word, 0) !== 1) Atomics.wait(word, 0, 0);
      Atomics.store(word, 0, 0);
      Atomics.notify(word, 0);
    }`;
  const peer = new Worker(source, { eval: true, workerData: { word, rounds } });
  await new Promise((resolve) => peer.once("online", resolve));
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    Atomics.store(word, 0, 1);
    Atomics.notify(word, 0);
    while (Atomics.load(word, 0) !== 0) Atomics.wait(word, 0, 1);
  }
  const ns = (performance.now() - t0) * 1e6 / rounds;
  await peer.terminate();
  return ns;
}

/** A full garbage collection of this process's heap, without --expose-gc. */
function collectGarbage() {
  v8.setFlagsFromString("--expose-gc");
  vm.runInNewContext("gc")();
}

/** one_lab with a Worker per thread: ns per spawn + join, and resident bytes per parked thread (the
 *  process's resident memory when 100 are parked, less the least it was before: at the start, or once
 *  the spawns were timed). The benches before it in this process leave instances, memories and exiting
 *  Workers behind; freed while the 100 threads were parked, they made the difference negative ("bench
 *  mn: 1:1 exited" in about one full run in six), so the heap is collected before each reading. */
async function oneToOne(wasm) {
  await releaseKeptWorkers();       // the Workers it counts are its own: none kept from the runs before it
  const resident = () => { collectGarbage(); return process.memoryUsage().rss; };
  let base = resident();
  let bytes = NaN, spawn = NaN;
  const r = await runShared(wasm, {
    model: "1:1", timeoutMs: 120_000,
    stdout: (line) => {
      if (line.startsWith("spawn_1to1 ")) { spawn = Number(line.split(" ")[1]); base = Math.min(base, resident()); }
      if (line.startsWith("parked ")) bytes = (process.memoryUsage().rss - base) / Number(line.split(" ")[1]);
    },
  });
  if (r.status !== "exited" || !(bytes > 0) || !(spawn > 0)) throw new Error(`bench mn: 1:1 ${r.status} ${r.error ?? ""} ${r.stdout}`.trim());
  return { spawn, bytes };
}

/** Every M:N figure, as bench/run.js's results. */
export async function mnBench({ quick = false, coreKey = "", want = () => true } = {}) {
  const runs = quick ? 1 : 3;
  const handoff = ["mn_ring_ratio", "mn_pingpong_ratio", "idle_cpu_4p"];
  const rest = ["mn_speedup_2", "skynet_1m_p2", "spawn_mn", "mem_mn_1k", "mem_mn_10k", "xworker_pingpong", "spawn_1to1", "mem_1to1_100"];
  const out = [];
  if (handoff.some(want)) out.push(...await handoffBench({ runs: quick ? 3 : 5, coreKey, want }));
  if (rest.some(want)) out.push(...await restBench({ runs, quick, coreKey }));
  if (want("mn_rerun_ratio")) out.push(...await rerunBench({ runs: quick ? 3 : 5, coreKey }));
  return out;
}

/** mn_ring_ratio, mn_pingpong_ratio, idle_cpu_4p: each run measures the ratio's two sides one after the
 *  other. */
async function handoffBench({ runs, coreKey, want }) {
  const lab = await sharedBuild("mn_handoff", coreKey);
  const channel = await plainBuild("channel", coreKey);
  const idle = await sharedBuild("mn_idle", coreKey);
  const samples = { mn_ring_ratio: [], mn_pingpong_ratio: [], idle_cpu_4p: [] };
  const detail = { ring_p1: [], ring_p2: [], pingpong_p2: [], channel_n1: [] };
  for (let i = 0; i < runs; i++) {
    if (want("mn_ring_ratio") || want("mn_pingpong_ratio")) {
      const one = await values(lab, 1), two = await values(lab, 2);
      const n1 = await channelRoundTrip(channel);
      detail.ring_p1.push(one.ring_ns); detail.ring_p2.push(two.ring_ns);
      detail.pingpong_p2.push(two.pingpong_ns); detail.channel_n1.push(n1);
      samples.mn_ring_ratio.push(two.ring_ns / one.ring_ns);
      samples.mn_pingpong_ratio.push(two.pingpong_ns / n1);
    }
    if (want("idle_cpu_4p")) samples.idle_cpu_4p.push(await idleCpu(idle, 4));
  }
  const r = [];
  if (samples.mn_ring_ratio.length) {
    r.push({ bench: "mn_ring_ratio", value: median(samples.mn_ring_ratio), unit: "ratio", runs, samples: samples.mn_ring_ratio,
      p2_ns: median(detail.ring_p2), p1_ns: median(detail.ring_p1) });
    r.push({ bench: "mn_pingpong_ratio", value: median(samples.mn_pingpong_ratio), unit: "ratio", runs, samples: samples.mn_pingpong_ratio,
      p2_ns: median(detail.pingpong_p2), n1_ns: median(detail.channel_n1) });
  }
  if (samples.idle_cpu_4p.length) r.push({ bench: "idle_cpu_4p", value: median(samples.idle_cpu_4p), unit: "ratio", runs, samples: samples.idle_cpu_4p });
  return r;
}

async function restBench({ runs, quick, coreKey }) {
  const compute = await sharedBuild("mn_compute", coreKey);
  const skynet = await sharedBuild("skynet", coreKey);
  const lab = await sharedBuild("mn_lab", coreKey);
  const oneLab = await sharedBuild("one_lab", coreKey);
  const samples = {
    mn_speedup_2: [], skynet_1m_p2: [], spawn_mn: [], mem_mn_1k: [], mem_mn_10k: [], xworker_pingpong: [],
    spawn_1to1: [], mem_1to1_100: [],
  };
  const detail = { pingpong_mn: [], atomics_round_trip: [] };
  for (let i = 0; i < runs; i++) {
    const one = (await values(compute, 1)).mn_compute_ms, two = (await values(compute, 2)).mn_compute_ms;
    samples.mn_speedup_2.push(one / two);
    // Near its target and the noisiest figure here (one quick run once read 425 ms against ~285): three
    // samples even when quick.
    for (let k = 0; k < (quick ? 3 : 1); k++) samples.skynet_1m_p2.push((await values(skynet, 2)).skynet_1m);
    const l = await values(lab, 2);
    samples.spawn_mn.push(l.spawn_mn);
    samples.mem_mn_1k.push(l.mem_mn_1k);
    samples.mem_mn_10k.push(l.mem_mn_10k);
    const raw = await atomicsRoundTrip(quick ? 20_000 : 50_000);
    detail.pingpong_mn.push(l.pingpong_mn);
    detail.atomics_round_trip.push(raw);
    samples.xworker_pingpong.push(l.pingpong_mn / raw);
    const o = await oneToOne(oneLab);
    samples.spawn_1to1.push(o.spawn);
    samples.mem_1to1_100.push(o.bytes);
  }
  const units = {
    mn_speedup_2: "ratio", skynet_1m_p2: "ms", spawn_mn: "ns", mem_mn_1k: "bytes", mem_mn_10k: "bytes",
    xworker_pingpong: "ratio", spawn_1to1: "ns", mem_1to1_100: "bytes",
  };
  return Object.entries(samples).map(([bench, s]) => {
    const r = { bench, value: median(s), unit: units[bench], runs: s.length, samples: s };
    if (bench === "xworker_pingpong") { r.weft_ns = median(detail.pingpong_mn); r.atomics_ns = median(detail.atomics_round_trip); }
    return r;
  });
}
