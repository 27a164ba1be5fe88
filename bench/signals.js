// Signal latency (assembly/core/signal.ts): bench/programs/signal_latency.ts, run in N:1 and on 2
// processors, with the host raising each signal a random 0.5-2 ms after the last one was handled:
//   signal_latency_us          SIGUSR1 to a thread blocked in a futex wait, from WeftSignals.raise() to the
//                              handler's first instruction (p99, µs; target <= 1,000)
//   signal_latency_mn_us       the same on 2 processors
//   signal_latency_spin_us     SIGUSR2 to a thread spinning in a loop (never blocking), N:1 (p99, µs;
//                              target <= tick + 1 ms = 2,000)
//   signal_latency_spin_mn_us  the same on 2 processors, where the spinner runs beside the host
// Clocks: the handler prints the core's clock; the host lines it up with its own from 32 "clock" lines
// (N:1: printed inside the call, exact; on processors the lines cross a MessagePort, and the smallest
// difference is taken: a latency is then short by that crossing's least time, some tens of µs).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../dist/host/compiler/build.js";
import { WeftProgram } from "../dist/host/kernel/runner.js";
import { runShared } from "../dist/host/mn/run.js";
import { WeftSignals } from "../dist/host/kernel/signals.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench", "build");
const FILE = path.join(ROOT, "bench", "programs", "signal_latency.ts");

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const hostNow = () => performance.timeOrigin + performance.now();

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** One run: `start(options)` starts it with stdout and signals; returns { blocked, spinning } in µs. */
async function measure(start, count) {
  const signals = new WeftSignals();
  let offset = Infinity, ready, handled, spinning;
  const readyP = new Promise((r) => (ready = r));
  const stdout = (line) => {
    const [word, value] = line.split(" ");
    if (word === "clock") offset = Math.min(offset, hostNow() - Number(value));
    else if (word === "ready") ready();
    else if (word === "spinning") spinning?.();
    else if (word === "h1" || word === "h2") handled?.(Number(value) + offset);
  };
  const done = start({ stdout, signals });
  await readyP;
  const round = async (sig) => {
    const samples = [];
    for (let i = 0; i < count; i++) {
      await wait(0.5 + Math.random() * 1.5);
      const at = new Promise((r) => (handled = r));
      const raised = hostNow();
      signals.raise(sig);
      samples.push(((await at) - raised) * 1000);
    }
    return samples;
  };
  const blocked = await round("SIGUSR1");
  const spun = new Promise((r) => (spinning = r));
  signals.raise("SIGHUP");
  await spun;
  const spinningSamples = await round("SIGUSR2");
  signals.raise("SIGTERM");
  const result = await done;
  if (result.status !== "exited") throw new Error(`bench signal_latency: ${result.status} ${result.error ?? ""}`);
  return { blocked, spinning: spinningSamples };
}

export async function signalsBench({ quick = false, want = () => true } = {}) {
  const count = quick ? 100 : 300;
  const { wasm } = await build(FILE, { cache: CACHE });
  const { wasm: shared } = await build(FILE, { cache: CACHE, shared: true });
  const n1 = await measure(async (o) => (await WeftProgram.load(wasm, o)).run(), count);
  const mn = await measure((o) => runShared(shared, { processors: 2, ...o }), count);
  const row = (bench, samples, target) => ({
    bench, value: percentile(samples, 0.99), unit: "µs", runs: samples.length, p50: percentile(samples, 0.5), max: Math.max(...samples),
  });
  return [
    row("signal_latency_us", n1.blocked), row("signal_latency_mn_us", mn.blocked),
    row("signal_latency_spin_us", n1.spinning), row("signal_latency_spin_mn_us", mn.spinning),
  ].filter((r) => want(r.bench));
}
