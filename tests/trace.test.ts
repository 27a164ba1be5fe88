// The timeline trace (assembly/core/trace.ts, host/kernel/trace.ts): RunOptions.trace and `weft run
// --trace` give a Chrome trace whose spans, instants and flows are what the program did — checked on
// tests/programs/trace_mix.ts in N:1, on 2 processors and 1:1, and on the record decoder directly.
import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT, buildAhead, buildProgram, runNode, runProgram, runSharedProgram, valuesOf } from "./harness";
import type { ChromeTrace, TraceEvent } from "../host/kernel/trace";
import { chromeTrace, placeTimes } from "../host/kernel/trace";
import type { RunResult } from "../host/kernel/runner";
import { scratchDir } from "./scratch";

const TIMEOUT = 120_000;
buildAhead([["trace_mix.ts", {}], ["trace_mix.ts", { shared: true }]]);

const THREADS = 2, PROCESSORS = 1;            // the trace's two processes (host/kernel/trace.ts)
const NAMES = ["pinger", "ponger", "holder", "waiter", "reader", "churn", "spinner1", "spinner2"];

/** The thread id the trace names `name`. */
function idOf(trace: ChromeTrace, name: string): number {
  const meta = trace.traceEvents.find((e) => e.ph === "M" && e.pid === THREADS && e.name === "thread_name" &&
    (e.args?.name as string).endsWith(`"${name}"`));
  expect(meta, `a track named ${name}`).toBeDefined();
  return meta!.tid;
}
const on = (trace: ChromeTrace, tid: number) => trace.traceEvents.filter((e) => e.pid === THREADS && e.tid === tid);
const spans = (events: TraceEvent[], name: string | RegExp) =>
  events.filter((e) => e.ph === "X" && (typeof name === "string" ? e.name === name : name.test(e.name)));

/** What every traced run of trace_mix.ts shows, whatever the model (1:1: no preemption, as every
 *  spinner has a processor of its own and nobody waits for it). */
function checkMix(result: RunResult, model: "N:1" | "M:N" | "1:1" = "N:1"): void {
  const oneToOne = model === "1:1";
  expect({ status: result.status, values: valuesOf(result).get("values") }).toEqual({ status: "exited", values: "0,190,0,0,0,0,0,0" });
  const trace = JSON.parse(JSON.stringify(result.trace)) as ChromeTrace;      // what a file holds
  expect(trace.displayTimeUnit).toBe("ms");
  expect(trace.otherData.weft.dropped).toBe(0);
  const ids = new Map(NAMES.map((n) => [n, idOf(trace, n)]));
  const main = idOf(trace, "main");
  // Every event is well formed: times are numbers from 0 on, spans last 0 or more.
  for (const e of trace.traceEvents) {
    expect(Number.isFinite(e.ts) && e.ts >= 0, JSON.stringify(e)).toBe(true);
    if (e.ph === "X") expect(e.dur! >= 0, JSON.stringify(e)).toBe(true);
  }
  // main spawned each of the eight (an instant on its track), and each ran and ended.
  const mainEvents = on(trace, main);
  for (const [name, id] of ids) {
    expect(mainEvents.some((e) => e.ph === "i" && e.name === `spawn thread ${id} "${name}"`), `spawn of ${name}`).toBe(true);
    const mine = on(trace, id);
    expect(spans(mine, /^running on \d+$/).length, `${name} ran`).toBeGreaterThan(0);
    expect(mine.some((e) => e.ph === "i" && e.name === "exited"), `${name} exited`).toBe(true);
  }
  // The channel: each of 20 sends waits for the receiver or the receiver for it.
  const pinger = on(trace, ids.get("pinger")!), ponger = on(trace, ids.get("ponger")!);
  expect(spans(pinger, "blocked: channel send").length + spans(ponger, "blocked: channel receive").length).toBeGreaterThan(0);
  // The mutex: the waiter waits for the holder (which holds it until it sees the waiter blocked); main
  // waits in join. On processors the holder, on another processor, may see the waiter blocked and wake it
  // before the waiter's own processor has recorded the stop, which then reads as a yield (assembly/core/
  // trace.ts, stopReason; README, "A timeline of the threads"). The waiter yields nowhere else (the
  // mutex sleeps, it never yields), so there a stop read as a yield stands for that wait. Seen once in a
  // quiet CI run, 1:1.
  const waiter = on(trace, ids.get("waiter")!);
  const stoppedAs = (why: string) => spans(waiter, /^running on \d+$/).filter((e) => e.args?.stopped === why).length;
  if (model === "N:1") expect(spans(waiter, "blocked: mutex").length).toBeGreaterThan(0);
  else expect(spans(waiter, "blocked: mutex").length + stoppedAs("yielded")).toBeGreaterThan(0);
  expect(spans(on(trace, ids.get("holder")!), "sleeping").length).toBeGreaterThan(0);
  expect(spans(mainEvents, "blocked: join").length).toBeGreaterThan(0);
  // I/O: the reader's call is an instant and its wait is named by the operation.
  const reader = on(trace, ids.get("reader")!);
  expect(reader.some((e) => e.ph === "i" && e.name === "io: delay")).toBe(true);
  expect(spans(reader, "io: delay").length).toBe(1);
  // The collector's pause (churn calls gc()) is on a processor's track.
  expect(trace.traceEvents.some((e) => e.pid === PROCESSORS && e.ph === "X" && e.name === "collector pause")).toBe(true);
  // The spinners run 30 ms each without yielding, with a 1 ms slice and each other waiting: preempted.
  const preempted = [...on(trace, ids.get("spinner1")!), ...on(trace, ids.get("spinner2")!)].filter((e) => e.name === "preempted");
  if (!oneToOne) expect(preempted.length).toBeGreaterThan(0);
  // Wake-ups are arrows: every end has its start, and the waiter's wake comes from the holder's track.
  const starts = new Map(trace.traceEvents.filter((e) => e.ph === "s").map((e) => [e.id, e]));
  const ends = trace.traceEvents.filter((e) => e.ph === "f");
  expect(ends.length).toBeGreaterThan(20);
  for (const f of ends) expect(starts.has(f.id), `flow ${f.id} has a start`).toBe(true);
  const toWaiter = ends.filter((f) => f.tid === ids.get("waiter") && f.pid === THREADS).map((f) => starts.get(f.id)!);
  // Not asked in 1:1: there each thread has a processor, so the wake (the holder's records) and the run
  // it leads to (the waiter's) are placed in time by two processors' clock readings, and under load the
  // wake can land after the waiter's last run, which then has no arrow (README, "A timeline of the
  // threads": an arrow points at the next run after the wake). Seen in 2 runs of 12 with both cores busy.
  if (!oneToOne) expect(toWaiter.some((s) => s.pid === THREADS && s.tid === ids.get("holder"))).toBe(true);
  // Run spans on the processors' tracks are named by the thread.
  expect(trace.traceEvents.some((e) => e.pid === PROCESSORS && e.ph === "X" && e.name === `thread ${ids.get("pinger")} "pinger"`)).toBe(true);
}

describe("the timeline trace", () => {
  it("N:1: spans, instants and flows for what the program did", async () => {
    const result = await runProgram("trace_mix.ts", { trace: true });
    checkMix(result);
    expect(result.trace!.otherData.weft.processors).toBe(1);
  }, TIMEOUT);

  for (const model of ["M:N", "1:1"] as const) {
    it(`${model === "M:N" ? "on 2 processors" : "1:1"}: the same, each processor's records on its own track`, async () => {
      const result = await runSharedProgram("trace_mix.ts", 2, 60_000, model, {}, { trace: true });
      checkMix(result, model);
      const processors = new Set(result.trace!.traceEvents.filter((e) => e.pid === PROCESSORS && e.ph === "X").map((e) => e.tid));
      expect(processors.size).toBe(result.trace!.otherData.weft.processors);
      if (model === "1:1") expect(processors.size).toBeGreaterThan(1);       // a processor per thread
    }, TIMEOUT);
  }

  it("is absent unless asked for, and a run that traces prints what it prints without", async () => {
    const plain = await runProgram("trace_mix.ts");
    expect(plain.trace).toBeUndefined();
    expect(plain.stdout).toBe((await runProgram("trace_mix.ts", { trace: true })).stdout);
  }, TIMEOUT);

  it("weft run --trace writes the file; --trace without a file is a usage error", async () => {
    const dir = scratchDir("weft-trace-");
    const file = path.join(dir, "out.json");
    const wasm = path.join(dir, "mix.wasm");
    writeFileSync(wasm, await buildProgram("trace_mix.ts"));
    const cli = path.join(ROOT, "dist", "host", "cli.js");
    const r = await runNode([cli, "run", "--trace", file, wasm]);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: "values=0,190,0,0,0,0,0,0\n" });
    expect(r.stderr).toMatch(new RegExp(`^weft: trace of \\d+ records written to ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\n$`));
    const trace = JSON.parse(readFileSync(file, "utf8")) as ChromeTrace;
    expect(idOf(trace, "spinner2")).toBeGreaterThan(0);
    // scripts/trace-svg.js draws it: a row per processor and thread, named, with its spans.
    const svg = await runNode([path.join(ROOT, "scripts", "trace-svg.js"), file]);
    expect(svg.status).toBe(0);
    expect(svg.stdout).toMatch(/^<svg [^>]*>/);
    for (const name of ["processor 0", ...NAMES.map((n) => `"${n}"`)]) expect(svg.stdout).toContain(name.replace(/"/g, "&quot;"));
    expect((svg.stdout.match(/<title>running on 0 /g) ?? []).length).toBeGreaterThan(NAMES.length);
    const bad = await runNode([cli, "run", wasm, "--trace"]);
    expect({ status: bad.status, stderr: bad.stderr.trim() }).toEqual({ status: 2, stderr: "weft: --trace needs a file to write the trace to" });
    // A file that cannot be written is refused before the program runs (nothing printed by it).
    const nowhere = path.join(dir, "no-such-folder", "out.json");
    const refused = await runNode([cli, "run", "--trace", nowhere, wasm]);
    expect({ status: refused.status, stdout: refused.stdout }).toEqual({ status: 2, stdout: "" });
    expect(refused.stderr).toMatch(/^weft: --trace: cannot write .*no-such-folder\/out\.json: ENOENT/);
  }, TIMEOUT);
});

describe("the records", () => {
  /** Records as the core writes them (assembly/core/trace.ts): kind, reason, processor, thread, arg or time. */
  function records(list: [kind: number, reason: number, thread: number, argOrTime: number][], processor = 0): Uint8Array {
    const bytes = new Uint8Array(list.length * 16);
    const view = new DataView(bytes.buffer);
    list.forEach(([kind, reason, thread, x], i) => {
      view.setUint8(i * 16, kind); view.setUint8(i * 16 + 1, reason); view.setUint16(i * 16 + 2, processor, true);
      view.setUint32(i * 16 + 4, thread, true);
      if (kind === 1 || kind === 6) view.setFloat64(i * 16 + 8, x, true); else view.setUint32(i * 16 + 8, x, true);
    });
    return bytes;
  }

  it("are placed evenly between two clock readings, and exactly at them", () => {
    const placed = placeTimes(records([[1, 0, 0, 10], [2, 0, 5, 0], [3, 4, 5, 0], [4, 0, 5, 0], [1, 0, 0, 14]]));
    expect(placed.map((r) => r.time)).toEqual([10, 11, 12, 13, 14]);
  });

  it("make a run span, a sleep and a wake arrow from a timer, on the right tracks", () => {
    // Thread 5 runs 10→12 ms and sleeps; the loop (waker 0) wakes it at 20; it runs 20→24 and exits.
    // (A record between two equal readings is placed at them.)
    const trace = chromeTrace([records([
      [1, 0, 0, 10], [2, 0, 5, 0], [1, 0, 0, 10], [1, 0, 0, 12], [3, 4, 5, 0], [1, 0, 0, 12],
      [1, 0, 0, 20], [4, 0, 5, 0], [2, 0, 5, 0], [1, 0, 0, 20], [1, 0, 0, 24], [3, 5, 5, 0], [1, 0, 0, 24],
    ])], new Map([[5, "sleeper"]]));
    const mine = trace.traceEvents.filter((e) => e.pid === THREADS && e.tid === 5 && e.ph === "X");
    expect(mine.map((e) => [e.name, e.ts, e.dur])).toEqual([
      ["running on 0", 0, 2000], ["sleeping", 2000, 8000], ["runnable", 10000, 0], ["running on 0", 10000, 4000],
    ]);
    const start = trace.traceEvents.find((e) => e.ph === "s")!, end = trace.traceEvents.find((e) => e.ph === "f")!;
    expect([start.pid, start.tid, start.ts, end.pid, end.tid, end.ts, end.id === start.id]).toEqual([PROCESSORS, 0, 10000, THREADS, 5, 10000, true]);
    expect(trace.traceEvents.find((e) => e.ph === "M" && e.pid === THREADS && e.tid === 5)!.args).toEqual({ name: 'thread 5 "sleeper"' });
  });
});
