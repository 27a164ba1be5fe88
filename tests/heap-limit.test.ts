// The heap under a limit, where a run's own messages need memory too (issue 20, part 5: a run on Node 26
// once ended with a thread "trapped (no memory left for the message)", its reason lost). A thread that
// traps with the heap full must still say why it died — the host's message is a String the core cannot
// allocate then (host/kernel/traps.ts, Traps.handle and `died`) — in N:1 and on 1 and 2 processors; and the
// others go on. Deterministic: the trapping thread fills the heap itself, after main has parked.
import { describe, expect, it } from "vitest";
import { buildProgram, runProgram, valuesOf } from "./harness";
import { runShared } from "../dist/host/mn/run.js";
import type { RunResult } from "../host/kernel/runner";

const TIMEOUT = 120_000;
const LIMIT = 16 << 20;

function outcome(r: RunResult) {
  const v = valuesOf(r);
  return {
    status: r.status, exitCode: r.exitCode, error: r.error ?? null, joined: v.get("joined"), main: v.get("main"),
    died: r.stderr.split("\n").filter((line) => / died: /.test(line)),
  };
}
const EXPECTED = {
  status: "exited", exitCode: 0, error: null, joined: "0", main: "ok",
  died: [expect.stringMatching(/^thread 2 "[^"]*" died: unreachable$/)],
};

describe("a thread that traps with the heap full says why it died", () => {
  it("in N:1", async () => {
    const r = await runProgram("heap_full_trap.ts", { build: { safepoints: false }, memoryLimit: LIMIT });
    expect(outcome(r)).toEqual(EXPECTED);
    expect(r.stderr).not.toMatch(/no memory left for the message/);
  }, TIMEOUT);

  for (const processors of [1, 2]) {
    it(`on ${processors} processor(s) of a shared build`, async () => {
      const wasm = await buildProgram("heap_full_trap.ts", { shared: true, safepoints: false });
      const r = await runShared(wasm as Uint8Array<ArrayBuffer>, { processors, timeoutMs: 60_000, memoryLimit: LIMIT });
      expect(outcome(r)).toEqual(EXPECTED);
      expect(r.stderr).not.toMatch(/no memory left for the message/);
    }, TIMEOUT);
  }
});
