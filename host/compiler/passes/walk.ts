// Walking and rewriting Binaryen expression trees from JavaScript, for weft's own build passes
// (host/compiler/passes/safepoints.ts, host/asyncify-state.ts). binaryen.js gives each expression kind getters and setters
// (Loop.setBody, Block.setChildAt, …) but its type declarations leave them out, and it has no generic way
// to list an expression's children or to replace one; this file supplies both for the kinds a weft module
// holds (MVP, atomics, bulk memory, and the tuples of multi-value results the build itself adds). A kind
// it does not know is an error, never skipped.

import binaryen from "../binaryen.js";

type Accessors = Record<string, (...args: number[]) => unknown>;
const api = binaryen as unknown as Record<string, Accessors> & { _BinaryenFunctionAddVar(f: number, type: number): number };

/** Each kind: its binaryen.js class, and its child fields (an array field ends in "[]"). */
const KINDS: Record<number, [string, string[]]> = {
  [binaryen.BlockId]: ["Block", ["children[]"]],
  [binaryen.IfId]: ["If", ["condition", "ifTrue", "ifFalse"]],
  [binaryen.LoopId]: ["Loop", ["body"]],
  [binaryen.BreakId]: ["Break", ["condition", "value"]],
  [binaryen.SwitchId]: ["Switch", ["condition", "value"]],
  [binaryen.CallId]: ["Call", ["operands[]"]],
  [binaryen.CallIndirectId]: ["CallIndirect", ["target", "operands[]"]],
  [binaryen.LocalGetId]: ["LocalGet", []],
  [binaryen.LocalSetId]: ["LocalSet", ["value"]],
  [binaryen.GlobalGetId]: ["GlobalGet", []],
  [binaryen.GlobalSetId]: ["GlobalSet", ["value"]],
  [binaryen.LoadId]: ["Load", ["ptr"]],
  [binaryen.StoreId]: ["Store", ["ptr", "value"]],
  [binaryen.ConstId]: ["Const", []],
  [binaryen.UnaryId]: ["Unary", ["value"]],
  [binaryen.BinaryId]: ["Binary", ["left", "right"]],
  [binaryen.SelectId]: ["Select", ["ifTrue", "ifFalse", "condition"]],
  [binaryen.DropId]: ["Drop", ["value"]],
  [binaryen.ReturnId]: ["Return", ["value"]],
  [binaryen.MemorySizeId]: ["MemorySize", []],
  [binaryen.MemoryGrowId]: ["MemoryGrow", ["delta"]],
  [binaryen.NopId]: ["Nop", []],
  [binaryen.UnreachableId]: ["Unreachable", []],
  [binaryen.AtomicRMWId]: ["AtomicRMW", ["ptr", "value"]],
  [binaryen.AtomicCmpxchgId]: ["AtomicCmpxchg", ["ptr", "expected", "replacement"]],
  [binaryen.AtomicWaitId]: ["AtomicWait", ["ptr", "expected", "timeout"]],
  [binaryen.AtomicNotifyId]: ["AtomicNotify", ["ptr", "notifyCount"]],
  [binaryen.AtomicFenceId]: ["AtomicFence", []],
  [binaryen.MemoryInitId]: ["MemoryInit", ["dest", "offset", "size"]],
  [binaryen.DataDropId]: ["DataDrop", []],
  [binaryen.MemoryCopyId]: ["MemoryCopy", ["dest", "source", "size"]],
  [binaryen.MemoryFillId]: ["MemoryFill", ["dest", "value", "size"]],
  [binaryen.TupleMakeId]: ["TupleMake", ["operands[]"]],
  [binaryen.TupleExtractId]: ["TupleExtract", ["tuple"]],
  [binaryen.RefFuncId]: ["RefFunc", []],
  [binaryen.RefNullId]: ["RefNull", []],
};

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

/** One child field of a kind, with its binaryen.js accessors looked up once: a single child (get, set), or
 *  an array of them (count, getAt, setAt). */
interface Field {
  name: string;
  get?: (expr: number) => number;
  set?: (expr: number, child: number) => void;
  count?: (expr: number) => number;
  getAt?: (expr: number, index: number) => number;
  setAt?: (expr: number, index: number, child: number) => void;
}

/** Each kind's fields (KINDS), made once: a walk visits every expression of a module. */
const FIELDS = new Map<number, Field[]>(Object.entries(KINDS).map(([id, [cls, fields]]) => {
  const methods = api[cls];
  return [Number(id), fields.map((f): Field => {
    if (!f.endsWith("[]")) return { name: f, get: methods["get" + cap(f)] as Field["get"], set: methods["set" + cap(f)] as Field["set"] };
    const name = f.slice(0, -2), item = cap(name).replace(/ren$|s$/, "");
    return { name, count: methods["getNum" + cap(name)] as Field["count"], getAt: methods["get" + item + "At"] as Field["getAt"],
      setAt: methods["set" + item + "At"] as Field["setAt"] };
  })];
}));

function fieldsOf(expr: number): Field[] {
  const id = binaryen.getExpressionId(expr);
  const fields = FIELDS.get(id);
  if (!fields) throw new Error(`weft build: an expression of kind ${id} that weft's passes do not know`);
  return fields;
}

/** Replaces the child `expr` holds at `slot` (a field name, or [field, index] for an array field). */
export type Slot = { field: string; index: number };

/** The children of `expr`, with the slot each sits in. */
export function childrenOf(expr: number): { child: number; slot: Slot }[] {
  const out: { child: number; slot: Slot }[] = [];
  for (const f of fieldsOf(expr)) {
    if (f.count) {
      for (let i = 0, n = f.count(expr); i < n; i++) {
        const child = f.getAt!(expr, i);
        if (child) out.push({ child, slot: { field: f.name, index: i } });
      }
    } else {
      const child = f.get!(expr);
      if (child) out.push({ child, slot: { field: f.name, index: -1 } });
    }
  }
  return out;
}

/** Puts `child` into `parent` at `slot`. */
export function replaceChild(parent: number, slot: Slot, child: number): void {
  const f = fieldsOf(parent).find((field) => field.name === slot.field)!;
  if (slot.index >= 0) f.setAt!(parent, slot.index, child);
  else f.set!(parent, child);
}

/** Visits every expression under `root`, parents before children, with its parent and slot (none for
 *  the root). `visit` may replace the expression through replaceChild; the walk then goes on into what
 *  `visit` returns (the replacement, or the expression itself). Iterative: bodies can be deep. */
export function walk(root: number, visit: (expr: number, parent: number, slot: Slot | null) => number | void): void {
  const todo: [number, number, Slot | null][] = [[root, 0, null]];
  while (todo.length) {
    const [expr, parent, slot] = todo.pop()!;
    const next = visit(expr, parent, slot) ?? expr;
    if (next === -1) continue;
    for (const c of childrenOf(next)) todo.push([c.child, next, c.slot]);
  }
}

/** Adds a local of `type` to function `func`; returns its index. */
export function addLocal(func: number, type: number): number {
  return api._BinaryenFunctionAddVar(func, type);
}

/** The function's body, and a way to set it. */
export const functionBody = {
  get: (func: number) => binaryen.getFunctionInfo(func).body,
  set: (func: number, body: number) => { api.Function.setBody(func, body); },
};

/** Loop.getBody / setBody, Call.getTarget. */
export const loopBody = {
  get: (loop: number) => api.Loop.getBody(loop) as number,
  set: (loop: number, body: number) => { api.Loop.setBody(loop, body); },
};
export const callTarget = (call: number) => api.Call.getTarget(call) as string;
export const setCallTarget = (call: number, target: string) => { api.Call.setTarget(call, target as unknown as number); };

/** The functions each function of `mod` calls directly, by name (imports have none). The pipeline's
 *  switch checks (host/compiler/pipeline.ts) walk the module rather than its printed text: printing a
 *  shared module took ~0.2 s, the walk ~0.01 s. */
export function callees(mod: binaryen.Module): Map<string, Set<string>> {
  const all = new Map<string, Set<string>>();
  for (let i = 0, n = mod.getNumFunctions(); i < n; i++) {
    const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (!info.body) continue;
    const called = new Set<string>();
    walk(info.body, (e) => { if (binaryen.getExpressionId(e) === binaryen.CallId) called.add(callTarget(e)); });
    all.set(info.name, called);
  }
  return all;
}

/** Whether function `name` of `mod` reads or sets global `global` (false if there is no such function,
 *  or it is an import). */
export function touchesGlobal(mod: binaryen.Module, name: string, global: string): boolean {
  const func = mod.getFunction(name);
  const body = func ? binaryen.getFunctionInfo(func).body : 0;
  let found = false;
  if (body) walk(body, (e) => {
    const id = binaryen.getExpressionId(e);
    if ((id === binaryen.GlobalGetId || id === binaryen.GlobalSetId) && (binaryen.getExpressionInfo(e) as binaryen.GlobalGetInfo).name === global) found = true;
  });
  return found;
}

// ── Copies, labels and matching (host/compiler/passes/resumable.ts) ──────────────────────────────────────────────────

/** binaryen.js's label accessors. */
const labelled = binaryen as unknown as {
  Block: { getName(e: number): string | null; setName(e: number, n: string): void };
  Loop: { getName(e: number): string | null; setName(e: number, n: string): void };
  Break: { getName(e: number): string; setName(e: number, n: string): void };
  Switch: { getNumNames(e: number): number; getNameAt(e: number, i: number): string; setNameAt(e: number, i: number, n: string): void;
    getDefaultName(e: number): string; setDefaultName(e: number, n: string): void };
};

/** Whether evaluating `expr` again has no effect and cannot trap: locals, globals, constants, and
 *  arithmetic of them that cannot trap. */
export function plain(expr: number): boolean {
  let ok = true;
  walk(expr, (e) => {
    const id = binaryen.getExpressionId(e);
    if (id === binaryen.LocalGetId || id === binaryen.GlobalGetId || id === binaryen.ConstId) return;
    if (id === binaryen.BinaryId) {
      const op = (binaryen.getExpressionInfo(e) as binaryen.BinaryInfo).op;
      const traps = [binaryen.DivSInt32, binaryen.DivUInt32, binaryen.RemSInt32, binaryen.RemUInt32,
        binaryen.DivSInt64, binaryen.DivUInt64, binaryen.RemSInt64, binaryen.RemUInt64];
      if (!traps.includes(op)) return;
    }
    if (id === binaryen.UnaryId) return;
    ok = false;
    return -1;
  });
  return ok;
}

export function parentOf(root: number, target: number): number {
  let found = 0;
  walk(root, (expr) => {
    if (found) return -1;
    for (const c of childrenOf(expr)) if (c.child === target) { found = expr; return -1; }
  });
  return found;
}

/** The site statements of `copy` (a copyExpression of `original`), matched by walk order. */
export function matchSites(original: number, copy: number, sites: Map<number, number>): Map<number, number> {
  const a: number[] = [], b: number[] = [];
  walk(original, (e) => { a.push(e); });
  walk(copy, (e) => { b.push(e); });
  if (a.length !== b.length) throw new Error("weft build: a copied function body differs from its original");
  const out = new Map<number, number>();
  a.forEach((e, i) => { const s = sites.get(e); if (s !== undefined) out.set(b[i], s); });
  return out;
}

/** Every expression of `copy` mapped to the same one in `original` (walk order). */
export function matchAll(copy: number, original: number): Map<number, number> {
  const a: number[] = [], b: number[] = [];
  walk(copy, (e) => { a.push(e); });
  walk(original, (e) => { b.push(e); });
  const out = new Map<number, number>();
  a.forEach((e, i) => out.set(e, b[i]));
  return out;
}

/** The parent and slot of each of `targets` under `root`. */
export function parentsOf(root: number, targets: Set<number>): Map<number, { parent: number; slot: Slot }> {
  const out = new Map<number, { parent: number; slot: Slot }>();
  walk(root, (expr, parent, slot) => { if (targets.has(expr) && slot) out.set(expr, { parent, slot }); });
  return out;
}

let labelCount = 0;
/** Renames every label defined under `root` (a copy: Binaryen wants each name once per function), and
 *  the branches to it. */
export function freshLabels(root: number): void {
  const renames: [string, string][] = [];
  walk(root, (expr) => {
    const id = binaryen.getExpressionId(expr);
    if (id !== binaryen.BlockId && id !== binaryen.LoopId) return;
    const cls = id === binaryen.BlockId ? labelled.Block : labelled.Loop;
    const name = cls.getName(expr);
    if (!name) return;
    const fresh = `${name}$w${labelCount++}`;
    cls.setName(expr, fresh);
    renames.push([name, fresh]);
  });
  for (const [from, to] of renames) retargetBreaks(root, from, to);
}

/** Branches under `root` to label `from` go to `to` instead. */
export function retargetBreaks(root: number, from: string, to: string): void {
  walk(root, (expr) => {
    const id = binaryen.getExpressionId(expr);
    if (id === binaryen.BreakId && labelled.Break.getName(expr) === from) labelled.Break.setName(expr, to);
    else if (id === binaryen.SwitchId) {
      for (let i = 0, n = labelled.Switch.getNumNames(expr); i < n; i++) {
        if (labelled.Switch.getNameAt(expr, i) === from) labelled.Switch.setNameAt(expr, i, to);
      }
      if (labelled.Switch.getDefaultName(expr) === from) labelled.Switch.setDefaultName(expr, to);
    }
  });
}

/** For every expression that contains site statements, the set of their numbers. */
export function sitesUnder(root: number, sites: Map<number, number>): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  const visit = (e: number): Set<number> | null => {
    let mine: Set<number> | null = null;
    const s = sites.get(e);
    if (s !== undefined) mine = new Set([s]);
    else for (const c of childrenOf(e)) {
      const sub = visit(c.child);
      if (sub) { mine ??= new Set(); for (const x of sub) mine.add(x); }
    }
    if (mine) out.set(e, mine);
    return mine;
  };
  visit(root);
  return out;
}

