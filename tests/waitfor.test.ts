// Partial deadlocks (assembly/core/waitfor.ts): a cycle of waits among some threads — two mutexes locked
// in opposite orders, two threads joining each other — is reported as it forms while the other threads
// finish, in N:1 and on processors; with deadlock: "abort" the run ends with the report.
import { describe, expect, it } from "vitest";
import { buildAhead, runProgram, runSharedProgram, valuesOf } from "./harness";

const TIMEOUT = 120_000;
buildAhead([["partial_deadlock.ts", {}], ["partial_deadlock.ts", { shared: true }], ["partial_deadlock_rw.ts", {}],
  ["partial_deadlock_rw.ts", { shared: true }]]);

// Each report's lines (on processors, two reports printed at once may interleave line by line).
const REPORT_LINES = [
  /^  thread \d+ "ab" waits for mutex at 0x[0-9a-f]+, held by thread \d+ "ba"( \(this wait closed the cycle\))?$/,
  /^  thread \d+ "ba" waits for mutex at 0x[0-9a-f]+, held by thread \d+ "ab"( \(this wait closed the cycle\))?$/,
  /^  thread \d+ "joiner0" waits for thread \d+ "joiner1" to end \(join\)( \(this wait closed the cycle\))?$/,
  /^  thread \d+ "joiner1" waits for thread \d+ "joiner0" to end \(join\)( \(this wait closed the cycle\))?$/,
];

// A backtrace's line (host/kernel/backtrace.ts): each thread of a report is followed by its frames.
const FRAME = /^    (\S+) .*wasm-function\[\d+\]:0x[0-9a-f]+$/;

/** The report's lines without frames, and the entry function (the outermost frame) under each thread's line. */
function report(stderr: string): { lines: string[]; entries: Map<string, string> } {
  const all = stderr.trimEnd().split("\n");
  const entries = new Map<string, string>();
  let thread = "";
  for (const line of all) {
    const head = /^  thread \d+ "([^"]+)"/.exec(line);
    if (head) { thread = head[1]; continue; }
    const frame = FRAME.exec(line);
    if (frame && thread) entries.set(thread, frame[1]);
  }
  return { lines: all.filter((l) => !FRAME.test(l)), entries };
}

describe("partial deadlocks", () => {
  for (const processors of [0, 2]) {
    const where = processors ? `on ${processors} processors` : "in N:1";
    const go = (deadlock?: "abort") => processors
      ? runSharedProgram("partial_deadlock.ts", processors, 60_000, "M:N", {}, deadlock ? { deadlock } : {})
      : runProgram("partial_deadlock.ts", deadlock ? { deadlock } : {});

    it(`are reported once each while the 6 other threads finish (${where})`, async () => {
      const result = await go();
      expect({ status: result.status, exitCode: result.exitCode, finished: valuesOf(result).get("others_finished") })
        .toEqual({ status: "exited", exitCode: 0, finished: "6" });
      const { lines, entries } = report(result.stderr);
      expect(REPORT_LINES.map((line) => lines.filter((l) => line.test(l)).length)).toEqual([1, 1, 1, 1]);
      expect(lines.filter((l) => l === "weft: deadlock among some threads:").length).toBe(2);
      expect(lines.filter((l) => l === "  (the other threads go on)").length).toBe(2);
      expect(lines.length).toBe(8);
      expect(lines.filter((l) => / \(this wait closed the cycle\)$/.test(l)).length).toBe(2);
      // Each thread of a cycle with its frames, down to its entry (on processors, taken with the world
      // stopped for a moment, as for a dump).
      expect(Object.fromEntries(entries)).toEqual({ ab: "ab", ba: "ba", joiner0: "joinOther", joiner1: "joinOther" });
    }, TIMEOUT);

    it(`end the run with deadlock: "abort" (${where})`, async () => {
      const result = await go("abort");
      expect(result.status).toBe("deadlock");
      expect(result.error).toMatch(/^deadlock among some threads:\n  thread \d+ "(ab|ba|joiner0|joiner1)"/);
      expect(valuesOf(result).get("others_finished")).toBeUndefined();
    }, TIMEOUT);
  }

  for (const processors of [0, 2]) {
    const where = processors ? `on ${processors} processors` : "in N:1";
    it(`through an RwLock's writer: a reader and a writer waiting for it are edges to it (${where})`, async () => {
      const result = processors ? await runSharedProgram("partial_deadlock_rw.ts", processors) : await runProgram("partial_deadlock_rw.ts");
      expect({ status: result.status, exitCode: result.exitCode, finished: valuesOf(result).get("others_finished") })
        .toEqual({ status: "exited", exitCode: 0, finished: "6" });
      const { lines, entries } = report(result.stderr);
      expect(Object.fromEntries(entries)).toEqual({ writer: "writer", reader: "reader", w1: "w1", w2: "w2" });
      const closed = "( \\(this wait closed the cycle\\))?$";
      const expected = [
        `^  thread \\d+ "reader" waits for rwlock at 0x[0-9a-f]+ to read, write-locked by thread \\d+ "writer"${closed}`,
        `^  thread \\d+ "writer" waits for mutex at 0x[0-9a-f]+, held by thread \\d+ "reader"${closed}`,
        `^  thread \\d+ "w2" waits for rwlock at 0x[0-9a-f]+ to write, write-locked by thread \\d+ "w1"${closed}`,
        `^  thread \\d+ "w1" waits for mutex at 0x[0-9a-f]+, held by thread \\d+ "w2"${closed}`,
      ].map((r) => new RegExp(r));
      expect(expected.map((line) => lines.filter((l) => line.test(l)).length)).toEqual([1, 1, 1, 1]);
      expect(lines.filter((l) => l === "weft: deadlock among some threads:").length).toBe(2);
      expect(lines.length).toBe(8);
    }, TIMEOUT);
  }

  it("refuses a policy it does not know", async () => {
    const result = await runProgram("partial_deadlock.ts", { deadlock: "ignore" as "abort" });
    expect({ status: result.status, error: result.error }).toEqual({ status: "error", error: 'deadlock must be "report" or "abort", got "ignore"' });
  }, TIMEOUT);
});
