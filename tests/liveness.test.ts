// The frames of rebuilt functions hold only the locals live at their site (host/compiler/passes/liveness.ts): checked on
// small functions whose answer is known, since a local left out is a wrong value after a switch, and one
// kept needlessly only costs time.
import { describe, expect, it } from "vitest";
import binaryen from "../host/compiler/binaryen.js";
import { liveAtSites } from "../host/compiler/passes/liveness";
import { walk, callTarget } from "../host/compiler/passes/walk";
import { hotPathsFirst } from "../host/compiler/passes/fuel";

/** The live sets at each call to $site in function $f of `wat`, in the order the calls appear. */
function liveAtCalls(wat: string): number[][] | null {
  const mod = binaryen.parseText(`(module (func $site) ${wat})`);
  try {
    const info = binaryen.getFunctionInfo(mod.getFunction("f"));
    const sites: number[] = [];
    walk(info.body, (e) => {
      if (binaryen.getExpressionId(e) === binaryen.CallId && callTarget(e) === "site") sites.push(e);
    });
    sites.reverse();                                       // walk visits later siblings first
    const count = binaryen.expandType(info.params).length + info.vars.length;
    const live = liveAtSites(info.body, new Set(sites), count);
    return live && sites.map((s) => live.get(s)!);
  } finally {
    mod.dispose();
  }
}

describe("liveness at the sites of a rebuilt function", () => {
  it("leaves out a temporary that is dead after the site, keeps what is read after it", () => {
    expect(liveAtCalls(`(func $f (param $a i32) (result i32) (local $t i32) (local $u i32)
      (local.set $t (i32.add (local.get $a) (i32.const 1)))
      (local.set $u (local.get $t))
      (call $site)
      (local.get $u))`)).toEqual([[2]]);
  });

  it("a local written before it is read after the site is not live", () => {
    expect(liveAtCalls(`(func $f (param $a i32) (result i32) (local $t i32)
      (call $site)
      (local.set $a (i32.const 5))
      (local.get $a))`)).toEqual([[]]);
  });

  it("in a loop, what the next turn reads is live at the site", () => {
    expect(liveAtCalls(`(func $f (param $n i32) (local $i i32) (local $dead i32)
      (local.set $dead (i32.const 9))
      (drop (local.get $dead))
      (loop $l
        (call $site)
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))`)).toEqual([[0, 1]]);
  });

  it("a branch out of a block carries what is live after the block; an if joins both arms", () => {
    expect(liveAtCalls(`(func $f (param $c i32) (param $x i32) (param $y i32) (result i32)
      (block $out
        (call $site)
        (br_if $out (local.get $c))
        (return (local.get $x)))
      (if (result i32) (local.get $c) (then (local.get $y)) (else (i32.const 0))))`)).toEqual([[0, 1, 2]]);
  });

  it("after a return nothing is live; a br_table joins its targets", () => {
    expect(liveAtCalls(`(func $f (param $k i32) (param $x i32) (param $y i32) (result i32)
      (block $b1
        (block $b0
          (call $site)
          (br_table $b0 $b1 (local.get $k)))
        (return (local.get $x)))
      (call $site)
      (return (local.get $y)))`)).toEqual([[0, 1, 2], [2]]);
  });
});

describe("the layout of rebuilt functions' checks for V8 (host/compiler/passes/fuel.ts, hotPathsFirst)", () => {
  it("writes if (x >= 0) without else as if (!(x < 0)) in ~fast and ~resume parts, and nothing else", () => {
    const mod = binaryen.parseText(`(module
      (func $f~fast (param i32) (result i32) (if (i32.ge_s (local.get 0) (i32.const 0)) (then (return (i32.const 1)))) (i32.const 0))
      (func $f~resume (param i32) (result i32) (if (i32.ge_s (local.get 0) (i32.const 0)) (then (return (i32.const 1)))) (i32.const 0))
      (func $f (param i32) (result i32) (if (i32.ge_s (local.get 0) (i32.const 0)) (then (return (i32.const 1)))) (i32.const 0))
      (func $g~fast (param i32) (result i32) (if (result i32) (i32.ge_s (local.get 0) (i32.const 0)) (then (i32.const 1)) (else (i32.const 2)))))`);
    try {
      hotPathsFirst(mod, ["f", "g"]);
      expect(mod.validate()).toBeTruthy();
      const text = mod.emitText();
      const body = (name: string) => text.slice(text.indexOf(`(func $${name} `)).split("\n (func")[0];
      for (const part of ["f~fast", "f~resume"]) {
        expect(body(part)).toContain("i32.lt_s");
        expect(body(part)).not.toContain("i32.ge_s");
      }
      expect(body("f")).toContain("i32.ge_s");                // the dispatcher is not a part: left alone
      expect(body("g~fast")).toContain("i32.ge_s");           // an if with an else: left alone
    } finally {
      mod.dispose();
    }
  });
});
