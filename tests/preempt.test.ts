// Preemption and scheduling policy (issue 5): a thread that spins without yielding cannot starve the
// others (N:1 and M:N), and it is the build's safepoints that make it so; time slices; priorities with
// aging; fair-share groups; CPU accounting (sampled and exact); the policy calls' errors; the stats
// table. Each case runs a program from tests/programs/preempt_*.ts that measures and prints `key=value`
// lines; the assertions compare what was measured with what the policy promises.
//
// Timing. Every figure is taken on the run's own clock, and each run takes at most ~2 s. The suite runs
// on machines whose cores are all busy (other test files, other processes): the kernel then keeps the
// run's thread off its core for stretches of tens of ms, and the run's clock goes on meanwhile. So each
// bound is either one weft guarantees whatever the kernel does (nobody wakes early; at most one turn per
// slice; charged CPU adds up to the elapsed time), or one a scheduler that does not do its job misses by
// far, with room for those stretches (measured with two spinning processes on both cores of a 2-core
// machine and the M:N tests running beside: wake-ups up to 45 ms late in M:N, 211 ms in N:1). How
// close to on time a wake-up is on a quiet machine is a benchmark's figure, not a test's:
// bench/preempt.js measures preempt_latency_p50 and _p99, and fair_share_error (the shares of work done).
// Each timing case logs its figures in one line (`preempt: ...`).
//
// M:N cases (runSharedProgram, on 1, 2 and 4 processors) need the host's ticker (host/mn/run.ts): without it
// a shared build's safepoints never see a tick, and main wakes only when a spinner happens to yield.
import { describe, expect, it } from "vitest";
import { buildModule, runProgram, runSharedProgram, runOnce, runValues, valuesOf, lines } from "./harness";
import type { RunResult } from "../host/kernel/runner";

const TIMEOUT = 120_000;                  // a cold build takes a few seconds; each run at most ~2 s
const SLICE_MS = 10;                      // the default slice (assembly/core/preempt.ts, SLICE_MS_DEFAULT)
// The latest a wake-up behind spinners may be. On a quiet machine it is well under a millisecond late (the
// tick that finds the sleeper due comes within a tick); on a busy one it also waits for the kernel to give
// the run its core back. Without preemption main wakes when the spinner ends ("safepoints: false"), or
// never (preempt_spin's spinners spin until main stops them).
//   - M:N: the ticker (a Worker) raises a processor's tick word every tick: measured up to 45 ms late.
//   - N:1: a tick comes when the safepoints have spent the fuel given for a tick at the rate measured
//     before (assembly/core/preempt.ts); with the kernel taking the core away meanwhile, wake-ups behind
//     spinners were measured up to 211 ms late (medians 10-24 ms; 0.04 ms on a quiet machine).
const LATE_MS = 150;
const LATE_N1_MS = 1000;
const EINVAL = "-22", ESRCH = "-3", EAGAIN = "-11";

function num(values: Map<string, string>, key: string): number {
  const v = values.get(key);
  if (v === undefined) throw new Error(`the program printed no ${key}=`);
  return Number(v);
}

function nums(values: Map<string, string>, key: string): number[] {
  const v = values.get(key);
  if (v === undefined) throw new Error(`the program printed no ${key}=`);
  return v.split(",").map(Number);
}

/** Values of a run that must have exited 0. */
function okValues(result: RunResult): Map<string, string> {
  expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null, stderr: result.stderr })
    .toMatchObject({ status: "exited", exitCode: 0, error: null, stderr: "" });
  return valuesOf(result);
}

function report(what: string, figures: Record<string, number | string>): void {
  const text = Object.entries(figures).map(([k, v]) => `${k}=${typeof v === "number" ? +v.toFixed(3) : v}`).join(" ");
  console.log(`preempt: ${what}: ${text}`);
}

/** The spinner figures of preempt_spin for `kind` (loop, fib): no wake-up early, none later than `lateMs`,
 *  every spinner ran and ended. */
function expectNoStarvation(v: Map<string, string>, kind: string, spinners: number, what: string, lateMs: number): void {
  const figures = {
    spinners: num(v, `${kind}_spinners`), late_max: num(v, `${kind}_late_max`), late_median: num(v, `${kind}_late_median`),
    min_count: num(v, `${kind}_min_count`), exited: num(v, `${kind}_exited`),
  };
  report(what, figures);
  expect(figures.spinners).toBe(spinners);
  expect(figures.late_max).toBeGreaterThanOrEqual(0);          // never early
  expect(figures.late_max).toBeLessThan(lateMs);
  expect(figures.min_count).toBeGreaterThan(0);                // every spinner ran
  expect(figures.exited).toBe(spinners);
}

describe("a thread spinning in a loop cannot starve the others", () => {
  it("N:1: main's 5 ms sleeps end, never early and within LATE_N1_MS, behind 2 spinners on a plain loop", async () => {
    const v = await runValues("preempt_spin", { timeoutMs: 10_000 });
    expectNoStarvation(v, "loop", 2, "N:1 loop spinners", LATE_N1_MS);
  }, TIMEOUT);

  it("N:1: ... and behind 2 spinners whose time goes in a recursive function (fib)", async () => {
    const v = await runValues("preempt_spin", { timeoutMs: 10_000 });
    expectNoStarvation(v, "fib", 2, "N:1 fib spinners", LATE_N1_MS);
  }, TIMEOUT);

  // Needs the M:N ticker (host/mn/run.ts). With more processors than cores the host's scheduler also
  // shares the cores among the Workers, which a wake-up may wait for too.
  it.each([1, 2, 4])("M:N on %i processor(s): processors + 1 spinners, loop and fib [needs the M:N ticker]", async (processors) => {
    const v = okValues(await runSharedProgram("preempt_spin.ts", processors, 10_000));
    expectNoStarvation(v, "loop", processors + 1, `M:N p=${processors} loop spinners`, LATE_MS);
    expectNoStarvation(v, "fib", processors + 1, `M:N p=${processors} fib spinners`, LATE_MS);
  }, TIMEOUT);
});

describe("the build's safepoints are what preempts", () => {
  // A spinner that never yields runs 1000 ms by the clock; main asks to sleep 5 ms meanwhile. Which of
  // the two ends first is the difference: the spinner runs 5 times as long as the latest N:1 wake-up
  // measured on a busy machine (211 ms behind spinners; this case's, 35 ms).
  it("with safepoints (the default) main wakes while the spinner still spins", async () => {
    const v = okValues(await runProgram("preempt_bounded.ts", { timeoutMs: 10_000 }));
    report("bounded spinner, safepoints on", { late: num(v, "late"), spun: num(v, "spun") });
    expect(v.get("woke_while_spinning")).toBe("1");
    expect(num(v, "spun")).toBeGreaterThanOrEqual(1000);
  }, TIMEOUT);

  it("built with safepoints: false, main wakes only when the spinner ends, ~1000 ms late", async () => {
    const v = okValues(await runProgram("preempt_bounded.ts", { timeoutMs: 10_000, build: { safepoints: false } }));
    report("bounded spinner, safepoints off", { late: num(v, "late"), spun: num(v, "spun") });
    expect(v.get("woke_while_spinning")).toBe("0");
    expect(num(v, "late")).toBeGreaterThan(900);
    expect(num(v, "spun")).toBeGreaterThanOrEqual(1000);
  }, TIMEOUT);
});

describe("a thread of higher priority made runnable", () => {
  // With a 50 ms tick, the running thread would go on until its next tick; the wake itself asks for one,
  // so the waiter runs at the spinner's next safepoint: microseconds (measured 0.002 ms median; ~1 ms
  // without the request).
  it("preempts the running thread at its next safepoint, not at its next tick", async () => {
    const v = okValues(await runProgram("preempt_wake.ts", { tick: 50, timeoutMs: 10_000 }));
    report("higher-priority wake", { median: num(v, "delay_ms_median"), max: num(v, "delay_ms_max") });
    expect(num(v, "delay_ms_median")).toBeLessThan(0.3);
    expect(num(v, "delay_ms_max")).toBeLessThan(LATE_N1_MS);
  }, TIMEOUT);
});

describe("counted loops", () => {
  // A short counted loop runs in a copy without its check, after one check before it; a long one keeps
  // its check. Both kinds of spinner must still let main wake (within LATE_N1_MS).
  it("a short counted loop inside a spinner and one long counted loop are both preempted", async () => {
    const built = await buildModule("preempt_counted.ts");
    expect(built.safepoints?.counted, "counted loops the build recognised").toBeGreaterThanOrEqual(2);
    const v = okValues(await runProgram("preempt_counted.ts", { timeoutMs: 10_000 }));
    report("counted loops", { late_max: num(v, "late_max"), counted: built.safepoints!.counted });
    expect(num(v, "late_max")).toBeLessThan(LATE_N1_MS);
    expect({ a: v.get("a_sum"), b: v.get("b_sum") }).toEqual({ a: "1", b: "1" });
  }, TIMEOUT);
});

describe("time slices", () => {
  // A spinner keeps the processor for its whole slice: at most 1000 / slice turns a second, plus each
  // spinner's first (the program runs them RUN_MS = 400 ms or more). While the kernel keeps the run off
  // its core, slices end unseen: on a busy machine the 2 ms slices make ~100-180 turns a second instead
  // of ~500, but still several times the 50 ms slices' ~20.
  it("two spinners take turns at most and about 1000/slice times a second: setTimeSlice(2) vs setTimeSlice(50)", async () => {
    const v = await runValues("preempt_slice", { timeoutMs: 10_000 });
    const fast = num(v, "slice_2_turns_per_s"), slow = num(v, "slice_50_turns_per_s");
    report("turns per second", { slice_2: fast, slice_50: slow, ratio: fast / slow });
    expect({ set2: v.get("slice_2_set"), read2: v.get("slice_2_read"), set50: v.get("slice_50_set"), read50: v.get("slice_50_read") })
      .toEqual({ set2: "0", read2: "2.0", set50: "0", read50: "50.0" });
    const firstTurns = 2 * 1000 / 400;
    expect(fast).toBeLessThanOrEqual(1000 / 2 + firstTurns);
    expect(slow).toBeLessThanOrEqual(1000 / 50 + firstTurns);  // a slice of 50 ms is kept (the default is 10)
    expect(slow).toBeGreaterThan(5);                           // they do alternate (~20/s expected)
    expect(fast / slow).toBeGreaterThan(2);                    // ~25 expected on a quiet machine
  }, TIMEOUT);
});

describe("priorities under preemption", () => {
  it("a priority-7 spinner takes most of the processor; aging still lets a priority-0 thread run", async () => {
    const v = await runValues("preempt_priority", { timeoutMs: 10_000 });
    const f = {
      low_count: num(v, "low_count"), low_first_ms: num(v, "low_first_ms"), high_cpu: num(v, "high_cpu"),
      low_cpu: num(v, "low_cpu"), elapsed: num(v, "elapsed"), high_switches: num(v, "high_switches"), low_switches: num(v, "low_switches"),
    };
    report("priority 7 vs 0", { ...f, cpu_ratio: f.high_cpu / f.low_cpu });
    expect(num(v, "main_priority")).toBe(7);
    expect.soft(f.low_count, "the priority-0 thread's count").toBeGreaterThan(0);
    expect.soft(f.low_first_ms, "when the priority-0 thread first ran (ms)").toBeGreaterThanOrEqual(0);
    expect.soft(f.low_first_ms, "when the priority-0 thread first ran (ms)").toBeLessThan(500);
    expect.soft(f.high_cpu, "the priority-7 thread's CPU (ms)").toBeGreaterThan(0.5 * f.elapsed);
    // Aging gives the priority-0 thread a turn (one slice) at most once per 7 agings of AGING_MS (10 ms)
    // of waiting: its turns are bounded by the run's length, however busy the machine. Its CPU share
    // (~8 times less than the spinner's on a quiet machine) is not asserted: a stretch the process spends
    // off the core is charged to whichever thread had it, and one such stretch in the priority-0 thread's
    // slice gave it 197 ms of 535 in a loaded run (cpu_ratio in the report above).
    expect.soft(f.low_switches, "the priority-0 thread's turns").toBeGreaterThanOrEqual(1);
    expect.soft(f.low_switches, "the priority-0 thread's turns").toBeLessThanOrEqual(f.elapsed / 70 + 2);
  }, TIMEOUT);
});

describe("fair-share groups", () => {
  it("group A (3) with one thread, group B (1) with threads of weights 1 and 3: CPU shares within 5 points", async () => {
    const v = await runValues("preempt_fair", { timeoutMs: 10_000 });
    const shares = { a: num(v, "share_a"), b1: num(v, "share_b1"), b3: num(v, "share_b3") };
    const configured = { a: 0.75, b1: 0.0625, b3: 0.1875 };
    report("fair shares", {
      ...shares, error: num(v, "error"), elapsed: num(v, "elapsed"),
      cpu: ["a", "b1", "b3"].map((k) => num(v, `cpu_${k}`).toFixed(1)).join(","), group_a_cpu: num(v, "group_a_cpu"), group_b_cpu: num(v, "group_b_cpu"),
    });
    expect({ group_a: v.get("group_a"), group_b: v.get("group_b") }).toEqual({ group_a: "1", group_b: "2" });
    // The shares of CPU time the threads were charged: the scheduler picks by them at every tick, so each
    // stays within about one charge of its configured share. A charge is the time since the last tick,
    // and on a busy machine may carry a stretch off the core (tens of ms): 5 points of the 1.5 s run allow
    // 75 ms; measured there, 1.2 points at most with two spinners beside the suite, 3.9 with more load.
    // Shares not applied miss by 6 points or more (b1 with its group's weights alone: 0.125; all three
    // equal: 0.33). The shares of work done (iterations) are a benchmark's figure (bench/preempt.js, fair_share_error): here the stretches off the core fall on
    // whichever thread had the core, and they were measured up to 64% off for the smallest share.
    const cpu = { a: num(v, "cpu_a"), b1: num(v, "cpu_b1"), b3: num(v, "cpu_b3") };
    const total = cpu.a + cpu.b1 + cpu.b3;
    for (const k of ["a", "b1", "b3"] as const) {
      expect(Math.abs(cpu[k] / total - configured[k]), `${k}'s CPU share, off its configured ${configured[k]}`).toBeLessThanOrEqual(0.05);
    }
    // The groups' sampled CPU splits the same way (3 : 1, within the same 5 points), and adds up to the
    // elapsed time.
    const ga = num(v, "group_a_cpu"), gb = num(v, "group_b_cpu");
    expect(Math.abs(ga / (ga + gb) - 0.75), "group A's CPU share, off its configured 0.75").toBeLessThanOrEqual(0.05);
    expect(Math.abs(ga + gb - num(v, "elapsed")) / num(v, "elapsed")).toBeLessThanOrEqual(0.05);
  }, TIMEOUT);
});

describe("CPU accounting", () => {
  it("sampled: the CPU times of 3 CPU-bound threads add up to the elapsed time within 5%", async () => {
    const v = await runValues("preempt_account", { timeoutMs: 10_000 });
    const elapsed = num(v, "sampled_elapsed"), sum = num(v, "sampled_cpu_sum"), cpu = nums(v, "sampled_cpu");
    report("sampled accounting", { elapsed, cpu_sum: sum, cpu: cpu.map((c) => c.toFixed(1)).join(",") });
    expect(Math.abs(sum - elapsed) / elapsed).toBeLessThanOrEqual(0.05);
    // Round robin: each had a fair part of it (a third, give or take half: the host's own scheduling of
    // this process shows up here on a loaded machine).
    for (const c of cpu) expect(Math.abs(c - elapsed / 3) / (elapsed / 3)).toBeLessThanOrEqual(0.5);
    // Exact figures are -1 while exact accounting is off.
    for (const key of ["sampled_exact", "sampled_runnable", "sampled_blocked"]) expect(nums(v, key)).toEqual([-1, -1, -1]);
  }, TIMEOUT);

  it("exact: CPU sums to the elapsed time within 5%, each spinner runnable ~2/3 and never blocked, main blocked all along", async () => {
    const v = await runValues("preempt_account", { timeoutMs: 10_000 });
    const elapsed = num(v, "exact_elapsed");
    const exact = nums(v, "exact_exact"), runnable = nums(v, "exact_runnable"), blocked = nums(v, "exact_blocked");
    const sampledSum = num(v, "exact_cpu_sum"), exactSum = exact.reduce((a, b) => a + b, 0);
    const mainCpu = num(v, "exact_main_cpu_exact"), mainBlocked = num(v, "exact_main_blocked");
    const switches = nums(v, "exact_switches");
    report("exact accounting", {
      elapsed, exact_sum: exactSum, sampled_sum: sampledSum, runnable: runnable.map((r) => r.toFixed(1)).join(","),
      blocked: blocked.map((b) => b.toFixed(1)).join(","), main_cpu: mainCpu, main_blocked: mainBlocked, switches: switches.join(","),
    });
    // Soft: each figure is checked and reported on its own.
    expect.soft(Math.abs(exactSum - elapsed) / elapsed, "exact CPU sum vs elapsed").toBeLessThanOrEqual(0.05);
    expect.soft(Math.abs(sampledSum - elapsed) / elapsed, "sampled CPU sum vs elapsed").toBeLessThanOrEqual(0.05);
    // Runnable while the other two run: ~2/3 of the time. A stretch off the core counts as CPU for the
    // spinner that had it and as runnable time for the others (measured up to 9% off 2/3 on a busy machine).
    runnable.forEach((r, i) => expect.soft(Math.abs(r - elapsed * 2 / 3) / (elapsed * 2 / 3), `spinner ${i} runnable vs 2/3 of elapsed`).toBeLessThanOrEqual(0.25));
    blocked.forEach((b, i) => expect.soft(b, `spinner ${i} blocked`).toBeLessThan(0.01 * elapsed));
    expect.soft(mainCpu, "main's exact CPU (it only slept)").toBeGreaterThanOrEqual(0);
    expect.soft(mainCpu, "main's exact CPU (it only slept)").toBeLessThan(0.05 * elapsed);
    expect.soft(Math.abs(mainBlocked - elapsed) / elapsed, "main's blocked time vs elapsed").toBeLessThanOrEqual(0.05);
    // A switch is a turn on the processor, not a tick: at most one a slice, elapsed / (3 × slice) each
    // (a tick comes every ms: ~270 each). Fewer on a busy machine, where slices that end off the core are
    // seen at once (measured down to half); they still take turns.
    const turns = elapsed / (3 * SLICE_MS);
    switches.forEach((n, i) => {
      expect.soft(n, `spinner ${i} switches (they take turns)`).toBeGreaterThanOrEqual(2);
      expect.soft(n, `spinner ${i} switches (~${turns.toFixed(0)} turns)`).toBeLessThan(1.5 * turns);
    });
  }, TIMEOUT);
});

describe("the policy calls", () => {
  it("reject bad arguments with -EINVAL, -ESRCH or -EAGAIN, and report their defaults", async () => {
    const v = await runValues("preempt_api");
    expect(Object.fromEntries(v)).toEqual({
      priority_default: "4", group_default: "0", slice_default: "10.0",
      set_priority_8: EINVAL, set_priority_neg: EINVAL, set_priority_bad_id: ESRCH, get_priority_bad_id: ESRCH,
      set_priority_6: "0", priority_after: "6",
      group_create_0: EINVAL, group_create_neg: EINVAL, group_create_too_heavy: EINVAL,
      group_first: "1", group_full: EAGAIN, groups_made: "63", group_last: "63",
      group_set_weight_bad_group: EINVAL, group_set_weight_0: EINVAL, group_set_weight_ok: "0", group_cpu_bad: "-1.0",
      set_group_bad: EINVAL, set_group_bad_id: ESRCH, set_group_ok: "0", group_after: "1", get_group_bad_id: ESRCH,
      set_weight_0: EINVAL, set_weight_too_heavy: EINVAL, set_weight_bad_id: ESRCH, set_weight_ok: "0",
      spawn_group_bad: EINVAL, spawn_group_neg: EINVAL, spawn_weight_0: EINVAL, spawn_group_ok: "0",
      slice_0: EINVAL, slice_neg: EINVAL, slice_nan: EINVAL, slice_too_long: EINVAL, slice_5: "0", slice_after: "5.0",
      cpu_bad_id: "-1.0", stats_bad_id: "1",
    });
  }, TIMEOUT);

  it("printThreadStats prints a header, a line per thread and a line per group", async () => {
    const result = await runOnce("preempt_stats");
    expect(result.status).toBe("exited");
    const out = lines(result);
    const table = out.slice(out.indexOf("--- table") + 1, out.indexOf("--- end"));
    expect(table[0]).toMatch(/^\s*id\s+name\s+state\s+pri\s+grp\s+weight\s+switches\s+cpu ms\s+exact ms\s+runnable ms\s+blocked ms$/);
    const rows = table.slice(1).filter((l) => !l.startsWith("group "));
    const row = (name: string) => {
      const line = rows.find((l) => l.split(/\s+/).includes(name));
      if (!line) throw new Error(`no line for thread ${name} in:\n${table.join("\n")}`);
      const [id, , state, pri, grp, weight, switches, cpu, exact, runnable, blocked] = line.trim().split(/\s+/);
      return { id, state, pri, grp, weight, switches: Number(switches), cpu: Number(cpu), exact, runnable, blocked };
    };
    expect(rows).toHaveLength(3);
    expect(row("main")).toMatchObject({ id: "1", state: "running", pri: "4", grp: "0", weight: "1", exact: "-", runnable: "-", blocked: "-" });
    const busy = row("stats-busy");
    expect.soft(busy).toMatchObject({ state: "exited", grp: "1", weight: "3" });
    // Sampled: charged at ticks, so the stretch after its last tick is not; in N:1 ticks come when fuel
    // runs out at the rate measured before, and on a busy machine its 20 ms may see no tick at all
    // (measured: 0 ms in 4 runs of 6). The charging is "CPU accounting"'s; here, the table's figure.
    expect.soft(busy.cpu, "stats-busy's CPU (ms; it spun 20 ms)").toBeGreaterThanOrEqual(0);
    expect.soft(busy.switches, "stats-busy's switches (it ran alone: ticks are not switches)").toBeGreaterThanOrEqual(1);
    expect.soft(busy.switches, "stats-busy's switches (it ran alone: ticks are not switches)").toBeLessThanOrEqual(3);
    const napper = row("stats-napper");
    expect.soft(napper).toMatchObject({ state: "sleeping", grp: "0", weight: "1" });
    expect.soft(napper.cpu, "stats-napper's CPU (it only went to sleep)").toBeLessThan(1);
    const groups = table.filter((l) => l.startsWith("group "));
    expect(groups).toEqual([expect.stringMatching(/^group 0: weight 1, cpu [\d.]+ ms$/), expect.stringMatching(/^group 1: weight 3, cpu [\d.]+ ms$/)]);
    expect.soft(Number(/cpu ([\d.]+) ms/.exec(groups[1])![1]), "group 1's CPU = stats-busy's").toBe(busy.cpu);
  }, TIMEOUT);
});
