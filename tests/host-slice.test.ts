// A good guest in the host's event loop (RunOptions.hostSlice, assembly/core/scheduler.ts): while
// threads compute, an N:1 run gives the host's event loop turns, so its timers fire. The program's
// threads compute until a host function says a 5 ms setInterval has fired 10 times (tests/programs/
// host_slice.ts): they finish only if the host got turns — with the default slice they do; with
// hostSlice: Infinity the interval cannot fire until the run is over, and the threads give up. Run in a
// child process (tests/host-slice-run.mjs): its event loop is the one under test.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, buildModule, buildProgram, runNode } from "./harness";

const dir = mkdtempSync(path.join(tmpdir(), "weft-slice-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runWithSlice(slice: string) {
  const file = path.join(dir, "host_slice.wasm");
  writeFileSync(file, (await buildModule("host_slice.ts", { syncImports: ["app.stopped"] })).wasm);
  const r = await runNode([path.join(ROOT, "tests", "host-slice-run.mjs"), file, slice]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim()) as { status: string; stdout: string; error: string | null; firedDuringRun: number };
}

describe("the host's event loop while threads compute", () => {
  it("gets turns with the default host slice: the interval fires and the threads stop when it has", async () => {
    const r = await runWithSlice("default");
    expect({ status: r.status, error: r.error, stdout: r.stdout }).toEqual({ status: "exited", error: null, stdout: "threads=8 gave_up=0\n" });
    expect(r.firedDuringRun).toBeGreaterThanOrEqual(10);
  }, 300_000);

  it("gets none with hostSlice: Infinity until every thread is done (the behaviour before host slices)", async () => {
    const r = await runWithSlice("Infinity");
    expect({ status: r.status, error: r.error, stdout: r.stdout }).toEqual({ status: "exited", error: null, stdout: "threads=8 gave_up=8\n" });
    expect(r.firedDuringRun).toBeLessThan(10);
  }, 300_000);

  it("refuses a negative host slice", async () => {
    const { run } = await import("../host/kernel/runner");
    const wasm = await buildProgram("pingpong.ts");
    await expect(run(wasm, { hostSlice: -1 })).rejects.toThrow(/^hostSlice must be a number of ms from 0 \(Infinity: never\), got -1$/);
  }, 300_000);
});
