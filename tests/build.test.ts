import { afterAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { BuildError } from "../host/compiler/errors.js";
import binaryen from "../host/compiler/binaryen.js";
import { callees, touchesGlobal } from "../host/compiler/passes/walk.js";
import { ROOT, buildModule as build } from "./harness";
import { scratchDir } from "./scratch";

const program = (source: string) => {
  const dir = scratchDir("weft-build-");
  const file = path.join(dir, "app.ts");
  writeFileSync(file, source);
  return file;
};

describe("build", () => {
  it("instruments every caller of the switch, and keeps code that never switches plain", async () => {
    const r = await build(path.join(ROOT, "tests", "programs", "pingpong.ts"));
    // pingpong's worker calls yieldNow, which is inlined into it (scheduler.ts): the worker itself calls the
    // switch, and so does joinInto (join calls it; the futex wait is inlined into it).
    expect(r.switchCallers).toContain("pingpong/worker");
    expect(r.switchCallers).toContain("~lib/weft/assembly/core/thread/joinInto");
    expect(r.size).toBeGreaterThan(1000);
    expect(r.size).toBeLessThan(r.sizeBeforeAsyncify * 2);
  });

  it("refuses to emit a module whose switch was inlined before Asyncify (the -O3 pitfall)", async () => {
    const err = await build(path.join(ROOT, "tests", "programs", "pingpong.ts"), { inlineBeforeAsyncify: true }).catch((e) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err.message).toMatch(/inlined .* before Asyncify; .* none was written/);
  });

  it("reports compiler errors with file:line:column", async () => {
    const file = program(`import { print } from "weft";\nexport function main(): i32 {\n  let x: i32 = "no";\n  return x;\n}\n`);
    const err = await build(file).catch((e) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err.message).toMatch(/app\.ts:3:\d+: error TS2322/);
    expect(err.message.split("\n")).toHaveLength(1);
  });

  it("says so when the entry has no main or does not exist", async () => {
    await expect(build(program(`export function start(): i32 { return 0; }\n`))).rejects.toThrow(/does not export a function main/);
    await expect(build("/nonexistent/app.ts")).rejects.toThrow(/no such file/);
  });
});

// The pipeline's checks around Asyncify (host/compiler/pipeline.ts) read the module through these walks:
// who calls the switch, and whether each caller reads Asyncify's state once instrumented.
describe("the switch checks' walks", () => {
  const mod = binaryen.parseText(`(module
    (import "env" "imported" (func $imported))
    (global $state (mut i32) (i32.const 0))
    (global $other (mut i32) (i32.const 0))
    (func $switch)
    (func $caller (if (global.get $other) (then (block (call $switch) (call $imported)))))
    (func $instrumented (call $switch) (global.set $state (i32.add (global.get $other) (i32.const 1))))
    (func $plain (drop (i32.const 1))))`);
  afterAll(() => mod.dispose());

  it("finds each function's direct callees, nested too, and leaves imports out", () => {
    const calls = callees(mod);
    expect([...calls.keys()].sort()).toEqual(["caller", "instrumented", "plain", "switch"]);
    expect([...calls.get("caller")!].sort()).toEqual(["imported", "switch"]);
    expect([...calls.get("instrumented")!]).toEqual(["switch"]);
    expect(calls.get("plain")!.size).toBe(0);
  });

  it("tells a function that reads or sets a global from one that does not", () => {
    expect(touchesGlobal(mod, "instrumented", "state")).toBe(true);     // a set, its value reading another
    expect(touchesGlobal(mod, "caller", "other")).toBe(true);           // a read in a condition
    expect(touchesGlobal(mod, "caller", "state")).toBe(false);
    expect(touchesGlobal(mod, "plain", "state")).toBe(false);
    expect(touchesGlobal(mod, "missing", "state")).toBe(false);
  });
});
