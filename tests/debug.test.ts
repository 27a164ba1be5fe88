// Debugger hooks (host/kernel/debug.ts): a program stops whole at debugBreak() or at pause(), the hook
// sees every thread with its frames, steps one thread at a time while the others stay parked, and the
// program then goes on to the end it would have had; `weft debug` does the same from a terminal.
import { describe, expect, it } from "vitest";
import path from "node:path";
import { buildAhead, buildProgram, ROOT, runNode } from "./harness";
import { run, runShared, WeftSignals } from "../dist/host/index.js";
import type { DebugSession, DebugStop, DebugThread, SharedDebugSession, StepResult } from "../dist/host/kernel/debug.js";

const TIMEOUT = 120_000;
buildAhead([["debug_break.ts", { optimize: "quick" }], ["debug_pause.ts", { optimize: "quick" }],
  ["debug_shared.ts", { optimize: "quick", shared: true }], ["debug_pause.ts", { optimize: "quick", shared: true }]]);

const byName = (threads: DebugThread[], name: string) => threads.find((t) => t.name === name)!;
const frames = (t: DebugThread | null | undefined) => (t?.backtrace ?? []).map((f) => f.function);

describe("debugger hooks", () => {
  it("debugBreak() stops the program: every thread is seen with its frames, a step runs one thread one turn, the others stay parked", async () => {
    const wasm = await buildProgram("debug_break.ts", { optimize: "quick" });
    const stops: DebugStop[] = [];
    const seen: { before: DebugThread[]; steps: StepResult[]; after: DebugThread[] }[] = [];
    const out: string[] = [];
    const result = await run(wasm, {
      stdout: (l) => out.push(l),
      debug: {
        onStop(session: DebugSession, stop: DebugStop) {
          stops.push(stop);
          const before = session.threads();
          const a = byName(before, "a").id, main = byName(before, "main").id;
          const steps = [session.step(a), session.step(a), session.step(main)];
          seen.push({ before, steps, after: session.threads() });
        },
      },
    });
    expect({ status: result.status, exitCode: result.exitCode }).toEqual({ status: "exited", exitCode: 0 });
    expect(stops).toEqual([{ reason: "break", thread: 1 }]);
    const { before, steps, after } = seen[0];
    expect(byName(before, "main")).toMatchObject({ state: "blocked", waitingOn: "debugBreak()" });
    expect(frames(byName(before, "main"))).toEqual(["ioCall", "debugBreak", "stopHere", "main"]);
    expect(frames(byName(before, "a"))).toEqual(["countA"]);
    expect(frames(byName(before, "b"))).toEqual(["countB"]);
    // Two steps of a: a ran twice, b not at all; main, blocked in the break, cannot run.
    expect(steps.map((s) => s.ran)).toEqual([true, true, false]);
    expect(steps[1].thread?.state).toBe("runnable");
    expect(byName(after, "a").switches).toBe(byName(before, "a").switches + 2);
    expect(byName(after, "b").switches).toBe(byName(before, "b").switches);
    expect(byName(after, "main").switches).toBe(byName(before, "main").switches);
    // a counted 1 before the stop and 2 more in the steps; the program then ends as it would have.
    expect(out[0]).toBe("before a=1 b=1");
    expect(out[1]).toMatch(/^after a=[3-5] b=[1-5]$/);
    expect(Number(/a=(\d)/.exec(out[1])![1])).toBeGreaterThanOrEqual(3);
    expect(out[2]).toBe("end a=5 b=5");
  }, TIMEOUT);

  it("a step runs its thread even where the host's turn is already due (a clock that moves 2 ms a read)", async () => {
    // As on a machine busy enough to stall the loop for a millisecond: the loop owes the host a turn
    // (pending I/O: main's break; IO_POLL_MS) before it reaches the thread, and must still run it first.
    const wasm = await buildProgram("debug_break.ts", { optimize: "quick" });
    const realNow = performance.now.bind(performance);
    let skew = 0, jumping = false;
    performance.now = () => realNow() + (jumping ? (skew += 2) : skew);
    let before: DebugThread[] = [], after: DebugThread[] = [], steps: StepResult[] = [];
    try {
      const result = await run(wasm, {
        debug: {
          onStop(session: DebugSession) {
            before = session.threads();
            const a = byName(before, "a").id, b = byName(before, "b").id;
            jumping = true;
            try { steps = [session.step(a), session.step(b), session.step(a)]; } finally { jumping = false; }
            after = session.threads();
          },
        },
      });
      expect({ status: result.status, exitCode: result.exitCode }).toEqual({ status: "exited", exitCode: 0 });
    } finally {
      performance.now = realNow;
    }
    expect(steps.map((s) => s.ran)).toEqual([true, true, true]);
    expect(byName(after, "a").switches - byName(before, "a").switches).toBe(2);
    expect(byName(after, "b").switches - byName(before, "b").switches).toBe(1);
  }, TIMEOUT);

  for (const processors of [0, 2]) {
    const where = processors ? `on ${processors} processors (processor 0's turn; the spinner on either)` : "in N:1";
    it(`pause() stops a program whose thread computes: it is parked at a safepoint, with its frames (${where})`, async () => {
      const wasm = await buildProgram("debug_pause.ts", { optimize: "quick", ...(processors ? { shared: true } : {}) });
      let seen: DebugThread[] = [];
      let stepped: StepResult | null = null;
      const stops: DebugStop[] = [];
      const signals = new WeftSignals();
      let control: { pause(): void } | null = null;
      const options = {
        signals,
        // Paused once main waits in sigwait and the spinner computes; SIGTERM, once the debugger is done,
        // lets main end the run.
        stdout: (line: string) => { if (line === "spinning") control!.pause(); },
        debug: {
          onStart(c: { pause(): void }) { control = c; },
          async onStop(session: DebugSession | SharedDebugSession, stop: DebugStop) {
            stops.push(stop);
            seen = await session.threads();
            stepped = await session.step(byName(seen, "spinner").id);
            setTimeout(() => signals.raise("SIGTERM"), 0);
          },
        },
      };
      const result = processors ? await runShared(wasm, { processors, ...options }) : await run(wasm, options);
      expect({ status: result.status, stdout: result.stdout }).toEqual({ status: "exited", stdout: "spinning\nstopped\n" });
      expect(stops).toEqual([{ reason: "pause", thread: 0 }]);
      expect(byName(seen, "main")).toMatchObject({ state: "blocked" });
      expect(frames(byName(seen, "main"))).toContain("main");
      expect(byName(seen, "spinner").state).toBe("runnable");
      expect(frames(byName(seen, "spinner"))).toEqual(["crunch", "spinner"]);
      expect(stepped!.ran).toBe(true);
      expect(frames(stepped!.thread)).toEqual(["crunch", "spinner"]);
    }, TIMEOUT);
  }

  it("weft debug: threads, bt N, step N and continue from stdin", async () => {
    const r = await runNode([path.join(ROOT, "dist", "host", "cli.js"), "debug", "tests/programs/debug_break.ts"],
      { input: "threads\nbt 1\nstep 2\nstep 1\nbt 9\nbogus\nc\n", timeoutMs: 120_000 });
    expect(r.status).toBe(0);
    const out = r.stdout.split("(weft) ");
    expect(out[0]).toBe("before a=1 b=1\nstopped: thread 1 \"main\" called debugBreak()\n");
    expect(out[1]).toMatch(/^thread 1 "main": blocked on debugBreak\(\); \d+ switches\nthread 2 "a": runnable; 1 switches\nthread 3 "b": runnable; 1 switches\n$/);
    // (weft debug builds unoptimised, with source lines: each frame says where it is, and shows the
    // locals live at its call by name: main's two thread ids.)
    expect(out[2]).toMatch(/^thread 1 "main": blocked on debugBreak\(\); \d+ switches\n  ioCall .*\n(    \| .*\n)?  debugBreak .*\n(    \| .*\n)?  stopHere +debug_break\.ts:12:\d+ .*\n  main +debug_break\.ts:19:\d+ .*\n    \| ta = 2, tb = 3\n$/);
    // (Its frame's call is the switch inside yieldNow, which is @inline: that is the line shown.)
    expect(out[3]).toMatch(/^thread 2 "a": runnable; 2 switches\n  countA +weft\/assembly\/core\/scheduler\.ts:\d+:\d+ .*\n    \| i = 1\n$/);
    expect(out[4]).toBe("thread 1 cannot run: blocked on debugBreak()\n");
    expect(out[5]).toBe("no thread 9\n");
    expect(out[6]).toBe("unknown command: bogus (help lists them)\n");
    expect(out[7]).toMatch(/^after a=\d b=\d\nend a=5 b=5\n$/);
    const cli = (args: string[]) => runNode([path.join(ROOT, "dist", "host", "cli.js"), "debug", ...args]);
    expect(await cli([])).toMatchObject({ status: 2, stderr: "weft: debug needs a program: weft debug <app.ts|app.wasm>\n" });
    expect(await cli(["app.js"])).toMatchObject({ status: 2, stderr: "weft: debug takes a .ts or .wasm file, got app.js\n" });
  }, TIMEOUT);

  it("on processors: debugBreak() stops every processor; a step runs one thread one turn on the stopping processor while the others stay parked", async () => {
    const wasm = await buildProgram("debug_shared.ts", { optimize: "quick", shared: true });
    const stops: DebugStop[] = [];
    const seen: { before: DebugThread[]; steps: StepResult[]; after: DebugThread[] }[] = [];
    const result = await runShared(wasm, {
      processors: 2,
      debug: {
        async onStop(session: SharedDebugSession, stop: DebugStop) {
          stops.push(stop);
          const before = await session.threads();
          const a = byName(before, "a").id, main = byName(before, "main").id;
          const steps = [await session.step(a), await session.step(a), await session.step(main)];
          seen.push({ before, steps, after: await session.threads() });
        },
      },
    });
    expect({ status: result.status, exitCode: result.exitCode, stdout: result.stdout }).toEqual({ status: "exited", exitCode: 0, stdout: "counted both\n" });
    expect(stops).toEqual([{ reason: "break", thread: 1 }]);
    const { before, steps, after } = seen[0];
    expect(byName(before, "main")).toMatchObject({ state: "blocked", waitingOn: "debugBreak()" });
    expect(frames(byName(before, "main"))).toEqual(["ioCall", "debugBreak", "main"]);
    // Both counters are parked (on either processor's queue, or its hand-off slot, put on its queue).
    expect(byName(before, "a")).toMatchObject({ state: "runnable" });
    expect(frames(byName(before, "a"))).toEqual(["countA"]);
    expect(frames(byName(before, "b"))).toEqual(["countB"]);
    expect(steps.map((s) => s.ran)).toEqual([true, true, false]);
    expect(byName(after, "a").switches).toBe(byName(before, "a").switches + 2);
    expect(byName(after, "b").switches).toBe(byName(before, "b").switches);
    expect(byName(after, "main").switches).toBe(byName(before, "main").switches);
  }, TIMEOUT);

  it("weft debug --processors 2: the same commands on processors; runShared refuses hooks it cannot call", async () => {
    const r = await runNode([path.join(ROOT, "dist", "host", "cli.js"), "debug", "--processors", "2", "tests/programs/debug_shared.ts"],
      { input: "threads\nstep 2\nbt 2\nc\n", timeoutMs: 120_000 });
    expect(r.status).toBe(0);
    const out = r.stdout.split("(weft) ");
    expect(out[0]).toBe("stopped: thread 1 \"main\" called debugBreak()\n");
    const switches = Number(/thread 2 "a": runnable; (\d+) switches/.exec(out[1])?.[1]);
    expect(out[1]).toMatch(/^thread 1 "main": blocked on debugBreak\(\); \d+ switches\nthread 2 "a": runnable; \d+ switches\nthread 3 "b": runnable; \d+ switches\n$/);
    expect(out[2]).toMatch(new RegExp(`^thread 2 "a": runnable; ${switches + 1} switches\n  countA `));
    expect(out[3]).toMatch(new RegExp(`^thread 2 "a": runnable; ${switches + 1} switches\n  countA +weft/assembly/core/scheduler\\.ts:\\d+:\\d+ `));
    expect(out[4]).toBe("counted both\n");
    await expect(runShared(new Uint8Array(8), { model: "1:1", debug: { onStop() {} } }))
      .rejects.toThrow("the 1:1 model has no debugger: each thread is pinned to a processor of its own, which a step cannot borrow (use M:N)");
    await expect(runShared(new Uint8Array(8), { processors: 2, debug: {} as never }))
      .rejects.toThrow("debug must be an object with onStop (consoleDebugger makes one)");
  }, TIMEOUT);
});
