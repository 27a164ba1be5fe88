// Seeded runs, the host's half (README, "Reproducible schedules"): the options, their checks, the call that
// seeds the core, and the virtual clock. The design note is host/kernel/explore.ts's; the core's half is
// assembly/core/seed.ts.

/** How much a read of the virtual clock advances it (ms): 1 µs, about what a clock read and the code
 *  around it take. Not configurable. */
export const CLOCK_STEP_MS = 0.001;
/** The virtual wall clock's epoch (ms since 1970): 2026-01-01T00:00:00Z. */
export const VIRTUAL_EPOCH_MS = Date.UTC(2026, 0, 1);
/** PCT's steps when a run names none (`--pct` without `--pct-steps`). */
export const PCT_STEPS_DEFAULT = 1000;
/** The deepest PCT schedule the core keeps (assembly/core/seed.ts, PCT_DEPTH_MAX). */
export const PCT_DEPTH_MAX = 16;

/** RunOptions for a reproducible schedule. */
export interface SeedOptions {
  /** Seeds every scheduling choice (an integer 0 … 2^64 − 1): the same seed gives the same interleaving
   *  and the same output (README, "Reproducible schedules"). N:1 only. */
  seed?: number | bigint;
  /** With `seed`: PCT of this depth (1 … 16) instead of a random walk. */
  pct?: number;
  /** With `pct`: the change points fall among the first this many picks (default 1000). */
  pctSteps?: number;
}

/** Why the seed options are refused, or null. */
export function seedOptionsError(options: SeedOptions & { processor?: unknown }): string | null {
  const { seed, pct, pctSteps } = options;
  if (seed === undefined) return pct !== undefined || pctSteps !== undefined ? "pct and pctSteps need a seed" : null;
  const big = typeof seed === "bigint" ? seed : Number.isSafeInteger(seed) ? BigInt(seed) : -1n;
  if (big < 0n || big >= 1n << 64n) return `seed must be an integer from 0 to 2^64 - 1, got ${seed}`;
  if (options.processor) return "a seeded run is N:1: run it on one processor (weft run --seed runs it so)";
  if (pct !== undefined && !(Number.isInteger(pct) && pct >= 1 && pct <= PCT_DEPTH_MAX)) return `pct must be a depth from 1 to ${PCT_DEPTH_MAX}, got ${pct}`;
  if (pctSteps !== undefined && !(Number.isInteger(pctSteps) && pctSteps >= 1 && pctSteps <= 2 ** 31 - 1)) return `pctSteps must be a positive integer, got ${pctSteps}`;
  return null;
}

/** A seeded run's clock (host/kernel/explore.ts, design note): `now` and `wall` for the module's imports. */
export class SeedClock {
  private at = 0;
  readonly now = (): number => (this.at += CLOCK_STEP_MS);
  readonly wall = (): number => VIRTUAL_EPOCH_MS + this.at;
  /** RUN_WAIT: every thread waits until `deadline`; the clock goes there. False for no deadline (I/O or a
   *  signal is awaited: the host waits for it as in any run). */
  jumpTo(deadline: number): boolean {
    if (!(deadline < Infinity)) return false;
    this.at = Math.max(this.at, deadline);
    return true;
  }
  /** The clock a run gets: a new one for a seeded run, else none. */
  static for(options: SeedOptions): SeedClock | null { return options.seed === undefined ? null : new SeedClock(); }
}

/** Seeds the core before main starts (protocol step 2); an error to end the run with, or null. */
export function seedCore(ex: { weft_seed: (lo: number, hi: number, depth: number, steps: number) => number }, options: SeedOptions): string | null {
  if (options.seed === undefined) return null;
  const seed = BigInt(options.seed);
  const depth = options.pct ?? 0;
  const steps = options.pctSteps ?? PCT_STEPS_DEFAULT;
  if (ex.weft_seed(Number(seed & 0xffffffffn) | 0, Number(seed >> 32n) | 0, depth, steps) !== 0) {
    return `the core refused seed ${seed} (weft_seed)`;
  }
  return null;
}
