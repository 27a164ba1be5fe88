// Reproducible schedules (assembly/core/seed.ts, host/kernel/explore.ts): the same seed gives the same
// interleaving and output, every time; `explore` finds the check-then-act race of examples/race.ts and a
// lock-order inversion, and the seed it reports replays each exactly. Runs are in this thread: each is a
// few ms.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildAhead, buildProgram, ROOT, runNode } from "./harness";
import { run, type RunOptions, type RunResult } from "../host/kernel/runner.js";
import { explore, replayFlags } from "../host/kernel/explore.js";

const TIMEOUT = 120_000;
const RACE = path.join(ROOT, "examples", "race.ts");
buildAhead([[RACE], ["seed_mix.ts"], ["lock_order.ts"]]);

/** Everything a run shows the outside: its output and how it ended (not its wall-clock time). */
const shown = (r: RunResult) => JSON.stringify({ stdout: r.stdout, stderr: r.stderr, status: r.status, exitCode: r.exitCode, error: r.error });

async function runs(wasm: Uint8Array<ArrayBuffer>, options: RunOptions, times: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < times; i++) out.push(shown(await run(wasm, options)));
  return out;
}

describe("reproducible schedules", () => {
  it("the same seed gives byte-identical output 20 times (compute, ticks, sleeps, mutex, channel), and seeds differ", async () => {
    const wasm = await buildProgram("seed_mix.ts");
    for (const options of [{ seed: 5 }, { seed: 2n ** 64n - 1n }, { seed: 9, pct: 3, pctSteps: 50 }]) {
      const outputs = await runs(wasm, options, 20);
      expect(new Set(outputs).size, JSON.stringify(String(options.seed))).toBe(1);
      expect(JSON.parse(outputs[0])).toMatchObject({ status: "exited", exitCode: 0 });
    }
    const logs = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) logs.add(/log=(\d+)/.exec((await run(wasm, { seed })).stdout)![1]);
    expect(logs.size).toBeGreaterThan(1);           // the seed decides the interleaving
  }, TIMEOUT);

  it("explore finds the race of examples/race.ts within 1,000 runs, and its seed replays it exactly 20 times", async () => {
    const wasm = await buildProgram(RACE);
    const found = await explore(wasm, { runs: 1000 });
    expect(found.failed).not.toBeNull();
    const failed = found.failed!;
    expect(failed.failure).toMatch(/oversold/);
    expect(failed.result.stdout).toMatch(/sold 3 of 2 seats/);
    const replays = await runs(wasm, { ...failed.schedule, deadlock: "abort" }, 20);
    expect(new Set(replays).size).toBe(1);
    expect(replays[0]).toBe(shown(failed.result));
  }, TIMEOUT);

  it("explore finds the lock-order inversion and reports it as a deadlock; the seed replays it", async () => {
    const wasm = await buildProgram("lock_order.ts");
    const found = await explore(wasm, { runs: 1000 });
    const failed = found.failed!;
    expect(failed.result.status).toBe("deadlock");
    expect(failed.result.error).toMatch(/^deadlock among some threads:\n  thread \d+ "(ab|ba)" waits for mutex at 0x[0-9a-f]+, held by thread \d+ "(ab|ba)"/);
    expect(replayFlags(failed)).toContain("--deadlock=abort");
    const replay = await run(wasm, { ...failed.schedule, deadlock: "abort" });
    expect(shown(replay)).toBe(shown(failed.result));
  }, TIMEOUT);

  it("weft explore prints the seed and a command that replays the failure", async () => {
    const cli = path.join(ROOT, "dist", "host", "cli.js");
    const found = await runNode([cli, "explore", "examples/race.ts", "--runs", "1000"]);
    expect(found.status, found.stderr).toBe(1);
    const command = /^replay it with:\n  weft (run examples\/race\.ts --seed \d+.*)$/m.exec(found.stdout);
    expect(found.stdout).toMatch(/^weft explore: run \d+ failed \(seed \d+, (random walk|PCT depth 3, \d+ steps);/);
    expect(command, found.stdout).not.toBeNull();
    const replay = await runNode([cli, ...command![1].split(" ")]);
    expect({ status: replay.status, stdout: replay.stdout }).toMatchObject({ status: 1, stdout: expect.stringMatching(/sold 3 of 2 seats\n$/) });
    expect(replay.stderr).toMatch(/main died: .*oversold/);
    // On processors: the same schedule, on one processor, and a note that says so.
    const onTwo = await runNode([cli, ...command![1].split(" "), "--processors", "2"]);
    expect({ status: onTwo.status, stdout: onTwo.stdout }).toEqual({ status: replay.status, stdout: replay.stdout });
    expect(onTwo.stderr).toMatch(/^weft: --seed runs the program on one processor \(N:1\)/);
  }, 300_000);                                      // the CLI builds the example if the build cache lacks it

  it("refuses what it cannot seed", async () => {
    const wasm = await buildProgram("seed_mix.ts");
    const refused = async (options: RunOptions) => run(wasm, options).then(() => "ran", (e: Error) => e.message);
    expect(await refused({ seed: -1 })).toMatch(/^seed must be an integer from 0 to 2\^64 - 1/);
    expect(await refused({ seed: 1, pct: 17 })).toMatch(/^pct must be a depth from 1 to 16/);
    expect(await refused({ pct: 2 })).toBe("pct and pctSteps need a seed");
  }, TIMEOUT);
});
