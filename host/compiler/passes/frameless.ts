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
//   - calls an import other than `env.abort` (which traps: nothing is read after it; in a WASI build the
//     function standing in for it, which ends the program, counts the same), or calls through a table or
//     a reference; or
//   - calls a collecting function (the stack check, ~stack_check, left out: it goes with the frame).
// Every other function cannot be in the middle of a call when its thread's frames are read, so its own
// frame is never read: its pushes, pops, stores to it and stack check are removed (a store's value is
// kept, dropped, for what it does). Only the shapes asc's shadow-stack pass writes are recognised —
// `sp = sp - n`, `sp = sp + n`, a store or a fill at `sp`, the call to ~stack_check — and a function that
// uses the stack pointer any other way keeps its frame.
//
// Functions the program writes count the same way, but for their safepoints ("Frames written at
// safepoints", below).
//
// Frames written at safepoints
// ----------------------------
// A loop of the program's has a safepoint, whose slow path calls weft's core: by the rule above the loop's
// function keeps its frame, and writes it wherever asc does — in a loop over an array, the array, before
// every element's access, on every turn (matmul's innermost loop: `safepoint_overhead`, bench/HISTORY.md "Preemption").
// But a function whose only collecting call is its safepoints' slow path is read only while it is stopped
// in that call. So its frame is written there instead: every store asc writes to the frame sets a local
// of its own (one a slot), and each slow path stores those locals into the frame before its call. The
// values are the same a collection would have read — the collector moves nothing, so nothing need be read
// back — and the fast path writes nothing to memory. Such a function still *stops*: a function that
// calls it is collecting, and so is one of these that calls another (its own frame would be stale while
// the other stops). The same shapes are recognised as above, and only 4-byte i32 stores.

import binaryen from "../binaryen.js";
import { walk, replaceChild, callTarget, addLocal, type Slot } from "./walk.js";

/** The prefixes of the runtime's functions: every one counts as collecting. */
const RUNTIME = ["~lib/weft/", "~lib/rt/"];
/** The import that only traps. */
const ABORT = { module: "env", base: "abort" };

/** What the pass did: the functions whose frames went, and those whose frames are written at their
 *  safepoints. */
export interface FramelessReport { stripped: string[]; deferred: string[] }

/** The internal name of the module's `env.abort` import, if it has one. */
export function abortImport(mod: binaryen.Module): string | null {
  for (let i = 0, n = mod.getNumFunctions(); i < n; i++) {
    const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (info.module === ABORT.module && info.base === ABORT.base) return info.name;
  }
  return null;
}

/** Removes the frames of the functions of `mod` that cannot reach a collection, and writes those of the
 *  functions that reach one only through `safepoint` (the safepoints' slow path, if the build has them)
 *  there. `stackPointer`: the shadow stack's global; `stackCheck`: the function asc calls after a push;
 *  `ends`: functions that only end the program, as `env.abort` does (a WASI build's stand-in for it). */
export function stripNeedlessFrames(mod: binaryen.Module, stackPointer: string, stackCheck: string,
  { safepoint, ends = [] }: { safepoint?: string; ends?: readonly string[] } = {}): FramelessReport {
  const calls = new Map<string, Set<string>>();
  const collecting = new Set<string>();
  const stops = new Set<string>();                              // calls `safepoint`
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
      if (id === binaryen.CallId) {
        const target = callTarget(e);
        if (target === safepoint) stops.add(info.name);
        else if (target !== stackCheck && !ends.includes(target)) called.add(target);
      }
      else if (id === binaryen.CallIndirectId || id === (binaryen as unknown as { CallRefId: number }).CallRefId) collecting.add(info.name);
    });
    calls.set(info.name, called);
  }
  // Collecting spreads to callers of collecting functions and of functions that stop, until nothing changes.
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, called] of calls) {
      if (collecting.has(name)) continue;
      for (const c of called) if (collecting.has(c) || stops.has(c)) { collecting.add(name); changed = true; break; }
    }
  }
  const stripped: string[] = [], deferred: string[] = [];
  for (const [name, body] of bodies) {
    if (collecting.has(name)) continue;
    if (!stops.has(name)) { if (stripFrame(mod, body, stackPointer, stackCheck)) stripped.push(name); }
    else if (deferFrame(mod, mod.getFunction(name), body, stackPointer, safepoint!)) deferred.push(name);
  }
  return { stripped, deferred };
}

/** Whether `e` is `global.get stackPointer`. */
function isStackPointer(e: number, stackPointer: string): boolean {
  return binaryen.getExpressionId(e) === binaryen.GlobalGetId && (binaryen.getExpressionInfo(e) as binaryen.GlobalGetInfo).name === stackPointer;
}

/** A place in a function's body where the frame's shapes were found. */
type Place = { parent: number; slot: Slot; expr: number };

/** The frame of a function body, as asc's shadow-stack pass writes it: its pushes and pops, its stores, its
 *  fills and the calls `calls` names, each with its place. `foreign`: the stack pointer is used otherwise
 *  (read outside the shapes, set to anything but itself moved by a constant, or a shape at the body's
 *  root), and nothing may be changed. */
interface Frame { foreign: boolean; pushes: number; moves: Place[]; stores: Place[]; fills: Place[]; calls: Place[] }

function scanFrame(body: number, stackPointer: string, calls: string): Frame {
  const frame: Frame = { foreign: false, pushes: 0, moves: [], stores: [], fills: [], calls: [] };
  const inShape = new Set<number>();                           // the stack pointer's reads the shapes account for
  let reads = 0;
  walk(body, (e, parent, slot) => {
    const id = binaryen.getExpressionId(e);
    if (id === binaryen.GlobalGetId) { if (isStackPointer(e, stackPointer)) reads++; return; }
    let read = 0, list: Place[] | null = null;
    if (id === binaryen.GlobalSetId) {
      const info = binaryen.getExpressionInfo(e) as binaryen.GlobalSetInfo;
      if (info.name !== stackPointer) return;
      const v = binaryen.getExpressionInfo(info.value) as binaryen.BinaryInfo;
      const moves = binaryen.getExpressionId(info.value) === binaryen.BinaryId && (v.op === binaryen.SubInt32 || v.op === binaryen.AddInt32)
        && isStackPointer(v.left, stackPointer) && binaryen.getExpressionId(v.right) === binaryen.ConstId;
      if (!moves) { frame.foreign = true; return -1; }
      if (v.op === binaryen.SubInt32) frame.pushes++;
      read = v.left; list = frame.moves;
    } else if (id === binaryen.StoreId) {
      read = (binaryen.getExpressionInfo(e) as binaryen.StoreInfo).ptr; list = frame.stores;
    } else if (id === binaryen.MemoryFillId) {
      read = (binaryen.getExpressionInfo(e) as binaryen.MemoryFillInfo).dest; list = frame.fills;
    } else if (id === binaryen.CallId && callTarget(e) === calls) {
      list = frame.calls;
    }
    if (!list || (read && !isStackPointer(read, stackPointer))) return;
    if (!parent) { frame.foreign = true; return -1; }
    if (read) inShape.add(read);
    list.push({ parent, slot: slot!, expr: e });
  });
  if (reads !== inShape.size) frame.foreign = true;
  return frame;
}

/** Removes the frame from the function body `body`, if it has one and uses the stack pointer only in the
 *  frame's shapes; true if it did. */
function stripFrame(mod: binaryen.Module, body: number, stackPointer: string, stackCheck: string): boolean {
  const frame = scanFrame(body, stackPointer, stackCheck);
  const constant = (x: number) => binaryen.getExpressionId(x) === binaryen.ConstId;
  const fillsConstant = frame.fills.every(({ expr }) => {
    const info = binaryen.getExpressionInfo(expr) as binaryen.MemoryFillInfo;
    return constant(info.value) && constant(info.size);
  });
  if (frame.foreign || frame.pushes === 0 || !fillsConstant) return false;
  for (const { parent, slot } of [...frame.moves, ...frame.fills, ...frame.calls]) replaceChild(parent, slot, mod.nop());
  for (const { parent, slot, expr } of frame.stores) replaceChild(parent, slot, mod.drop((binaryen.getExpressionInfo(expr) as binaryen.StoreInfo).value));
  return true;
}

/** Whether `e` is a constant zero. */
function isZero(e: number): boolean {
  if (binaryen.getExpressionId(e) !== binaryen.ConstId) return false;
  const value = (binaryen.getExpressionInfo(e) as binaryen.ConstInfo).value as unknown;   // an i64 constant is a bigint
  return value === 0 || value === BigInt(0);
}

/** Moves the frame's stores of the function `func` (body `body`) to its calls to `safepoint` ("Frames
 *  written at safepoints"), if it has a frame, writes it only with 4-byte i32 stores (and clears it with
 *  zeroes) and uses the stack pointer only in the frame's shapes; true if it did. */
function deferFrame(mod: binaryen.Module, func: number, body: number, stackPointer: string, safepoint: string): boolean {
  const frame = scanFrame(body, stackPointer, safepoint);
  const stores: { place: Place; offset: number; value: number }[] = [];
  const zeroes: { place: Place; offset: number; bytes: number }[] = [];
  for (const place of frame.stores) {
    const info = binaryen.getExpressionInfo(place.expr) as binaryen.StoreInfo;
    if (info.isAtomic) return false;
    if (info.bytes === 4 && binaryen.getExpressionType(info.value) === binaryen.i32) stores.push({ place, offset: info.offset, value: info.value });
    else if (isZero(info.value)) zeroes.push({ place, offset: info.offset, bytes: info.bytes });   // the push's clearing
    else return false;
  }
  for (const place of frame.fills) {
    const info = binaryen.getExpressionInfo(place.expr) as binaryen.MemoryFillInfo;
    if (!isZero(info.value) || binaryen.getExpressionId(info.size) !== binaryen.ConstId) return false;
    zeroes.push({ place, offset: 0, bytes: (binaryen.getExpressionInfo(info.size) as binaryen.ConstInfo).value as number });
  }
  if (frame.foreign || frame.pushes !== 1 || stores.length === 0 || frame.calls.length === 0) return false;
  const locals = new Map<number, number>();                     // a frame offset → the local that holds its value
  for (const { offset } of stores) if (!locals.has(offset)) locals.set(offset, addLocal(func, binaryen.i32));
  for (const { place, offset, value } of stores) replaceChild(place.parent, place.slot, mod.local.set(locals.get(offset)!, value));
  // A fill or a wider store of zero stays (it clears the frame at the push) and clears the slots it covers.
  for (const { place, offset, bytes } of zeroes) {
    const cleared = [...locals].filter(([at]) => at >= offset && at < offset + bytes).map(([, local]) => mod.local.set(local, mod.i32.const(0)));
    if (cleared.length) replaceChild(place.parent, place.slot, mod.block(null, [place.expr, ...cleared], binaryen.none));
  }
  for (const { parent, slot, expr: call } of frame.calls) {
    const writes = [...locals].map(([offset, local]) => mod.i32.store(offset, 4, mod.global.get(stackPointer, binaryen.i32), mod.local.get(local, binaryen.i32)));
    replaceChild(parent, slot, mod.block(null, [...writes, call], binaryen.getExpressionType(call)));
  }
  return true;
}
