// Safepoints: the build step that lets a timer take the processor from a thread that never yields.
//
// Design note
// -----------
// A thread can run for ever only by going round a loop or by calling itself (directly, through other
// functions, or through the table). So the pass puts a check at the head of every loop of the program's
// own functions, and at the entry of every function that is in a cycle of the call graph (indirect calls
// count as calls to every function in the table, but for those of weft's functions the build names as
// calling only weft through a pointer: the collector's, host/compiler/build.ts NEVER_SWITCH). A function
// that neither loops nor recurses ends after a bounded amount of work, and gets nothing.
//
// The check is a few instructions and a branch that is almost never taken (`check` and `loopCheck` below):
// a loop counts a local down (a register) and makes the real check once in STRIP + 1 turns. The real
// check has two forms: N:1 spends fuel from a per-processor global (a clock check every K safepoints:
// nobody else can touch a module's memory while it runs), shared builds load a word a ticker raises at a
// fixed address (assembly/core/preempt.ts, "Ticks"). The taken branch calls weft's safepoint switch; the pass
// runs before Asyncify, so every function that now can switch is instrumented, and then rebuilt by weft
// (host/compiler/passes/resumable.ts), which turns that call into a branch out of the loop and gives N:1's fuel to the
// rebuilt code in registers. Short counted loops run in a copy without the check ("Counted loops").
//
// weft's own code (~lib/weft/…), AssemblyScript's standard library (~lib/…) and the generated entry get no
// checks: the scheduler, locks and allocator must never be preempted, and a library loop is bounded by
// its arguments. The program's functions are the ones whose names do not start with "~", but for the
// visitors the compiler writes for the program's classes (`Class~visit`): the collector calls them with
// every processor stopped, and a thread must never switch in the middle of a collection.
//
// Approaches rejected: Binaryen's log-execution pass puts a call at every function entry, loop and return
// (every function would be instrumented by Asyncify, ~2× slower calls); checks at every function entry
// (same cost for recursion-free code, which needs none); a check per basic block (no loop is shorter than
// one back-edge).

import binaryen from "../binaryen.js";
import { walk, addLocal, functionBody, loopBody, callTarget, replaceChild, freshLabels } from "./walk.js";

export type SafepointForm = "fuel" | "flag";

/** The names the pass reads and calls; they live in assembly/core/preempt.ts. */
export const FUEL_GLOBAL = "~lib/weft/assembly/core/preempt/fuel";
export const FLAG_GLOBAL = "~lib/weft/assembly/core/preempt/flagAddress";
export const TICKS_GLOBAL = "~lib/weft/assembly/core/preempt/TICKS";

export interface SafepointReport {
  /** Loop heads and function entries that got a check. */
  loops: number;
  /** Of those loops, the counted ones that also got a copy without a check (see "Counted loops"). */
  counted: number;
  entries: number;
  /** The functions that got at least one check. */
  functions: string[];
}

/** Whether the pass may put checks into function `name`: the program's own code only. */
export function isProgramFunction(name: string): boolean {
  return !name.startsWith("~") && !name.startsWith("__weft_entry__") && !name.startsWith("start:") && !name.endsWith("~visit");
}

/** Back-edges a loop goes round between two real checks: the loop counts down a local (a register), and
 *  only every STRIP + 1 turns reads the flag or spends fuel. Keeps the check off the loop's critical path. */
export const STRIP: number = 127;

/** Inserts the checks. `form` picks the check (see the design note); `target` is the function they call;
 *  `weftOnly`: functions whose indirect calls reach only weft's own code (see the design note). */
export function insertSafepoints(mod: binaryen.Module, form: SafepointForm, target: string, weftOnly: ReadonlySet<string> = new Set()): SafepointReport {
  const report: SafepointReport = { loops: 0, entries: 0, counted: 0, functions: [] };
  const names: string[] = [];
  for (let i = 0, n = mod.getNumFunctions(); i < n; i++) names.push(binaryen.getFunctionInfo(mod.getFunctionByIndex(i)).name);
  const program = names.filter((n) => {
    const info = binaryen.getFunctionInfo(mod.getFunction(n));
    return isProgramFunction(n) && info.body !== 0 && !info.module;
  });
  if (program.length === 0) return report;
  const recursive = recursiveFunctions(mod, names, weftOnly);
  for (const name of program) {
    const func = mod.getFunction(name);
    const body = functionBody.get(func);
    let strip = -1, temp = -1, loops = 0;
    const locals = () => {
      if (strip < 0) strip = addLocal(func, binaryen.i32);
      if (temp < 0 && form === "fuel") temp = addLocal(func, binaryen.i32);
    };
    walk(body, (expr, parent, slot) => {
      if (binaryen.getExpressionId(expr) !== binaryen.LoopId) return;
      locals();
      const counted = slot ? countedLoop(expr) : null;
      const copy = counted ? mod.copyExpression(expr) : 0;
      const inner = loopBody.get(expr);
      loopBody.set(expr, mod.block(null, [loopCheck(mod, form, target, strip, temp), inner], binaryen.getExpressionType(inner)));
      loops++;
      if (!counted || !slot) return;
      // A short counted loop runs without its check (see "Counted loops").
      report.counted++;
      freshLabels(copy);
      const trip = () => mod.i32.sub(mod.copyExpression(counted.bound), mod.local.get(counted.counter, binaryen.i32));
      const before = form === "fuel"
        ? mod.block(null, [
          mod.global.set(FUEL_GLOBAL, mod.local.tee(temp, mod.i32.sub(mod.global.get(FUEL_GLOBAL, binaryen.i32),
            mod.i32.add(mod.i32.shr_u(trip(), mod.i32.const(7)), mod.i32.const(1))), binaryen.i32)),
          mod.if(mod.i32.lt_s(mod.local.get(temp, binaryen.i32), mod.i32.const(0)), mod.call(target, [], binaryen.none)),
        ], binaryen.none)
        : check(mod, form, target, temp);
      replaceChild(parent, slot, mod.if(mod.i32.le_u(trip(), mod.i32.const(COUNTED_MAX)),
        mod.block(null, [before, copy], binaryen.none), expr));
      return -1;
    });
    let entry = false;
    if (recursive.has(name)) {
      locals();
      functionBody.set(func, mod.block(null, [check(mod, form, target, temp), body], binaryen.getExpressionType(body)));
      entry = true;
    }
    if (loops || entry) report.functions.push(name);
    report.loops += loops;
    report.entries += entry ? 1 : 0;
  }
  return report;
}

/** A loop's check: count the local `strip` down; when it passes zero, reset it and make the real check. */
function loopCheck(mod: binaryen.Module, form: SafepointForm, target: string, strip: number, temp: number): binaryen.ExpressionRef {
  const i32 = binaryen.i32;
  return mod.if(
    mod.i32.lt_s(mod.local.tee(strip, mod.i32.sub(mod.local.get(strip, i32), mod.i32.const(1)), i32), mod.i32.const(0)),
    mod.block(null, [mod.local.set(strip, mod.i32.const(STRIP)), check(mod, form, target, temp)], binaryen.none));
}

/** The real check. fuel: spend one unit (`temp` holds what is left) and take the slow path when none is.
 *  flag: take it when the count of raised request words is not zero and this processor's word is
 *  raised. */
function check(mod: binaryen.Module, form: SafepointForm, target: string, temp: number): binaryen.ExpressionRef {
  const i32 = binaryen.i32;
  // (No test of "inside a thread" here: the optimiser would merge it into the test above as a select, a
  // global read at every check. Fuel and the tick words are such that no tick comes outside a thread:
  // assembly/core/preempt.ts, "Outside threads".)
  const slow = mod.call(target, [], binaryen.none);
  if (form === "fuel") {
    return mod.block(null, [
      mod.global.set(FUEL_GLOBAL, mod.local.tee(temp, mod.i32.sub(mod.global.get(FUEL_GLOBAL, i32), mod.i32.const(1)), i32)),
      mod.if(mod.i32.lt_s(mod.local.get(temp, i32), mod.i32.const(0)), slow),
    ], binaryen.none);
  }
  return mod.if(mod.i32.load(0, 4, mod.global.get(TICKS_GLOBAL, i32)),
    mod.if(mod.i32.load(0, 4, mod.global.get(FLAG_GLOBAL, i32)), slow));
}

// Counted loops. A check costs a few instructions a turn, which is a quarter of a matrix product's
// innermost loop. So an innermost loop of the form `for (k = ..; k < n; k++)` — one back-edge, after the
// increment of a counter nothing else sets, against a bound that does not change in the loop — is built
// twice: when it will turn at most COUNTED_MAX times, a copy with no check runs, after one check before
// it that spends the fuel of all its turns at once (one unit per STRIP + 1 turns, as the loop's own
// check would); otherwise the loop with its check. A turn's calls have their own safepoints.

/** Turns a counted loop may make without a check of its own. 4,096: a turn of a few ns keeps the gap
 *  between two checks at tens of µs. */
export const COUNTED_MAX: number = 4096;

/** `loop` if it is an innermost counted loop: its counter local and its bound (a constant, or a local the
 *  loop does not set). */
function countedLoop(loop: binaryen.ExpressionRef): { counter: number; bound: binaryen.ExpressionRef } | null {
  const name = (binaryen.getExpressionInfo(loop) as binaryen.LoopInfo).name;
  const body = loopBody.get(loop);
  if (!name || binaryen.getExpressionId(body) !== binaryen.IfId) return null;
  const branch = binaryen.getExpressionInfo(body) as binaryen.IfInfo;
  if (branch.ifFalse || binaryen.getExpressionId(branch.condition) !== binaryen.BinaryId) return null;
  const cond = binaryen.getExpressionInfo(branch.condition) as binaryen.BinaryInfo;
  if (cond.op !== binaryen.LtSInt32 && cond.op !== binaryen.LtUInt32) return null;
  if (binaryen.getExpressionId(cond.left) !== binaryen.LocalGetId) return null;
  const counter = (binaryen.getExpressionInfo(cond.left) as binaryen.LocalGetInfo).index;
  const boundId = binaryen.getExpressionId(cond.right);
  const boundLocal = boundId === binaryen.LocalGetId ? (binaryen.getExpressionInfo(cond.right) as binaryen.LocalGetInfo).index : -1;
  if (boundId !== binaryen.ConstId && boundLocal < 0) return null;
  // The arm: a block ending in `counter = counter + 1; br $loop`.
  if (binaryen.getExpressionId(branch.ifTrue) !== binaryen.BlockId) return null;
  const kids = (binaryen.getExpressionInfo(branch.ifTrue) as binaryen.BlockInfo).children;
  if (kids.length < 2) return null;
  const last = binaryen.getExpressionInfo(kids[kids.length - 1]) as binaryen.BreakInfo;
  if (binaryen.getExpressionId(kids[kids.length - 1]) !== binaryen.BreakId || last.name !== name || last.condition) return null;
  const inc = kids[kids.length - 2];
  if (binaryen.getExpressionId(inc) !== binaryen.LocalSetId) return null;
  const incInfo = binaryen.getExpressionInfo(inc) as binaryen.LocalSetInfo;
  if (incInfo.index !== counter || incInfo.isTee || binaryen.getExpressionId(incInfo.value) !== binaryen.BinaryId) return null;
  const add = binaryen.getExpressionInfo(incInfo.value) as binaryen.BinaryInfo;
  if (add.op !== binaryen.AddInt32 || binaryen.getExpressionId(add.left) !== binaryen.LocalGetId ||
      (binaryen.getExpressionInfo(add.left) as binaryen.LocalGetInfo).index !== counter ||
      binaryen.getExpressionId(add.right) !== binaryen.ConstId || (binaryen.getExpressionInfo(add.right) as binaryen.ConstInfo).value !== 1) return null;
  // Nothing else in the loop sets the counter or the bound, branches back, or is a loop.
  let ok = true, backs = 0;
  walk(body, (e) => {
    const id = binaryen.getExpressionId(e);
    if (id === binaryen.LoopId) ok = false;
    else if (id === binaryen.LocalSetId && e !== inc) {
      const i = (binaryen.getExpressionInfo(e) as binaryen.LocalSetInfo).index;
      if (i === counter || i === boundLocal) ok = false;
    } else if (id === binaryen.BreakId && (binaryen.getExpressionInfo(e) as binaryen.BreakInfo).name === name) backs++;
    else if (id === binaryen.SwitchId) ok = false;
    if (!ok) return -1;
  });
  return ok && backs === 1 ? { counter, bound: cond.right } : null;
}

/** The functions in a cycle of the call graph. An indirect call may reach any function in the table, but
 *  for one made by a function of `weftOnly`, which calls only weft's own functions through pointers. */
function recursiveFunctions(mod: binaryen.Module, names: string[], weftOnly: ReadonlySet<string>): Set<string> {
  const table = new Set<string>();
  for (let i = 0, n = mod.getNumElementSegments(); i < n; i++) {
    const info = binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(i));
    for (const d of info.data) table.add(d);
  }
  const edges = new Map<string, Set<string>>();
  for (const name of names) {
    const out = new Set<string>();
    const body = binaryen.getFunctionInfo(mod.getFunction(name)).body;
    if (body) walk(body, (expr) => {
      const id = binaryen.getExpressionId(expr);
      if (id === binaryen.CallId) out.add(callTarget(expr));
      else if (id === binaryen.CallIndirectId && !weftOnly.has(name)) for (const t of table) out.add(t);
    });
    edges.set(name, out);
  }
  // Tarjan's strongly connected components, iteratively (call graphs can be deep).
  const index = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [], cyclic = new Set<string>();
  let counter = 0;
  for (const root of names) {
    if (index.has(root)) continue;
    const work: { name: string; it: Iterator<string> }[] = [];
    const open = (n: string) => {
      index.set(n, counter); low.set(n, counter); counter++;
      stack.push(n); onStack.add(n);
      work.push({ name: n, it: (edges.get(n) ?? new Set<string>()).values() });
    };
    open(root);
    while (work.length) {
      const top = work[work.length - 1];
      const next = top.it.next();
      if (!next.done) {
        const m = next.value;
        if (!edges.has(m)) continue;                          // an import
        if (!index.has(m)) open(m);
        else if (onStack.has(m)) low.set(top.name, Math.min(low.get(top.name)!, index.get(m)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].name;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.name)!));
      }
      if (low.get(top.name) === index.get(top.name)) {
        const component: string[] = [];
        let m: string;
        do { m = stack.pop()!; onStack.delete(m); component.push(m); } while (m !== top.name);
        if (component.length > 1 || edges.get(top.name)!.has(top.name)) for (const c of component) cyclic.add(c);
      }
    }
  }
  return cyclic;
}
