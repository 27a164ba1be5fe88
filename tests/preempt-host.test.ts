// Preemption from the host's side: the run options (slice, tick, exact accounting) and their checks,
// what the host reads back (readThreadStats, readGroups, RunResult.threadStats and .groups), the CLI's
// flags, and the M:N ticker (host/mn/ticker.ts). The core's own behaviour (slices, aging, groups) is
// tests/preempt.test.ts's.
import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildProgram, runNode, runReadingBack, ROOT, type ProgramOptions } from "./harness";
import { WeftProgram, type ThreadStats } from "../host/kernel/runner.js";
// The compiled host: its processors and its ticker are Workers that load dist/host/*.js beside it.
import { runShared } from "../dist/host/mn/run.js";
import { scratchDir } from "./scratch";

const STATS = "preempt_host_stats.ts";     // main, "stats-busy" (group 1, weight 3), "stats-napper"
const SPIN = "preempt_host_spin.ts";       // 3 threads spin until main, after a sleep, stops them

const plain = async (file: string) => await buildProgram(file) as Uint8Array<ArrayBuffer>;
const shared = async (file: string) => await buildProgram(file, { shared: true }) as Uint8Array<ArrayBuffer>;

/** Runs `file` with `options` in a worker thread; returns the result and what the host read back after it. */
const runHere = (file: string, options: ProgramOptions = {}) => runReadingBack(file, options);

const byName = (stats: ThreadStats[]) => Object.fromEntries(stats.map((t) => [t.name, t]));

describe("preemption options", () => {
  it("run and runShared refuse a bad slice, tick, exactAccounting or preempt, naming it and its value", async () => {
    const wasm = await plain(STATS);
    for (const [options, message] of [
      [{ slice: 0 }, "slice must be more than 0 and at most 60000 ms, got 0"],
      [{ slice: 60_001 }, "slice must be more than 0 and at most 60000 ms, got 60001"],
      [{ slice: -1 }, "slice must be more than 0 and at most 60000 ms, got -1"],
      [{ tick: 0 }, "tick must be more than 0 and at most 1000 ms, got 0"],
      [{ tick: 1000.5 }, "tick must be more than 0 and at most 1000 ms, got 1000.5"],
      [{ tick: NaN }, "tick must be more than 0 and at most 1000 ms, got NaN"],
      [{ slice: "5" }, 'slice must be more than 0 and at most 60000 ms, got "5"'],
      [{ exactAccounting: "yes" }, 'exactAccounting must be true or false, got "yes"'],
    ] as [object, string][]) {
      await expect(WeftProgram.load(wasm, options), JSON.stringify(options)).rejects.toThrow(message);
    }
    const sharedWasm = await shared(SPIN);
    await expect(runShared(sharedWasm, { tick: 2000 })).rejects.toThrow("tick must be more than 0 and at most 1000 ms, got 2000");
    await expect(runShared(sharedWasm, { preempt: "no" as unknown as boolean })).rejects.toThrow('preempt must be true or false, got "no"');
  });

  it("the core runs with the slice and tick given (weft_preempt_slice, weft_preempt_tick), and defaults without", async () => {
    const given = await runHere(STATS, { slice: 25, tick: 2 });
    expect(given.result.stdout).toMatch(/^slice=25\.0$/m);              // the program's timeSlice()
    expect([given.readBack.slice, given.readBack.tick]).toEqual([25, 2]);
    const defaults = await runHere(STATS);
    expect(defaults.result.stdout).toMatch(/^slice=10\.0$/m);
    expect([defaults.readBack.slice, defaults.readBack.tick]).toEqual([10, 1]);
  });
});

describe("thread statistics", () => {
  it("RunResult.threadStats has every thread left in the table, with sane fields; groups their weights and CPU", async () => {
    const { readBack, result } = await runHere(STATS);
    expect(result.status).toBe("exited");
    const stats = result.threadStats;
    expect(stats.map((t) => [t.id, t.name, t.state])).toEqual([
      [1, "main", "exited"], [2, "stats-busy", "exited"], [3, "stats-napper", "exited"],
    ]);
    const { "stats-busy": busy, "stats-napper": napper } = byName(stats);
    for (const t of stats) {
      expect(t.priority).toBeGreaterThanOrEqual(0);
      expect(t.priority).toBeLessThanOrEqual(7);
      expect(t.weight).toBe(1);
      expect(t.switches).toBeGreaterThanOrEqual(1);
      expect(t.cpu).toBeGreaterThanOrEqual(0);
      expect(t.cpu).toBeLessThanOrEqual(result.elapsedMs);
      expect([t.cpuExact, t.runnable, t.blocked]).toEqual([null, null, null]);    // exact accounting is off
    }
    expect([busy.group, napper.group]).toEqual([1, 0]);
    // It spun ~20 ms; ticks charge it (sampled), but in N:1 a busy machine may leave its 20 ms without a
    // tick (tests/preempt.test.ts, "CPU accounting", checks the charging). Its exact CPU is checked below.
    expect(result.groups.map((g) => [g.id, g.weight])).toEqual([[0, 1], [1, 3]]);
    expect(result.groups[1].cpu).toBeCloseTo(busy.cpu, 6); // group 1 holds only stats-busy
    // The program object reads the same tables (the run is over: nothing changes them any more).
    expect(readBack.threadStats).toEqual(stats);
    expect(readBack.rawThreadStats).toEqual(stats);
    expect(readBack.rawGroups).toEqual(result.groups);
  });

  it("with exactAccounting, each thread has exact CPU, runnable and blocked times", async () => {
    const { result } = await runHere(STATS, { exactAccounting: true });
    const { main, "stats-busy": busy } = byName(result.threadStats);
    for (const t of result.threadStats) {
      for (const v of [t.cpuExact, t.runnable, t.blocked]) {
        expect(v).not.toBeNull();
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(result.elapsedMs);
      }
    }
    // It spun until 20 ms of wall time had passed. Its exact CPU is its time switched in: at least its
    // first turn, which a time slice (10 ms) or the host's (8 ms) ends, both measured on the same clock;
    // how much of the rest it ran depends on how long others (the host, the machine) kept it out.
    expect(busy.cpuExact).toBeGreaterThan(5);
    expect(main.cpuExact).toBeLessThan(busy.cpuExact!);   // main mostly slept
  });

  it("with exactAccounting, time asleep counts as blocked, not runnable", async () => {
    const { result } = await runHere(STATS, { exactAccounting: true });
    const { main, "stats-napper": napper } = byName(result.threadStats);
    expect(napper.blocked).toBeGreaterThanOrEqual(4);     // it slept 5 ms
    expect(main.blocked).toBeGreaterThanOrEqual(35);      // it slept 40 ms
    expect(main.runnable).toBeLessThan(35);
  });
});

describe("the M:N ticker", () => {
  it("3 threads that never yield on 2 processors: main's sleep ends and the run finishes", async () => {
    const r = await runShared(await shared(SPIN), { processors: 2, timeoutMs: 20_000, exactAccounting: true, slice: 5 });
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: "exited", stdout: "joined=3\n" });
    expect(r.elapsedMs).toBeLessThan(2000);
    // The options reached the core: processor 0 configured exact accounting for every processor.
    expect(r.threadStats.map((t) => [t.name, t.cpuExact !== null])).toEqual([["main", true]]);
  });

  it("without the ticker (preempt: false) the same run never ends: the test above can fail", async () => {
    await expect(runShared(await shared(SPIN), { processors: 2, timeoutMs: 1500, preempt: false }))
      .rejects.toThrow(/did not end within 1500 ms; its processors were stopped/);
  });

  it("the ticker ends with the run, after a result and after a timeout: the process exits by itself", async () => {
    const dir = scratchDir("weft-ticker-");
    const spin = path.join(dir, "spin.wasm"), forever = path.join(dir, "forever.wasm");
    writeFileSync(spin, await shared(SPIN));
    writeFileSync(forever, await shared("spin_forever.ts"));     // main spins for ever, ticked all along
    const mn = pathToFileURL(path.join(ROOT, "dist", "host", "mn", "run.js")).href;
    const script = `
      import { runShared } from ${JSON.stringify(mn)};
      import { readFileSync } from "node:fs";
      console.log((await runShared(readFileSync(${JSON.stringify(spin)}), { processors: 2 })).status);
      await runShared(readFileSync(${JSON.stringify(forever)}), { processors: 2, tick: 0.5, timeoutMs: 300 })
        .then(() => console.log("ended"), (e) => console.log(e.message));`;
    // A ticker that outlived its run would keep the process: it would be stopped after 60 s (status null).
    const child = await runNode(["--input-type=module", "-e", script], { timeoutMs: 60_000 });
    expect({ status: child.status, stdout: child.stdout, stderr: child.stderr }).toEqual({
      status: 0, stdout: "exited\nthe run did not end within 300 ms; its processors were stopped\n", stderr: "",
    });
  });
});

describe("weft CLI: preemption flags", () => {
  // A build through the CLI loads the compiler afresh: a minute or two on a machine whose cores are all busy.
  const CLI_BUILD_TIMEOUT = 300_000;
  const cli = path.join(ROOT, "dist", "host", "cli.js");
  const weft = (...args: string[]) => runNode([cli, ...args]);
  /** A cached build of `file` (the test cache), written where the CLI can read it. */
  const built = async (file: string, sharedBuild = false) => {
    const out = path.join(scratchDir("weft-cli-preempt-"), file.replace(/\.ts$/, ".wasm"));
    writeFileSync(out, sharedBuild ? await shared(file) : await plain(file));
    return out;
  };

  it("run --stats prints one aligned line per thread, then the groups and the collector's line, to stderr", async () => {
    const r = await weft("run", "--stats", await built(STATS));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("slice=10.0\n");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^id\s+name\s+state\s+pri\s+group\s+weight\s+switches\s+cpu ms\s+exact ms\s+runnable ms\s+blocked ms$/);
    expect(lines.slice(1, 4).map((l) => l.trim().split(/\s+/).slice(0, 3))).toEqual([
      ["1", "main", "exited"], ["2", "stats-busy", "exited"], ["3", "stats-napper", "exited"],
    ]);
    // Aligned: every thread line ends its "cpu ms" column where the header does; times have one decimal.
    const cpuEnd = lines[0].indexOf("cpu ms") + "cpu ms".length;
    for (const l of lines.slice(1, 4)) expect(l.slice(0, cpuEnd)).toMatch(/ \d+\.\d$/);
    expect(lines.slice(4)).toEqual([
      expect.stringMatching(/^group 0: weight 1, cpu \d+\.\d ms$/), expect.stringMatching(/^group 1: weight 3, cpu \d+\.\d ms$/),
      expect.stringMatching(/^gc: \d+ collections, \d+ pauses \(\d+\.\d ms in all, longest \d+\.\d\d ms\), \d+\.\d MB freed; .* percentage 100$/),
    ]);
    const exact = await weft("run", "--stats", "--exact-accounting", "--slice", "5", "--tick", "0.5", await built(STATS));
    expect(exact.stdout).toBe("slice=5.0\n");
    expect(exact.stderr).toMatch(/^\s*2\s+stats-busy\s+exited(\s+\d+){4}(\s+\d+\.\d){4}$/m);   // exact columns filled
  });

  it("--slice, --tick and --stats work with --processors", async () => {
    const r = await weft("run", "--processors", "2", "--slice", "5", "--tick", "0.5", "--stats", await built(SPIN, true));
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: "joined=3\n" });
    expect(r.stderr).toMatch(/^\s*1\s+main\s+exited/m);
  });

  it("bad --slice and --tick values give one line and exit 2", async () => {
    for (const [args, message] of [
      [["--slice", "0"], "weft: --slice takes more than 0 and at most 60000 ms, got 0"],
      [["--slice", "60001"], "weft: --slice takes more than 0 and at most 60000 ms, got 60001"],
      [["--tick", "1001"], "weft: --tick takes more than 0 and at most 1000 ms, got 1001"],
      [["--tick", "fast"], 'weft: --tick needs a number of ms, got "fast"'],
      [["--slice"], "weft: --slice needs a number of ms, got nothing"],
    ] as [string[], string][]) {
      const r = await weft("run", "tests/programs/pingpong.ts", ...args);
      expect({ args, status: r.status, stderr: r.stderr.trim() }).toEqual({ args, status: 2, stderr: message });
    }
  });

  it("build --no-safepoints writes a module (without the safepoints: it differs) that runs", async () => {
    const out = path.join(scratchDir("weft-cli-"), "stats.wasm");
    const b = await weft("build", "--no-safepoints", "--no-optimize", `tests/programs/${STATS}`, "-o", out);
    expect(b.status).toBe(0);
    expect(b.stdout).toMatch(/built .*stats\.wasm/);
    const withSafepoints = await buildProgram(STATS, { optimize: false });
    expect(Buffer.compare(readFileSync(out), Buffer.from(withSafepoints))).not.toBe(0);
    const r = await weft("run", out);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: "slice=10.0\n" });
  }, CLI_BUILD_TIMEOUT);
});
