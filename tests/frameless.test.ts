// Frames the collector never reads (host/compiler/passes/frameless.ts): taken out only of functions that
// cannot reach a collection, and only in the shapes asc writes. A frame taken out of a function that can
// reach one loses an object the collector then frees (the collector's own tests, tests/gc.test.ts, run
// programs built with the pass); one left in only costs time. Checked here on small modules whose answer
// is known, then on a typed array's element access in a built program.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import binaryen from "../host/compiler/binaryen.js";
import { stripNeedlessFrames } from "../host/compiler/passes/frameless";
import { walk } from "../host/compiler/passes/walk";
import { buildProgram, ROOT, runNode, runProgram, runSharedProgram, valuesOf } from "./harness";
import { scratchDir } from "./scratch";

const SP = "sp";
const CHECK = "~stack_check";
const SAFEPOINT = "~lib/weft/assembly/core/scheduler/safepointSwitch";

/** A frame of 8 bytes around `inner`, as asc's shadow-stack pass writes it: push, check, zero, spill. */
const framed = (inner: string) => `
  (global.set $sp (i32.sub (global.get $sp) (i32.const 8)))
  (call $~stack_check)
  (i64.store (global.get $sp) (i64.const 0))
  (i32.store offset=4 (global.get $sp) (local.tee $t (local.get $a)))
  ${inner}
  (global.set $sp (i32.add (global.get $sp) (i32.const 8)))`;

/** A frame store outside a safepoint's slow path: a 4-byte store at $sp whose block does not call it. */
function storesOutsideSlowPaths(body: number): number {
  let outside = 0;
  walk(body, (e, parent) => {
    if (binaryen.getExpressionId(e) !== binaryen.StoreId) return;
    const info = binaryen.getExpressionInfo(e) as binaryen.StoreInfo;
    if (info.bytes !== 4 || binaryen.getExpressionId(info.ptr) !== binaryen.GlobalGetId) return;
    const slowPath = parent !== null && binaryen.getExpressionId(parent) === binaryen.BlockId
      && (binaryen.getExpressionInfo(parent) as binaryen.BlockInfo).children.some((c) =>
        binaryen.getExpressionId(c) === binaryen.CallId && (binaryen.getExpressionInfo(c) as binaryen.CallInfo).target === SAFEPOINT);
    if (!slowPath) outside++;
  });
  return outside;
}

/** The functions of `wat` whose frames the pass took out, and those it writes at their safepoints; whether
 *  each function still uses $sp, and how many frame stores each makes outside a safepoint's slow path. */
function strip(wat: string, ends: string[] = []): { stripped: string[]; deferred: string[]; usesSp: Record<string, boolean>; eager: Record<string, number> } {
  const mod = binaryen.parseText(`(module
    (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
    (import "weft" "now" (func $now (result f64)))
    (memory 1) (global $sp (mut i32) (i32.const 1024))
    (table 1 funcref)
    (func $~stack_check)
    (func $~lib/weft/assembly/runtime/index/__new (result i32) (i32.const 0))
    (func $leaf (param $a i32) (result i32) (i32.load (local.get $a)))
    (func $wasiAbort (param i32 i32 i32 i32) (drop (call $~lib/weft/assembly/runtime/index/__new)) (unreachable))
    (func $${SAFEPOINT})
    ${wat})`);
  try {
    const { stripped, deferred } = stripNeedlessFrames(mod, SP, CHECK, { safepoint: SAFEPOINT, ends });
    const usesSp: Record<string, boolean> = {}, eager: Record<string, number> = {};
    for (let i = 0, n = mod.getNumFunctions(); i < n; i++) {
      const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
      if (!info.body) continue;
      let uses = false;
      walk(info.body, (e) => {
        const id = binaryen.getExpressionId(e);
        if ((id === binaryen.GlobalGetId || id === binaryen.GlobalSetId) && (binaryen.getExpressionInfo(e) as binaryen.GlobalGetInfo).name === SP) uses = true;
      });
      usesSp[info.name] = uses;
      eager[info.name] = storesOutsideSlowPaths(info.body);
    }
    expect(mod.validate()).toBeTruthy();
    return { stripped: stripped.sort(), deferred: deferred.sort(), usesSp, eager };
  } finally {
    mod.dispose();
  }
}

describe("frames the collector never reads", () => {
  it("goes from a function whose calls reach no collection: other such functions, abort; what the stores held is kept", () => {
    const { stripped, usesSp } = strip(`
      (func $get (param $a i32) (result i32) (local $t i32)
        ${framed(`(if (i32.eqz (local.get $a)) (then (call $abort (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)) (unreachable)))
                  (local.set $a (call $leaf (local.get $t)))`)}
        (local.get $a))
      (func $caller (param $a i32) (result i32) (local $t i32)
        ${framed(`(local.set $a (call $get (local.get $t)))`)}
        (local.get $a))`);
    expect(stripped).toEqual(["caller", "get"]);
    expect(usesSp.get).toBe(false);
    expect(usesSp.caller).toBe(false);
  });

  it("goes, in a WASI build, from a function whose only way to one is the stand-in for abort (it ends the program)", () => {
    const wat = `
      (func $get (param $a i32) (result i32) (local $t i32)
        ${framed(`(if (i32.eqz (local.get $a)) (then (call $wasiAbort (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)) (unreachable)))
                  (local.set $a (call $leaf (local.get $t)))`)}
        (local.get $a))`;
    expect(strip(wat, ["wasiAbort"]).stripped).toEqual(["get"]);
    expect(strip(wat).stripped, "not named as ending the program: it allocates").toEqual([]);
  });

  it("stays where a call may reach a collection: the runtime, an import other than abort, a call through a table, or a function that does", () => {
    const { stripped, usesSp } = strip(`
      (func $allocates (param $a i32) (result i32) (local $t i32)
        ${framed(`(local.set $a (call $~lib/weft/assembly/runtime/index/__new))`)}
        (local.get $a))
      (func $imports (param $a i32) (result i32) (local $t i32)
        ${framed(`(drop (call $now))`)}
        (local.get $a))
      (func $indirect (param $a i32) (result i32) (local $t i32)
        ${framed(`(call_indirect (param) (result) (i32.const 0))`)}
        (local.get $a))
      (func $above (param $a i32) (result i32) (local $t i32)
        ${framed(`(local.set $a (call $allocates (local.get $t)))`)}
        (local.get $a))`);
    expect(stripped).toEqual([]);
    for (const name of ["allocates", "imports", "indirect", "above"]) expect(usesSp[name], name).toBe(true);
  });

  it("stays where the stack pointer is used outside the frame's shapes, and in a function with no frame", () => {
    const { stripped } = strip(`
      (func $reads (param $a i32) (result i32) (local $t i32)
        ${framed(`(local.set $a (i32.load (global.get $sp)))`)}
        (local.get $a))
      (func $passes (param $a i32) (result i32) (local $t i32)
        ${framed(`(local.set $a (call $leaf (global.get $sp)))`)}
        (local.get $a))
      (func $plain (param $a i32) (result i32) (call $leaf (local.get $a)))`);
    expect(stripped).toEqual([]);
  });

  it("is written at the safepoints of a function they are the only way to a collection from; its callers and one calling another such write theirs", () => {
    // A loop with a safepoint (its slow path, as host/compiler/passes/safepoints.ts writes it) that keeps
    // $t in the frame over a call and stores a new value on every turn.
    const loop = `(loop $l
        (if (local.get $a) (then (call $${SAFEPOINT})))
        (local.set $a (call $leaf (local.get $t)))
        (i32.store offset=4 (global.get $sp) (local.get $a))
        (br_if $l (local.get $a)))`;
    const { stripped, deferred, usesSp, eager } = strip(`
      (func $kernel (param $a i32) (result i32) (local $t i32)
        ${framed(loop)}
        (local.get $a))
      (func $caller (param $a i32) (result i32) (local $t i32)
        ${framed(`(local.set $a (call $kernel (local.get $t)))`)}
        (local.get $a))
      (func $nested (param $a i32) (result i32) (local $t i32)
        ${framed(`${loop} (local.set $a (call $kernel (local.get $t)))`)}
        (local.get $a))`);
    expect(deferred).toEqual(["kernel"]);
    expect(stripped).toEqual([]);
    expect(usesSp.kernel, "the frame is pushed and written at the slow path").toBe(true);
    expect(eager.kernel, "kernel's stores outside its slow path").toBe(0);
    expect(eager.caller, "caller's stores").toBe(1);
    expect(eager.nested, "nested's stores: both").toBe(2);
  });

  it("a loop's frame written at its safepoints holds its array through collections while it is stopped, in N:1 and on 2 processors", async () => {
    // tests/programs/safepoint_frames.ts: each array is held only by its walker's kernel while main makes
    // garbage and collects. Seen: with the slow path's stores left out, the sums go wrong (bad > 0).
    for (const result of [await runProgram("safepoint_frames.ts"), await runSharedProgram("safepoint_frames.ts", 2)]) {
      expect(result.status, result.error ?? result.stderr).toBe("exited");
      const values = valuesOf(result);
      expect({ bad: values.get("bad"), roundsOk: values.get("rounds_ok"), collections: values.get("collections") })
        .toEqual({ bad: "0", roundsOk: "1", collections: "8" });
    }
  });

  it("a built program's typed-array access has no frame (WASI builds too), and its arrays survive collections in N:1, on 2 processors and under node:wasi", async () => {
    const wasiFile = path.join(scratchDir("weft-frameless-"), "frameless.wasm");
    for (const options of [{}, { shared: true }, { target: "wasi" as const }]) {
      const wasm = await buildProgram("frameless.ts", options);
      if (options.target) writeFileSync(wasiFile, wasm);
      const mod = binaryen.readBinary(wasm);
      try {
        const get = mod.getFunction("~lib/typedarray/Uint8Array#__get");
        expect(get, "Uint8Array#__get, called from three loops").toBeTruthy();
        let uses = false;
        walk(binaryen.getFunctionInfo(get).body, (e) => {
          if (binaryen.getExpressionId(e) === binaryen.GlobalGetId && (binaryen.getExpressionInfo(e) as binaryen.GlobalGetInfo).name === "~lib/memory/__stack_pointer") uses = true;
        });
        expect(uses, JSON.stringify(options)).toBe(false);
      } finally {
        mod.dispose();
      }
    }
    // What tests/programs/frameless.ts computes, computed here.
    const churn = (seed: number) => {
      let sum = 0;
      const kept: number[] = [];
      for (let round = 0; round < 4000; round++) {
        let s = 0;
        for (let i = 0; i < 4096; i++) s += (seed + round + i * 7) & 255;
        sum = (sum * 31 + s) & 0x7fffffff;
        if (round % 100 === 0) kept.push(s);
      }
      for (const s of kept) sum = (sum * 31 + s) & 0x7fffffff;
      return sum;
    };
    const expected = String(churn(1) + churn(2) + churn(3));
    for (const result of [await runProgram("frameless.ts"), await runSharedProgram("frameless.ts", 2)]) {
      expect(result.status, result.error ?? result.stderr).toBe("exited");
      expect(valuesOf(result).get("sum")).toBe(expected);
      expect(Number(valuesOf(result).get("collections")), "the program's allocations set off collections").toBeGreaterThan(0);
    }
    const wasi = await runNode(["--no-warnings", path.join(ROOT, "tests", "wasi-run.mjs"), wasiFile]);
    expect(wasi.status, wasi.stderr).toBe(0);
    expect(wasi.stdout).toContain(`sum=${expected}\n`);
    expect(Number(/collections=(\d+)/.exec(wasi.stdout)?.[1]), "under node:wasi").toBeGreaterThan(0);
  });
});
