// Fuel in registers: how the N:1 build's rebuilt fast parts pass safepoint fuel to each other
// (host/compiler/passes/resumable.ts calls these), and how the checks that spend it are laid out for V8 (hotPathsFirst,
// which host/compiler/build.ts calls last).

import binaryen from "../binaryen.js";
import { walk, replaceChild, callTarget } from "./walk.js";

// A safepoint in N:1 spends fuel from a global. A loop does so once in STRIP + 1 turns, but a recursive
// function does at every call, and a global updated at every call is a chain of stores and loads through
// memory (fib(30) took 1.5× as long). So the fast parts pass fuel to each other: a ~fast function takes
// it as an extra last parameter and gives back what is left as an extra last result (multi-value), and
// keeps it in a local in between. At the boundaries the global holds it: the dispatcher passes the global
// in and stores the result back; a ~fast function stores its local into the global before a call that may
// switch (a tick reads and sets the global) or reach the program's code (which spends from it), and
// reloads it after; ~resume parts keep using the global, and wrap their calls to ~fast parts like the
// dispatcher does.

/** What a ~fast function returns with threaded fuel: its results, then the fuel left. */
export function fuelResults(results: number): number {
  return results === binaryen.none ? binaryen.i32 : binaryen.createType([...binaryen.expandType(results), binaryen.i32]);
}

/** Rewrites `body` for threaded fuel. "local": the body of a ~fast function, whose fuel is local `fuel`
 *  (its own results are `results`); "global": a ~resume body, whose fuel stays in the global. `addLocal`
 *  makes a temporary of a type and returns its index. */
export function threadFuel(mod: binaryen.Module, body: number, mode: "local" | "global", global: string, fuel: number,
                    rebuilt: Map<string, number>, results: number, addLocal: (t: number) => number,
                    touchesFuel: (callee: string) => boolean): void {
  const i32 = binaryen.i32;
  const get = () => mode === "local" ? mod.local.get(fuel, i32) : mod.global.get(global, i32);
  const set = (v: number) => mode === "local" ? mod.local.set(fuel, v) : mod.global.set(global, v);
  const callCls = binaryen as unknown as { Call: { setOperands(c: number, o: number[]): void; getOperands(c: number): number[]; setType(c: number, t: number): void } };
  const returnCls = binaryen as unknown as { Return: { getValue(r: number): number; setValue(r: number, v: number): void } };
  const edits: { parent: number; slot: NonNullable<Parameters<typeof replaceChild>[1]>; make: () => number }[] = [];
  walk(body, (expr, parent, slot) => {
    const id = binaryen.getExpressionId(expr);
    if (mode === "local" && id === binaryen.GlobalGetId && (binaryen.getExpressionInfo(expr) as binaryen.GlobalGetInfo).name === global) {
      if (slot) edits.push({ parent, slot, make: () => mod.local.get(fuel, i32) });
      return;
    }
    if (mode === "local" && id === binaryen.GlobalSetId && (binaryen.getExpressionInfo(expr) as binaryen.GlobalSetInfo).name === global) {
      const value = (binaryen.getExpressionInfo(expr) as binaryen.GlobalSetInfo).value;
      if (slot) edits.push({ parent, slot, make: () => mod.local.set(fuel, value) });
      return;
    }
    if (mode === "local" && id === binaryen.ReturnId) {
      const value = returnCls.Return.getValue(expr);
      returnCls.Return.setValue(expr, results === binaryen.none ? mod.local.get(fuel, i32)
        : mod.tuple.make([value, mod.local.get(fuel, i32)]));
      return;
    }
    if (id !== binaryen.CallId && id !== binaryen.CallIndirectId) return;
    if (!slot) return;
    const type = binaryen.getExpressionType(expr);
    const target = id === binaryen.CallId ? callTarget(expr) : "";
    const callee = target.endsWith("~fast") ? target.slice(0, -5) : "";
    if (rebuilt.has(callee)) {
      // A fast part: fuel in, fuel out.
      const calleeResults = rebuilt.get(callee)!;
      callCls.Call.setOperands(expr, [...callCls.Call.getOperands(expr), get()]);
      callCls.Call.setType(expr, fuelResults(calleeResults));
      if (calleeResults === binaryen.none) { edits.push({ parent, slot, make: () => set(expr) }); return; }
      const tuple = addLocal(fuelResults(calleeResults));
      const tupleType = fuelResults(calleeResults);
      edits.push({ parent, slot, make: () => mod.block(null, [
        mod.local.set(tuple, expr),
        set(mod.tuple.extract(mod.local.get(tuple, tupleType), 1)),
        mod.tuple.extract(mod.local.get(tuple, tupleType), 0),
      ], calleeResults) });
      return;
    }
    if (mode === "global") return;
    // Any other call that may switch (a tick reads and sets the global) or reach the program's code (which
    // spends fuel from the global): the global holds the fuel across it. Other calls — the library's,
    // weft's own helpers, which the optimiser may inline later — need nothing.
    if (id === binaryen.CallId && !touchesFuel(target)) return;
    if (type === binaryen.none || type === binaryen.unreachable) {
      edits.push({ parent, slot, make: () => mod.block(null, [mod.global.set(global, mod.local.get(fuel, i32)), expr,
        mod.local.set(fuel, mod.global.get(global, i32))], type) });
    } else {
      const temp = addLocal(type);
      edits.push({ parent, slot, make: () => mod.block(null, [mod.global.set(global, mod.local.get(fuel, i32)),
        mod.local.set(temp, expr), mod.local.set(fuel, mod.global.get(global, i32)), mod.local.get(temp, type)], type) });
    }
  });
  for (const e of edits.reverse()) replaceChild(e.parent, e.slot, e.make());
}

/** A ~fast body built with the fuel local at index `fuel` (after every other local): it becomes the
 *  parameter after the `params` real ones, and the locals between shift up by one. */
export function renumberForFuel(body: number, params: number, fuel: number): void {
  const cls = binaryen as unknown as Record<"LocalGet" | "LocalSet", { getIndex(e: number): number; setIndex(e: number, i: number): void }>;
  walk(body, (expr) => {
    const id = binaryen.getExpressionId(expr);
    const c = id === binaryen.LocalGetId ? cls.LocalGet : id === binaryen.LocalSetId ? cls.LocalSet : null;
    if (!c) return;
    const i = c.getIndex(expr);
    c.setIndex(expr, i === fuel ? params : i >= params && i < fuel ? i + 1 : i);
  });
}

/** After the last optimisation: lays out the rebuilt functions' safepoint checks for V8. A check that
 *  spends fuel leaves by a branch to its slow path, and the optimiser turns `fuel < 0 → leave; rest`
 *  into `if (fuel >= 0) { rest }`. V8 places the code after an `if` (here the slow path) right after the
 *  test and jumps to the `if`'s arm; with the test written `!(fuel < 0)` it folds the negation by
 *  swapping the arms, and the arm (the function's real work) falls through. Measured on fib with a check
 *  at every call: 1.23× the time of the build without safepoints, 1.04× with this. The rewrite changes no
 *  value: every `if (x >= 0)` without an else in those functions becomes `if (!(x < 0))`. */
export function hotPathsFirst(mod: binaryen.Module, rebuilt: string[]): void {
  const cls = binaryen as unknown as { If: { setCondition(e: number, c: number): void } };
  for (const name of rebuilt) {
    for (const part of [name + "~fast", name + "~resume"]) {
      const func = mod.getFunction(part);
      if (!func) continue;
      walk(binaryen.getFunctionInfo(func).body, (e) => {
        if (binaryen.getExpressionId(e) !== binaryen.IfId) return;
        const info = binaryen.getExpressionInfo(e) as binaryen.IfInfo;
        if (info.ifFalse || binaryen.getExpressionId(info.condition) !== binaryen.BinaryId) return;
        const test = binaryen.getExpressionInfo(info.condition) as binaryen.BinaryInfo;
        if (test.op !== binaryen.GeSInt32 || binaryen.getExpressionId(test.right) !== binaryen.ConstId ||
            (binaryen.getExpressionInfo(test.right) as binaryen.ConstInfo).value !== 0) return;
        cls.If.setCondition(e, mod.i32.eqz(mod.i32.lt_s(test.left, mod.i32.const(0))));
      });
    }
  }
}
