// Schedule exploration (weft explore, host/kernel/explore.ts): bench/programs/explore_ten.ts (ten threads
// that lock, add, yield and send, N:1) explored seed after seed, random walk and PCT (depth 3) alternating,
// as `weft explore` runs them (a fresh instance each run, the module compiled once):
//   explore_runs_per_s   schedules run per second, each round RUNS of them (the median over the rounds)
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../dist/host/compiler/build.js";
import { explore } from "../dist/host/kernel/explore.js";
import { median } from "./baselines.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench", "build");
const RUNS = 500;

export async function exploreBench({ quick = false } = {}) {
  const { wasm } = await build(path.join(ROOT, "bench", "programs", "explore_ten.ts"), { cache: CACHE });
  const rounds = quick ? 3 : 5;
  const rates = [], steps = [];
  await explore(wasm, { runs: 50 });                      // warm-up: the engine's optimised code
  for (let i = 0; i < rounds; i++) {
    let picks = 0;
    const result = await explore(wasm, { runs: RUNS, from: 1 + i * RUNS, onRun: (run) => { picks += run.steps; } });
    if (result.failed) throw new Error(`bench explore_ten: seed ${result.failed.schedule.seed} failed: ${result.failed.failure}`);
    rates.push(RUNS / (result.elapsedMs / 1000));
    steps.push(picks / RUNS);
  }
  return [{ bench: "explore_runs_per_s", value: median(rates), unit: "runs/s", runs: rounds, samples: rates, picks_per_run: median(steps) }];
}
