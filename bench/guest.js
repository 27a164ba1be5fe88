// A good guest in the host's event loop (RunOptions.hostSlice): bench/programs/guest_compute.ts (eight
// threads computing a fixed amount, N:1) beside a 5 ms setInterval, in rounds that alternate the
// default host slice and hostSlice: Infinity (no turns while threads run):
//   interval_late_max_ms    with the default slice: how late the interval fired at worst, during the run
//                           (the median over the rounds; target <= 30 ms)
//   host_slice_throughput   the run's time with no turns / with the default slice (target >= 0.97: the
//                           turns cost at most 3% of the computing)
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../dist/host/compiler/build.js";
import { run } from "../dist/host/kernel/runner.js";
import { median } from "./baselines.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench", "build");

async function once(wasm, hostSlice) {
  let late = 0, due = performance.now() + 5;
  const timer = setInterval(() => { const t = performance.now(); late = Math.max(late, t - due); due = t + 5; }, 5);
  const result = await run(wasm, hostSlice === undefined ? {} : { hostSlice });
  clearInterval(timer);
  const m = /guest_ms ([\d.e+-]+)/.exec(result.stdout);
  if (result.status !== "exited" || !m) throw new Error(`bench guest_compute: ${result.status} ${result.error ?? ""}`);
  return { ms: Number(m[1]), late };
}

export async function guestBench({ quick = false } = {}) {
  const { wasm } = await build(path.join(ROOT, "bench", "programs", "guest_compute.ts"), { cache: CACHE });
  const rounds = quick ? 3 : 5;
  const late = [], ratios = [], turns = [], none = [];
  for (let i = 0; i < rounds; i++) {
    const a = await once(wasm, undefined), b = await once(wasm, Infinity);
    late.push(a.late);
    turns.push(a.ms);
    none.push(b.ms);
    ratios.push(b.ms / a.ms);
  }
  return [
    { bench: "interval_late_max_ms", value: median(late), unit: "ms", runs: rounds, samples: late },
    { bench: "host_slice_throughput", value: median(ratios), unit: "ratio", runs: rounds, samples: ratios, turns_ms: median(turns), none_ms: median(none) },
  ];
}
