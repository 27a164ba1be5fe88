// Reproducible schedules, the host's half: `explore`, which runs a program under seed after seed until one
// run fails (`weft explore`); a seeded run's options and virtual clock are in seed.ts.
//
// Design note
// -----------
// The core makes every scheduling choice of a seeded run from the seed (assembly/core/seed.ts, "What the
// seed decides"); the host's part is time. A seeded run gets a virtual clock (SeedClock): each read of
// `now` advances it by CLOCK_STEP_MS, so a thread that spins on the clock still sees it move, and when
// every thread sleeps (RUN_WAIT) the clock jumps to the earliest deadline at once instead of the host
// waiting for it. Every reading is then a function of the schedule, and so of the seed: sleepers wake at
// the same places, in deadline order, and the program reads the same times. What stays outside is the
// world: I/O completions and host functions' Promises land when they do (the schedule between them still
// follows the seed).
//
// Processors: which kernel thread reaches a run queue first is not a choice anything inside Wasm makes,
// so a seeded run is N:1. `weft run --seed --processors N` says so and runs the same program on one
// processor (the logical schedule is the one a single processor would run); runShared refuses a seed.
//
// Exploring. `explore` compiles the module once and runs it with seeds first, first + 1, ... (a fresh
// instance each run, the build's module reused), alternating two strategies: even runs a random walk,
// odd runs PCT of depth `pct` (default 3), whose change points fall among the first k picks, k being the
// most picks a run has made so far (a run's count is weft_seed_steps). A run fails when it does not end
// with every thread well: status other than "exited", a non-zero exit code, or any thread that trapped
// (a failed assert() traps). Cycles of waits end the run (deadlock: "abort") so that a partial deadlock
// fails it too. The first failure stops the search, with the options that replay it.

import { loadModule, WeftProgram, type RunOptions, type RunResult } from "./runner.js";
import { PCT_DEPTH_MAX, type SeedOptions } from "./seed.js";
import { WeftError } from "./weft-error.js";

/** What `explore` runs each seed with: RunOptions less what it sets itself. */
export type ExploreOptions = Omit<RunOptions, "seed" | "pct" | "pctSteps" | "stdout" | "stderr" | "processor" | "forkOf" | "spawnOf"> & {
  /** How many runs at most (default 1000). */
  runs?: number;
  /** The first seed (default 1). */
  from?: number;
  /** PCT's depth for the odd runs (default 3); 0: random walk only. */
  pct?: number;
  /** Told after each run. */
  onRun?: (run: ExploredRun) => void;
};

/** One explored run: its schedule (the options that replay it) and its result. */
export interface ExploredRun {
  /** 1 for the first run. */
  index: number;
  schedule: Required<Pick<SeedOptions, "seed">> & Pick<SeedOptions, "pct" | "pctSteps">;
  /** "random walk", or "PCT depth d, k steps". */
  strategy: string;
  result: RunResult;
  /** Why it failed, or null. */
  failure: string | null;
  /** The picks it made. */
  steps: number;
}

export interface ExploreResult {
  runs: number;
  elapsedMs: number;
  /** The first run that failed, or null. */
  failed: ExploredRun | null;
}

/** Why a run counts as failed (see the design note), or null. */
export function runFailure(result: RunResult): string | null {
  if (result.status !== "exited") return `${result.status}: ${result.error ?? `exit code ${result.exitCode}`}`;
  const trapped = result.threads.find((t) => t.state === "trapped");
  if (trapped) return trapped.error ?? `thread ${trapped.id} trapped`;
  if (result.exitCode !== 0) return `exit code ${result.exitCode}`;
  return null;
}

/** Runs `source` under seeds `from`, `from` + 1, ... until a run fails or `runs` have run. */
export async function explore(source: BufferSource | WebAssembly.Module, options: ExploreOptions = {}): Promise<ExploreResult> {
  const { runs = 1000, from = 1, pct = 3, onRun, ...runOptions } = options;
  if (!(Number.isInteger(runs) && runs >= 1)) throw new WeftError(`runs must be a positive integer, got ${runs}`);
  if (!(Number.isSafeInteger(from) && from >= 0)) throw new WeftError(`from must be a seed (a non-negative integer), got ${from}`);
  if (!(Number.isInteger(pct) && pct >= 0 && pct <= PCT_DEPTH_MAX)) throw new WeftError(`pct must be a depth from 0 (random walk only) to ${PCT_DEPTH_MAX}, got ${pct}`);
  const module = await loadModule(source, false, runOptions.imports);
  const start = performance.now();
  let mostSteps = 0;
  for (let i = 0; i < runs; i++) {
    const usePct = pct > 0 && i % 2 === 1;
    const schedule: ExploredRun["schedule"] = usePct ? { seed: from + i, pct, pctSteps: Math.max(mostSteps, 1) } : { seed: from + i };
    const program = await WeftProgram.load(module, { deadlock: "abort", ...runOptions, ...schedule });
    const result = await program.run();
    const steps = program.raw.weft_seed_steps() >>> 0;
    mostSteps = Math.max(mostSteps, steps);
    const run: ExploredRun = {
      index: i + 1, schedule, result, steps, failure: runFailure(result),
      strategy: usePct ? `PCT depth ${pct}, ${schedule.pctSteps} steps` : "random walk",
    };
    onRun?.(run);
    if (run.failure) return { runs: i + 1, elapsedMs: performance.now() - start, failed: run };
  }
  return { runs, elapsedMs: performance.now() - start, failed: null };
}

/** The `weft run` options that replay `schedule` (and, for a deadlock, end the run at it as explore did). */
export function replayFlags(run: ExploredRun): string[] {
  const { seed, pct, pctSteps } = run.schedule;
  return [
    "--seed", String(seed),
    ...(pct !== undefined ? ["--pct", String(pct), "--pct-steps", String(pctSteps)] : []),
    ...(run.result.status === "deadlock" ? ["--deadlock=abort"] : []),
  ];
}
