// Preemption as the host sets it up. The core does the work (assembly/core/preempt.ts, "Design note"): the
// build's safepoints tick about every `tick` ms while a thread runs, and a thread that has had its slice
// gives way. The host checks a run's options once, hands them to the core with weft_preempt_configure
// after instantiation and before main starts (host/kernel/runner.ts), and, in M:N only, runs the ticker that
// raises the processors' request words (host/mn/ticker.ts). Web-standard APIs only.

import { SLICE_MS_MAX, TICK_MS_MAX } from "../abi.js";

/** The preemption options of a run (RunOptions and SharedRunOptions take them). */
export interface PreemptOptions {
  /** Time slice (ms, > 0 and ≤ 60,000): how long a thread runs before others of its priority get the
   *  processor. Default: the core's, 10 ms (assembly/core/preempt.ts, SLICE_MS_DEFAULT). */
  slice?: number;
  /** About how often a running thread ticks (ms, > 0 and ≤ 1,000): how late a sleeper or a thread of
   *  higher priority may be behind a thread that never yields. Default: the core's, 1 ms. */
  tick?: number;
  /** Exact CPU, runnable and blocked times per thread (a clock read at every switch; readThreadStats).
   *  Default false: only the sampled CPU time is kept. */
  exactAccounting?: boolean;
}

/** What a processor learns of preemption once it is set up: the address of the tick words, which the
 *  M:N ticker raises (weft_preempt_requests; host/abi.ts, TICK_WORDS), and the tick in force (ms). */
export interface PreemptState {
  requests: number;
  tick: number;
}

/** A value as an error message shows it. */
function shown(value: unknown): string {
  return typeof value === "number" ? String(value) : JSON.stringify(value) ?? String(value);
}

function msError(name: string, value: unknown, max: number): string | null {
  if (value === undefined || (typeof value === "number" && value > 0 && value <= max)) return null;
  return `${name} must be more than 0 and at most ${max} ms, got ${shown(value)}`;
}

/** Why `options.hostSlice` is refused, or null (a number of ms from 0, or Infinity). */
export function hostSliceError(options: { hostSlice?: number }): string | null {
  const ms = options.hostSlice;
  if (ms === undefined || (typeof ms === "number" && ms >= 0)) return null;
  return `hostSlice must be a number of ms from 0 (Infinity: never), got ${ms}`;
}

/** The message for the first option out of range (the caller throws it as a WeftError), or null. */
export function preemptOptionsError(options: PreemptOptions): string | null {
  const exact = options.exactAccounting;
  return msError("slice", options.slice, SLICE_MS_MAX) ?? msError("tick", options.tick, TICK_MS_MAX) ??
    (exact === undefined || typeof exact === "boolean" ? null : `exactAccounting must be true or false, got ${shown(exact)}`);
}

/** Hands checked options to the core (0 keeps the core's value). A message if the core refuses them. */
export function configurePreemption(
  core: { weft_preempt_configure(slice: number, tick: number, exact: number): number }, options: PreemptOptions,
): string | null {
  const slice = options.slice ?? 0, tick = options.tick ?? 0;
  if (core.weft_preempt_configure(slice, tick, options.exactAccounting ? 1 : 0) === 0) return null;
  return `the core refused a slice of ${slice} ms and a tick of ${tick} ms (weft_preempt_configure)`;
}
