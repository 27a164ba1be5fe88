// Frames the collector never reads: taken out of functions that cannot reach a collection (a build
// step between the intrinsics and the first optimisation, host/compiler/pipeline.ts).
//
// Design note
// -----------
// asc compiles with a shadow stack (assembly/core/gcroots.ts, "Stacks"): a function that passes a managed
// value to a call, or keeps one across it, pushes a frame, stores the value in it, and checks the stack
// for room (~stack_check). Unoptimised, asc cannot tell which calls may collect, so the smallest
// accessor gets a frame: Uint8Array#__get stores `this` before it calls byteLength's getter. After
// inlining, that frame is all that is left of those calls, and it keeps the accessor too big to inline in
// turn: a loop over a typed array's bytes paid a push, a store, a stack check and a pop for every byte
// (and on Node 20 and 22, whose V8 does not inline Wasm calls, the call as well): README, "Frames the
// collector never reads".
//
// A frame is read only by a collection, which reaches a thread's frames only while the thread is stopped
// at a point where it may allocate, switch or meet a safepoint (all in weft's runtime and core), or at a
// call the build cannot follow. So a function is *collecting* if it
//   - is weft's (`~lib/weft/`) or AssemblyScript's runtime (`~lib/rt/`): allocation, the switch, the
//     collector, safepoints' targets; or
//   - calls an import other than `env.abort` (which traps: nothing is read after it), or calls through
//     a table or a reference; or
//   - calls a collecting function (the stack check, ~stack_check, left out: it goes with the frame).
// Every other function cannot be in the middle of a call when its thread's frames are read, so its own
// frame is never read: its pushes, pops, stores to it and stack check are removed (a store's value is
// kept, dropped, for what it does). Only the shapes asc's shadow-stack pass writes are recognised —
// `sp = sp - n`, `sp = sp + n`, a store or a fill at `sp`, the call to ~stack_check — and a function that
// uses the stack pointer any other way keeps its frame.
//
// Functions the program writes count the same way: one with a loop has a safepoint, which calls weft's
// core, so it keeps its frame.

import binaryen from "../binaryen.js";
import { walk, replaceChild, callTarget, type Slot } from "./walk.js";

/** The prefixes of the runtime's functions: every one counts as collecting. */
const RUNTIME = ["~lib/weft/", "~lib/rt/"];
/** The import that only traps. */
const ABORT = { module: "env", base: "abort" };

/** What the pass did: the functions whose frames went. */
export interface FramelessReport { stripped: string[] }

/** Removes the frames of the functions of `mod` that cannot reach a collection. `stackPointer`: the
 *  shadow stack's global; `stackCheck`: the function asc calls after a push. */
export function stripNeedlessFrames(mod: binaryen.Module, stackPointer: string, stackCheck: string): FramelessReport {
  const calls = new Map<string, Set<string>>();
  const collecting = new Set<string>();
  const bodies = new Map<string, number>();
  for (let i = 0, n = mod.getNumFunctions(); i < n; i++) {
    const func = mod.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(func);
    if (!info.body) {                                          // an import
      if (info.module !== ABORT.module || info.base !== ABORT.base) collecting.add(info.name);
      continue;
    }
    bodies.set(info.name, info.body);
    if (RUNTIME.some((p) => info.name.startsWith(p))) collecting.add(info.name);
    const called = new Set<string>();
    walk(info.body, (e) => {
      const id = binaryen.getExpressionId(e);
      if (id === binaryen.CallId) { const target = callTarget(e); if (target !== stackCheck) called.add(target); }
      else if (id === binaryen.CallIndirectId || id === (binaryen as unknown as { CallRefId: number }).CallRefId) collecting.add(info.name);
    });
    calls.set(info.name, called);
  }
  // Collecting spreads to callers, until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, called] of calls) {
      if (collecting.has(name)) continue;
      for (const c of called) if (collecting.has(c)) { collecting.add(name); changed = true; break; }
    }
  }
  const stripped: string[] = [];
  for (const [name, body] of bodies) {
    if (!collecting.has(name) && stripFrame(mod, body, stackPointer, stackCheck)) stripped.push(name);
  }
  return { stripped };
}

/** Whether `e` is `global.get stackPointer`. */
function isStackPointer(e: number, stackPointer: string): boolean {
  return binaryen.getExpressionId(e) === binaryen.GlobalGetId && (binaryen.getExpressionInfo(e) as binaryen.GlobalGetInfo).name === stackPointer;
}

/** Removes the frame from the function body `body`, if it has one and uses the stack pointer only in the
 *  frame's shapes; true if it did. */
function stripFrame(mod: binaryen.Module, body: number, stackPointer: string, stackCheck: string): boolean {
  const edits: { parent: number; slot: Slot; make: () => number }[] = [];
  const inShape = new Set<number>();                           // the stack pointer's reads the shapes account for
  let reads = 0, pushes = 0, foreign = false;
  walk(body, (e, parent, slot) => {
    const id = binaryen.getExpressionId(e);
    if (id === binaryen.GlobalGetId) { if (isStackPointer(e, stackPointer)) reads++; return; }
    if (id === binaryen.GlobalSetId) {
      const info = binaryen.getExpressionInfo(e) as binaryen.GlobalSetInfo;
      if (info.name !== stackPointer) return;
      const v = binaryen.getExpressionInfo(info.value) as binaryen.BinaryInfo;
      const moves = binaryen.getExpressionId(info.value) === binaryen.BinaryId && (v.op === binaryen.SubInt32 || v.op === binaryen.AddInt32)
        && isStackPointer(v.left, stackPointer) && binaryen.getExpressionId(v.right) === binaryen.ConstId;
      if (!moves || !parent) { foreign = true; return -1; }
      if (v.op === binaryen.SubInt32) pushes++;
      inShape.add(v.left);
      edits.push({ parent, slot: slot!, make: () => mod.nop() });
      return;
    }
    if (id === binaryen.StoreId) {
      const info = binaryen.getExpressionInfo(e) as binaryen.StoreInfo;
      if (!isStackPointer(info.ptr, stackPointer)) return;
      if (!parent) { foreign = true; return -1; }
      inShape.add(info.ptr);
      edits.push({ parent, slot: slot!, make: () => mod.drop(info.value) });
      return;
    }
    if (id === binaryen.MemoryFillId) {
      const info = binaryen.getExpressionInfo(e) as binaryen.MemoryFillInfo;
      if (!isStackPointer(info.dest, stackPointer)) return;
      const constant = (x: number) => binaryen.getExpressionId(x) === binaryen.ConstId;
      if (!parent || !constant(info.value) || !constant(info.size)) { foreign = true; return -1; }
      inShape.add(info.dest);
      edits.push({ parent, slot: slot!, make: () => mod.nop() });
      return;
    }
    if (id === binaryen.CallId && callTarget(e) === stackCheck) {
      if (!parent) { foreign = true; return -1; }
      edits.push({ parent, slot: slot!, make: () => mod.nop() });
    }
  });
  if (foreign || pushes === 0 || reads !== inShape.size) return false;
  for (const edit of edits) replaceChild(edit.parent, edit.slot, edit.make());
  return true;
}
