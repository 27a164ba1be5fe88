// JavaScript calling in (host/serve.ts): start keeps an instance, call runs an export as a thread,
// close ends it; what goes wrong rejects that call only, with a WeftError naming it.
import { describe, expect, it } from "vitest";
import { buildProgram } from "./harness";
import { start, WeftError } from "../host/index.js";
// The compiled host for shared builds: its processors are Workers that load dist/host/mn/processor-worker.js.
import { start as startCompiled } from "../dist/host/index.js";

const TIMEOUT = 60_000;

describe("start and call", () => {
  it("main runs first; then each call is a thread: numbers, BigInts, strings and bytes cross, many calls run at once, a call may wait for another", async () => {
    const out: string[] = [];
    const app = await start(await buildProgram("serve_app.ts"), { stdout: (line) => out.push(line) });
    try {
      expect(out).toEqual(["set up"]);
      expect(app.exports.map((e) => e.name)).toEqual(["add", "greet", "nap", "total", "reversed", "wide", "crash", "ab", "ba", "take", "put"]);
      expect(await app.call("add", 1, 2)).toBe(103);                     // main's set-up is seen
      const names = Array.from({ length: 40 }, (_, i) => `n${i}`);
      expect(await Promise.all(names.map((n) => app.call("greet", n)))).toEqual(names.map((n) => `hello, ${n}`));
      expect(await app.call("total", new Uint8Array([1, 2, 3, 250]))).toBe(256);
      // Too big for the dispatcher's record (16 KiB): copied in by a call of its own (call_fill).
      const long = "x".repeat(20_000);
      const [big, longName] = await Promise.all([app.call("total", new Uint8Array(100_000).fill(3)), app.call("greet", long), app.call("add", 0, 0)]);
      expect([big, longName]).toEqual([300_000, `hello, ${long}`]);
      expect(await app.call("reversed", new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([3, 2, 1]));
      expect([await app.call("wide", 2n ** 40n, 0.5, true), await app.call("wide", 5, 0, false)]).toEqual([2n ** 41n, -5n]);
      // A call parks its thread only: `take` waits for a later call's `put` while a sleeper runs.
      const taken = app.call("take");
      expect(await app.call("nap", 5)).toBe(5);
      await app.call("put", 42);
      expect(await taken).toBe(42);
    } finally {
      await app.close();
    }
  }, TIMEOUT);

  for (const model of ["M:N", "1:1"] as const) {
    it(`${model === "M:N" ? "on 2 processors" : "1:1"}: calls run as threads there too, and a trap or a deadlock rejects only its calls`, async () => {
      const app = await startCompiled(await buildProgram("serve_app.ts", { shared: true }), { processors: 2, model, stdout: () => {}, stderr: () => {} });
      try {
        expect(await app.call("add", 1, 2)).toBe(103);
        const names = Array.from({ length: 12 }, (_, i) => `n${i}`);
        expect(await Promise.all(names.map((n) => app.call("greet", n)))).toEqual(names.map((n) => `hello, ${n}`));
        expect(await app.call("reversed", new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([3, 2, 1]));
        expect(await app.call("wide", 2n ** 40n, 0.5, true)).toBe(2n ** 41n);
        const taken = app.call("take");
        await app.call("put", 7);
        expect(await taken).toBe(7);
        await expect(app.call("crash", 9)).rejects.toThrow(/^call\("crash"\) failed: thread \d+ "crash" died: Index out of range/);
        const both = await Promise.allSettled([app.call("ab"), app.call("ba")]);
        expect(both.map((r) => r.status === "rejected" && /died: deadlock among some threads/.test(String(r.reason?.message)))).toEqual([true, true]);
        expect(await app.call("add", 2, 2)).toBe(104);
      } finally {
        await app.close();
      }
    }, TIMEOUT);
  }

  it("a trap, a deadlock, a missing or uncallable export, wrong arguments and a call after close each reject with a WeftError, and the instance serves on", async () => {
    const app = await start(await buildProgram("serve_app.ts"), { stderr: () => {} });
    const refusal = (p: Promise<unknown>) => p.then(() => "resolved", (e: Error) => `${e instanceof WeftError ? "WeftError" : e.name}: ${e.message}`);
    expect(await refusal(app.call("crash", 5))).toMatch(/^WeftError: call\("crash"\) failed: thread \d+ "crash" died: Index out of range/);
    // Two calls that take two mutexes in opposite orders: both die with the cycle's report.
    const [ab, ba] = await Promise.all([refusal(app.call("ab")), refusal(app.call("ba"))]);
    for (const r of [ab, ba]) {
      expect(r).toMatch(/^WeftError: call\("(ab|ba)"\) failed: thread \d+ "(ab|ba)" died: deadlock among some threads:\n/);
      expect(r).toMatch(/"ab" waits for mutex at 0x[0-9a-f]+, held by thread \d+ "ba"/);
    }
    expect(await refusal(app.call("nope"))).toBe('WeftError: call("nope"): the program exports no function nope (it exports add, greet, nap, total, reversed, wide, crash, ab, ba, take, put)');
    expect(await refusal(app.call("later", 1))).toBe('WeftError: call("later"): later cannot be called from JavaScript: its parameter f has type () => void, which a call cannot carry');
    expect(await refusal(app.call("add", 1))).toBe('WeftError: call("add"): add(x: i32, y: i32) takes 2 arguments, got 1');
    expect(await refusal(app.call("greet", 5))).toBe('WeftError: call("greet"): argument 1 of greet(name: string) (name) must be a string, got number 5');
    expect(await refusal(app.call("add", 1.5, 2))).toMatch(/argument 1 of add\(x: i32, y: i32\) \(x\) must be an integer/);
    expect(await app.call("add", 1, 2)).toBe(103);                       // nothing was lost
    // close() ends the threads under way: their calls reject; later calls are refused.
    const sleeping = refusal(app.call("nap", 60_000));
    await app.call("add", 0, 0);                                         // the sleeper has started
    const result = await app.close();
    expect(result.status).toBe("exited");
    expect(await sleeping).toBe('WeftError: call("nap"): the instance was closed before it returned');
    expect(await refusal(app.call("add", 1, 2))).toBe('WeftError: call("add"): the instance is closed');
  }, TIMEOUT);

  it("a main that traps rejects start, naming it; a shared module is refused", async () => {
    await expect(start(await buildProgram("serve_main_dies.ts"), { stderr: () => {} }))
      .rejects.toThrow(/^start: main died: thread \d+ "main" died: Index out of range/);
    await expect(start(await buildProgram("serve_app.ts", { shared: true })))
      .rejects.toThrow(/a shared weft module \(built with --shared\) runs on processors/);
  }, TIMEOUT);
});
