#!/usr/bin/env node
// HTTP: weft's examples/http.ts against a minimal server on Node's http module (`res.end("hello\n")`),
// both measured by wrk (-t1 -c100, keep-alive, loopback) in the same run.
//
//   node bench/http.js            a table
//   node bench/http.js --json     {"bench":"http_vs_node","value":<weft rps / node rps>,"unit":"ratio",...}
//   node bench/http.js --quick    shorter runs
//   node bench/http.js --gc       gc_cost_http: the example built with the collector / without it
//   node bench/http.js --mn       M:N: http_mn_vs_node (examples/http.ts on 2 processors / node) and
//                                 http_mn_speedup_2 (bench/programs/http_work.ts, 2 processors / 1), with
//                                 the CPU each costs a request, against the floor of Node's sockets; on
//                                 Node 22.12 and later also http_node_threads_2: Node's own http on 2
//                                 Workers sharing the port (reusePort) / one Node process, the same runs
//
// Each server runs in a process of its own, and wrk in another, so no two share a JS thread. After a
// warm-up of each, the measured runs alternate (node, weft, node, weft ...) so that drift of the machine
// hits both alike; the figures are medians. Target: weft ≥ 0.9× Node's requests/s.
// wrk is Debian's package: installed with apt-get when missing and running as root, else the bench is
// skipped with a message. The weft server listens on 127.0.0.1:8080, as the example has it.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir, loadavg, availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./baselines.js";
import { aptInstall, cannotInstall } from "../scripts/apt.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SELF = fileURLToPath(import.meta.url);
const WEFT_ADDRESS = "127.0.0.1:8080";
const TARGET = 0.9;
/** bench/programs/http_work.ts's address (http_mn_speedup_2). */
const WORK_ADDRESS = "127.0.0.1:8081";
const MN_TARGET = 1.3, SPEEDUP_TARGET = 1.6;
/** How long a server may take to say it listens (ms): the weft one compiles its module first. */
const START_MS = 30_000;

/** Whether wrk can run; installs it when missing and allowed to (scripts/apt.js). */
function ensureWrk() {
  const found = () => spawnSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" }).status === 0;
  if (found()) return true;
  const cannot = cannotInstall();
  if (cannot) {
    console.error(`bench http: skipped: wrk is not installed (${cannot}; as root: apt-get install -y wrk)`);
    return false;
  }
  console.error("bench http: installing wrk (apt-get install -y wrk)");
  const failure = aptInstall(["wrk"], ["ignore", "ignore", "inherit"]);
  if (found()) return true;
  console.error(`bench http: skipped: could not install wrk${failure ? `: ${failure}` : ""}`);
  return false;
}

/** Starts this script as a server (`--serve-weft WASM` or `--serve-node`); resolves to its URL once it
 *  prints "listening on URL", with a stop() that ends it. */
function startServer(args) {
  const child = spawn(process.execPath, [SELF, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`bench http: ${args[0]} did not start within ${START_MS} ms`)); }, START_MS);
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`bench http: ${args[0]} ended (exit ${code}) before listening`)); });
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.stdout.resume();
      const stop = () => new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) { done(); return; }
        child.once("exit", done);
        child.kill("SIGKILL");
      });
      resolve({ url: m[1], stop, pid: child.pid, banner: out });
    });
  });
}

/** CPU seconds process `pid` has used, every thread (Linux: /proc), or NaN where it cannot be read. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;        // utime + stime
  } catch { return NaN; }
}
/** The kernel's clock ticks per second (/proc's unit). */
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

/** wrk on `server` (from startServer), with the server's CPU time per request (µs) and wrk's own. */
function wrkMeasured(server, seconds, extra = []) {
  const before = cpuSeconds(server.pid);
  const r = wrk(server.url, seconds, extra);
  const requests = r.rps * seconds;
  return { ...r, cpuPerRequest: (cpuSeconds(server.pid) - before) * 1e6 / requests, wrkCpuPerRequest: r.cpu * 1e6 / requests };
}

/** wrk's seconds, milliseconds or microseconds, in ms. */
function ms(value, unit) {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? NaN);
}

/** One wrk run: requests/s, p99 latency (ms), the errors it saw, and the CPU seconds wrk itself used
 *  (its shell's children's times from /proc, NaN where they cannot be read). */
function wrk(url, seconds, extra = []) {
  // The shell prints its own /proc record after wrk: cutime and cstime are then wrk's.
  const script = `wrk "$@"; status=$?; echo; cat /proc/$$/stat 2>/dev/null; exit $status`;
  const r = spawnSync("sh", ["-c", script, "sh", "-t1", "-c100", `-d${seconds}s`, "--latency", ...extra, url], { encoding: "utf8", timeout: (seconds + 30) * 1000 });
  if (r.status !== 0) throw new Error(`bench http: wrk failed on ${url}: ${r.stderr || r.error?.message || r.status}`);
  const stat = /^\d+ \(sh\) (.*)$/m.exec(r.stdout)?.[1].split(" ");            // fields 3 on
  const cpu = stat ? (Number(stat[13]) + Number(stat[14])) / CLOCK_TICKS : NaN;        // 16, 17: cutime, cstime
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(r.stdout);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(r.stdout);
  if (!rps || !p99) throw new Error(`bench http: cannot read wrk's output:\n${r.stdout}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const errors = (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { rps: Number(rps[1]), p99: ms(p99[1], p99[2]), errors, cpu };
}

/** A new directory for the modules a bench serves (its servers read them at start), removed when this
 *  process exits. */
function scratchDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Measures both servers; resolves to the result, or null when wrk is not there. */
export async function httpBench({ quick = false } = {}) {
  if (!ensureWrk()) return null;
  const seconds = quick ? 2 : 5, rounds = 2;
  const { build } = await import("../dist/host/compiler/build.js");
  const { wasm } = await build(path.join(ROOT, "examples", "http.ts"));
  const wasmFile = path.join(scratchDir("weft-bench-http-"), "http.wasm");
  writeFileSync(wasmFile, wasm);
  const servers = {};
  try {
    servers.node = await startServer(["--serve-node"]);
    servers.weft = await startServer(["--serve-weft", wasmFile]);
    for (const name of ["node", "weft"]) wrk(servers[name].url, 1);          // warm-up: JIT tiers, connections
    const runs = { node: [], weft: [] };
    for (let i = 0; i < rounds; i++) for (const name of ["node", "weft"]) runs[name].push(wrk(servers[name].url, seconds));
    const errors = runs.weft.reduce((n, r) => n + r.errors, 0);
    if (errors) throw new Error(`bench http: wrk saw ${errors} errors from weft's server`);
    const rps = (name) => median(runs[name].map((r) => r.rps));
    const p99 = (name) => median(runs[name].map((r) => r.p99));
    return {
      bench: "http_vs_node", value: +(rps("weft") / rps("node")).toFixed(3), unit: "ratio",
      weft_rps: Math.round(rps("weft")), node_rps: Math.round(rps("node")),
      weft_p99_ms: +p99("weft").toFixed(2), node_p99_ms: +p99("node").toFixed(2),
      runs: rounds, seconds, node: process.version,     // the servers run on this Node: its http is the baseline
    };
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}

/** What the collector costs a server (gc_cost_http): examples/http.ts built with the collector and
 *  without it (`collector: false`: nothing is ever freed, which a run of a few seconds survives), served
 *  one at a time on the example's address, runs alternating. The value is requests/s without over
 *  requests/s with: above 1, the collector costs that much. Resolves to the result, or null when wrk is
 *  not there. */
export async function httpGcBench({ quick = false } = {}) {
  if (!ensureWrk()) return null;
  const seconds = quick ? 2 : 5, rounds = quick ? 2 : 5;
  const { build } = await import("../dist/host/compiler/build.js");
  const dir = scratchDir("weft-bench-http-gc-");
  const files = {};
  for (const [name, collector] of [["with", true], ["without", false]]) {
    files[name] = path.join(dir, `http-${name}.wasm`);
    writeFileSync(files[name], (await build(path.join(ROOT, "examples", "http.ts"), { collector })).wasm);
  }
  const runs = { with: [], without: [] };
  for (let i = 0; i < rounds; i++) {
    for (const name of i % 2 === 0 ? ["with", "without"] : ["without", "with"]) {
      const server = await startServer(["--serve-weft", files[name]]);
      try {
        wrk(server.url, 1);                                             // warm-up: JIT tiers, connections
        runs[name].push(wrk(server.url, seconds));
      } finally { await server.stop(); }
    }
  }
  const errors = (name) => runs[name].reduce((n, r) => n + r.errors, 0);
  if (errors("with") || errors("without")) throw new Error(`bench http: wrk saw errors (with the collector ${errors("with")}, without ${errors("without")})`);
  const rps = (name) => median(runs[name].map((r) => r.rps));
  return {
    bench: "gc_cost_http", value: +(rps("without") / rps("with")).toFixed(3), unit: "ratio",
    with_collector_rps: Math.round(rps("with")), without_collector_rps: Math.round(rps("without")),
    samples: runs.with.map((r, i) => runs.without[i].rps / r.rps), runs: rounds, seconds,
  };
}

/** M:N: examples/http.ts on 2 processors against Node's http (http_mn_vs_node, target ≥ 1.3), and
 *  bench/programs/http_work.ts (0.2 ms of CPU per request, as it measures at start: `work_us_per_request`)
 *  on 2 processors over 1 (http_mn_speedup_2, target ≥ 1.6). Same method as httpBench: alternating runs
 *  in one session, medians. With each server's CPU time per request (every thread of its process, from /proc) and wrk's own: where wrk shares the
 *  machine's cores with the server, requests/s is bounded by cores / (server's + wrk's CPU per request).
 *  `cpu_us_for_target` is the most a request may cost a server for the target ratio with every core busy,
 *  and `floor_cpu_us_per_request` what it costs a server with no HTTP at all (serveRaw), about the least
 *  any server on Node's sockets spends. Resolves to both results, or null when wrk is not there. */
export async function httpMnBench({ quick = false } = {}) {
  if (!ensureWrk()) return null;
  const seconds = quick ? 2 : 5, rounds = quick ? 2 : 3;
  const { build } = await import("../dist/host/compiler/build.js");
  const dir = scratchDir("weft-bench-http-mn-");
  const files = {};
  for (const [name, file] of [["http", path.join(ROOT, "examples", "http.ts")], ["work", path.join(ROOT, "bench", "programs", "http_work.ts")]]) {
    files[name] = path.join(dir, `${name}.wasm`);
    writeFileSync(files[name], (await build(file, { shared: true })).wasm);
  }
  // One weft server at a time (each example listens on its fixed address); node alongside the first.
  const measure = async (args) => {
    const server = await startServer(args);
    try { wrk(server.url, 1); return server; }
    catch (e) { await server.stop(); throw e; }
  };
  const runs = { node: [], raw: [], node2: [], mn2: [], work1: [], work2: [] };
  const workUs = [];                 // what http_work.ts measured its handler's work to take (µs)
  const node = await startServer(["--serve-node"]);
  let raw, node2;
  try {
    raw = await startServer(["--serve-raw"]);
    // Not every system takes reusePort (Node's docs: Linux, some BSDs ...): the rest is measured without it.
    if (hasReusePort()) node2 = await startServer(["--serve-node-threads", "2"])
      .catch((e) => { console.error(`bench http: no reference server on 2 Workers: ${e.message}`); return undefined; });
    for (const server of [node, raw, node2]) if (server) wrk(server.url, 1);
    for (let i = 0; i < rounds; i++) {
      runs.node.push(wrkMeasured(node, seconds));
      runs.raw.push(wrkMeasured(raw, seconds));
      if (node2) runs.node2.push(wrkMeasured(node2, seconds));
      for (const [key, wasm, processors, address] of [["mn2", files.http, 2, WEFT_ADDRESS], ["work1", files.work, 1, WORK_ADDRESS], ["work2", files.work, 2, WORK_ADDRESS]]) {
        const server = await measure(["--serve-weft-mn", wasm, String(processors), address]);
        const work = /work: \d+ rounds a request, (\d+) us/.exec(server.banner);
        if (work) workUs.push(Number(work[1]));
        try { runs[key].push(wrkMeasured(server, seconds)); } finally { await server.stop(); }
      }
    }
  } finally {
    await node.stop();
    await raw?.stop();
    await node2?.stop();
  }
  // Errors are reported with the figures (wrk counts a reply slower than 2 s as a timeout error).
  const errors = (key) => runs[key].reduce((n, r) => n + r.errors, 0);
  const rps = (key) => median(runs[key].map((r) => r.rps));
  const p99 = (key) => median(runs[key].map((r) => r.p99));
  const cpu = (key) => +median(runs[key].map((r) => r.cpuPerRequest)).toFixed(1);
  const wrkCpu = (key) => +median(runs[key].map((r) => r.wrkCpuPerRequest)).toFixed(1);
  const cores = availableParallelism();
  return [
    { bench: "http_mn_vs_node", value: +(rps("mn2") / rps("node")).toFixed(3), unit: "ratio",
      weft_rps: Math.round(rps("mn2")), node_rps: Math.round(rps("node")), weft_p99_ms: +p99("mn2").toFixed(2),
      node_p99_ms: +p99("node").toFixed(2), weft_cpu_us_per_request: cpu("mn2"), node_cpu_us_per_request: cpu("node"),
      floor_cpu_us_per_request: cpu("raw"), floor_rps: Math.round(rps("raw")), wrk_cpu_us_per_request: wrkCpu("mn2"), cores,
      cpu_us_for_target: +(cores * 1e6 / (MN_TARGET * rps("node")) - wrkCpu("mn2")).toFixed(1), processors: 2, errors: errors("mn2"), runs: rounds, seconds, node: process.version },
    { bench: "http_mn_speedup_2", value: +(rps("work2") / rps("work1")).toFixed(3), unit: "ratio",
      rps_1: Math.round(rps("work1")), rps_2: Math.round(rps("work2")), p99_1_ms: +p99("work1").toFixed(2),
      p99_2_ms: +p99("work2").toFixed(2), errors_1: errors("work1"), errors_2: errors("work2"),
      work_us_per_request: workUs.length ? median(workUs) : null, runs: rounds, seconds, node: process.version },
    // What Node's own http makes of a second thread on this machine, the reference for http_mn_vs_node.
    ...(node2 ? [{ bench: "http_node_threads_2", value: +(rps("node2") / rps("node")).toFixed(3), unit: "ratio",
      threads_rps: Math.round(rps("node2")), node_rps: Math.round(rps("node")), threads_p99_ms: +p99("node2").toFixed(2),
      threads_cpu_us_per_request: cpu("node2"), weft_vs_threads: +(rps("mn2") / rps("node2")).toFixed(3), threads: 2,
      errors: errors("node2"), runs: rounds, seconds, node: process.version }] : []),
  ];
}

async function main(argv) {
  if (argv.includes("--gc")) {
    const r = await httpGcBench({ quick: argv.includes("--quick") });
    if (r) console.log(argv.includes("--json") ? JSON.stringify(r)
      : `http, the collector's cost: ${r.with_collector_rps} req/s with it, ${r.without_collector_rps} without: ${r.value.toFixed(2)}× (target ≤ 1.05)`);
    return;
  }
  if (argv.includes("--mn")) {
    const results = await httpMnBench({ quick: argv.includes("--quick") });
    if (!results) return;
    if (argv.includes("--json")) { for (const r of results) console.log(JSON.stringify(r)); return; }
    const [vs, speedup, threads] = results;
    console.log(`http M:N (wrk -t1 -c100, ${vs.runs} × ${vs.seconds} s each, medians; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")})`);
    console.log(`  node http            ${String(vs.node_rps).padStart(8)} req/s   p99 ${vs.node_p99_ms} ms   CPU ${vs.node_cpu_us_per_request} µs/request`);
    console.log(`  weft, 2 processors   ${String(vs.weft_rps).padStart(8)} req/s   p99 ${vs.weft_p99_ms} ms   CPU ${vs.weft_cpu_us_per_request} µs/request   ${vs.value.toFixed(2)}× node (target ≥ ${MN_TARGET})`);
    if (threads) console.log(`  node http, 2 Workers ${String(threads.threads_rps).padStart(8)} req/s   p99 ${threads.threads_p99_ms} ms   CPU ${threads.threads_cpu_us_per_request} µs/request   ${threads.value.toFixed(2)}× node (reusePort)`);
    else console.log(`  node http, 2 Workers: not measured (listen's reusePort needs Node 22.12 or later; this is ${process.version})`);
    console.log(`  Node's sockets, no HTTP ${String(vs.floor_rps).padStart(5)} req/s                 CPU ${vs.floor_cpu_us_per_request} µs/request (the floor)`);
    console.log(`  ${MN_TARGET}× node with ${vs.cores} cores busy: a request may cost the server ${vs.cpu_us_for_target} µs (wrk takes ${vs.wrk_cpu_us_per_request} µs of each)`);
    console.log(`  http_work, 1 proc    ${String(speedup.rps_1).padStart(8)} req/s   p99 ${speedup.p99_1_ms} ms`);
    console.log(`  http_work, 2 procs   ${String(speedup.rps_2).padStart(8)} req/s   p99 ${speedup.p99_2_ms} ms   ${speedup.value.toFixed(2)}× (target ≥ ${SPEEDUP_TARGET})`);
    return;
  }
  const result = await httpBench({ quick: argv.includes("--quick") });
  if (!result) return;
  if (argv.includes("--json")) { console.log(JSON.stringify(result)); return; }
  const met = result.value >= TARGET ? "met" : "MISSED";
  console.log(`http (wrk -t1 -c100, ${result.runs} × ${result.seconds} s each, medians)`);
  console.log(`  node http   ${String(result.node_rps).padStart(8)} req/s   p99 ${result.node_p99_ms} ms`);
  console.log(`  weft        ${String(result.weft_rps).padStart(8)} req/s   p99 ${result.weft_p99_ms} ms`);
  console.log(`  weft / node ${result.value.toFixed(2)}×   target ≥ ${TARGET}×  ${met}`);
}

/** The weft server: the example, with Node's I/O host granting its one address. */
async function serveWeft(wasmFile) {
  const { run } = await import("../dist/host/kernel/runner.js");
  const { NodeIo } = await import("../dist/host/io/node.js");
  const result = await run(readFileSync(wasmFile), {
    io: new NodeIo({ listen: [WEFT_ADDRESS] }),
    stdout: (line) => process.stdout.write(line + "\n"),
    stderr: (line) => process.stderr.write(line + "\n"),
  });
  console.error(`bench http: the weft server ended: ${result.status} ${result.error ?? ""}`);
  process.exitCode = 1;
}

/** A connection per request (http_close_mn_vs_n1, no target): examples/http.ts N:1 and on 2
 *  processors, and Node's http beside them, under `wrk -H "Connection: close"` (every request on a
 *  connection of its own: accept, read, answer, close), servers one at a time, runs alternating, medians.
 *  The value is requests/s on 2 processors over N:1; each server's CPU per connection (µs, every thread)
 *  comes with it. Resolves to the result, or null when wrk is not there. */
export async function httpCloseBench({ quick = false } = {}) {
  if (!ensureWrk()) return null;
  const seconds = quick ? 2 : 5, rounds = quick ? 2 : 3, close = ["-H", "Connection: close"];
  const { build } = await import("../dist/host/compiler/build.js");
  const dir = scratchDir("weft-bench-http-close-");
  const files = { n1: path.join(dir, "http.wasm"), mn: path.join(dir, "http-shared.wasm") };
  writeFileSync(files.n1, (await build(path.join(ROOT, "examples", "http.ts"))).wasm);
  writeFileSync(files.mn, (await build(path.join(ROOT, "examples", "http.ts"), { shared: true })).wasm);
  const servers = { n1: ["--serve-weft", files.n1], mn: ["--serve-weft-mn", files.mn, "2", WEFT_ADDRESS], node: ["--serve-node"] };
  const runs = { n1: [], mn: [], node: [] };
  for (let i = 0; i < rounds; i++) {
    for (const key of ["n1", "mn", "node"]) {
      const server = await startServer(servers[key]);
      try { wrk(server.url, 1, close); runs[key].push(wrkMeasured(server, seconds, close)); } finally { await server.stop(); }
    }
  }
  const rps = (key) => median(runs[key].map((r) => r.rps));
  const cpu = (key) => +median(runs[key].map((r) => r.cpuPerRequest)).toFixed(1);
  const errors = (key) => runs[key].reduce((n, r) => n + r.errors, 0);
  return {
    bench: "http_close_mn_vs_n1", value: +(rps("mn") / rps("n1")).toFixed(3), unit: "ratio",
    n1_rps: Math.round(rps("n1")), mn_rps: Math.round(rps("mn")), node_rps: Math.round(rps("node")),
    n1_cpu_us_per_connection: cpu("n1"), mn_cpu_us_per_connection: cpu("mn"), node_cpu_us_per_connection: cpu("node"),
    errors: { n1: errors("n1"), mn: errors("mn"), node: errors("node") }, runs: rounds, seconds, node: process.version,
  };
}

/** A shared weft server on `processors` processors, with Node's I/O host granting `address`. */
async function serveWeftShared(wasmFile, processors, address) {
  const { runShared } = await import("../dist/host/mn/run.js");
  const { NodeIo } = await import("../dist/host/io/node.js");
  const result = await runShared(readFileSync(wasmFile), {
    processors: Number(processors), io: new NodeIo({ listen: [address] }),
    stdout: (line) => process.stdout.write(line + "\n"),
    stderr: (line) => process.stderr.write(line + "\n"),
  });
  console.error(`bench http: the weft server ended: ${result.status} ${result.error ?? ""}`);
  process.exitCode = 1;
}

/** The floor: Node's sockets and no HTTP at all, each read answered with one canned response (right
 *  only for a client that sends a request and waits for its answer, as wrk does here). */
async function serveRaw() {
  const net = await import("node:net");
  const response = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n");
  const server = net.createServer((socket) => {
    socket.on("error", () => {});               // wrk resets its connections at the end of a run
    socket.on("data", () => socket.write(response));
  });
  server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}/`));
}

/** The reference: what the Node documentation's smallest server does. */
async function serveNode() {
  const http = await import("node:http");
  const server = http.createServer((req, res) => res.end("hello\n"));
  server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}/`));
}

/** Whether this Node's `listen` takes `reusePort` (22.12 and 23.1 on): several threads then listen on one
 *  port, and the kernel spreads the connections over them. */
function hasReusePort() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** The same server on `count` Workers, each with its own event loop, listening on one port with
 *  `reusePort`: what Node's own `http` makes of a second thread (http_node_threads_2). */
async function serveNodeThreads(count) {
  const { Worker } = await import("node:worker_threads");
  const net = await import("node:net");
  const port = await new Promise((resolve) => {             // a free port, for every Worker to share
    const probe = net.createServer().listen(0, "127.0.0.1", () => { const p = probe.address().port; probe.close(() => resolve(p)); });
  });
  const body = `
    const { parentPort, workerData } = require("node:worker_threads");
    const server = require("node:http").createServer((req, res) => res.end("hello\\n"));
    server.listen({ port: workerData, host: "127.0.0.1", reusePort: true }, () => parentPort.postMessage("up"));`;
  const up = [];
  for (let i = 0; i < count; i++) {
    const worker = new Worker(body, { eval: true, workerData: port });
    // A Worker that cannot listen ends the process, which the bench sees as a server that never started.
    worker.once("error", (e) => { console.error(`bench http: a Worker could not listen: ${e.message}`); process.exit(1); });
    up.push(new Promise((resolve) => worker.once("message", resolve)));
  }
  await Promise.all(up);
  console.log(`listening on http://127.0.0.1:${port}/`);
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const argv = process.argv.slice(2);
  const role = argv[0] === "--serve-weft" ? serveWeft(argv[1])
    : argv[0] === "--serve-weft-mn" ? serveWeftShared(argv[1], argv[2], argv[3])
    : argv[0] === "--serve-node" ? serveNode() : argv[0] === "--serve-node-threads" ? serveNodeThreads(Number(argv[1]))
    : argv[0] === "--serve-raw" ? serveRaw() : main(argv);
  role.catch((e) => { console.error(e.message); process.exitCode = 1; });
}
