// weft's own unwind and rewind for the functions that can switch, in place of Asyncify's.
//
// Design note
// -----------
// A safepoint makes a compute kernel a function that can switch, so Asyncify would instrument it, and
// Asyncify's instrumentation is built to resume anywhere: it guards nearly every statement with a test of
// its global state and routes values through selects. Measured on this machine with a safepoint each:
// fib(30) 2.4× and a 128×128 matrix multiply 2.1× the time of the same code without. The checks
// themselves cost almost nothing (a constant-address load and a branch: fib 1.01×); resumability is what
// costs, and it is paid on every turn of the loop although a thread is preempted once in ten
// milliseconds.
//
// So each function that Asyncify instrumented — the program's and weft's own (channels, joins, locks),
// all but the switches themselves, which start and stop unwinds — is rebuilt in three parts from its code
// before Asyncify (kept aside for this, untouched by Asyncify):
//
//   f            the original name (callers, the table and exports keep using it): a dispatcher —
//                rewinding? call f~resume, else call f~fast.
//   f~fast       the function as written (flattened, then tidied), plus, after every call that may
//                unwind, `if (state == unwinding) { push this frame; return }`. No guards: it only ever
//                runs forwards. Calls to other rebuilt functions go straight to their ~fast part. A call
//                to suspend (the switch) is replaced by a branch out to what suspend would do, after
//                this frame is pushed: a yield then makes no call (yield_d1 26.7 -> 22.9 ns).
//   f~resume     the same code, entered only when rewinding: it pops its frame (the locals live at the
//                call it was in, and which call that was), then runs with guards that skip everything up
//                to that call, calls it again (the callee's ~resume: it rewinds in turn), and from there
//                on runs normally — guards then cost a register test per group of statements — until it
//                returns. It can unwind again.
//
// Frames (their layout, and the code that pushes and pops them) are in host/compiler/passes/frames.ts, the
// guards that route a rewind in ~resume in host/compiler/passes/route.ts.
//
// Flat code (Binaryen's flatten pass) makes this simple: every call is a statement of its own, its
// operands are locals, and control flow carries no values; so a frame holds what the code needs and the
// guards wrap whole statements. A function whose code is not in that shape after flattening keeps Asyncify's
// instrumentation (reported as a fallback).

import binaryen from "../binaryen.js";
import type { FrameLayout } from "../../abi.js";
import { isProgramFunction } from "./safepoints.js";
import { fuelResults, threadFuel, renumberForFuel } from "./fuel.js";
import { framesOf, FrameCode, SPILL_PUSH, type Frame } from "./frames.js";
import { locate, type SourceLocation } from "../lines.js";
import {
  walk, childrenOf, replaceChild, callTarget, setCallTarget, plain, parentOf, matchSites, parentsOf, freshLabels,
} from "./walk.js";
import { routeResume } from "./route.js";

const STATE = "__asyncify_state";
const DATA = "__asyncify_data";
const UNWINDING = 1, REWINDING = 2;

export interface ResumableReport {
  /** Functions rebuilt. */
  rebuilt: string[];
  /** Functions that kept Asyncify's instrumentation, and why. */
  fallback: { name: string; why: string }[];
  /** Each rebuilt function's frames, with its locals' names where the module has them (FrameLayout). */
  layouts: Record<string, FrameLayout>;
}


/** binaryen.js's access to a function's local names. */
const localNames = (binaryen as unknown as { Function: unknown }).Function as {
  getNumLocals(f: number): number; hasLocalName(f: number, i: number): boolean; getLocalName(f: number, i: number): string;
  setLocalName(f: number, i: number, name: string): void;
};

/** Before Asyncify: keeps a copy of each of `names` (program functions) that Asyncify will not touch,
 *  with its locals' names (the passes that flatten a copy keep them with the locals they renumber).
 *  Returns original → copy, and the copies' names for asyncify-removelist. */
export function keepOriginals(mod: binaryen.Module, names: string[]): Map<string, string> {
  const copies = new Map<string, string>();
  names.forEach((name, i) => {
    const func = mod.getFunction(name);
    const info = binaryen.getFunctionInfo(func);
    if (!info.body || info.module) return;
    const copy = `__weft_original_${i}`;
    const made = mod.addFunction(copy, info.params, info.results, info.vars, mod.copyExpression(info.body));
    for (let l = 0, n = localNames.getNumLocals(func); l < n; l++) {
      if (localNames.hasLocalName(func, l)) localNames.setLocalName(made, l, localNames.getLocalName(func, l));
    }
    copies.set(name, copy);
  });
  return copies;
}

/** The names of a function's locals (params first), null where it has none. */
function namesOf(func: number): (string | null)[] {
  const names: (string | null)[] = [];
  for (let l = 0, n = localNames.getNumLocals(func); l < n; l++) names.push(localNames.hasLocalName(func, l) ? localNames.getLocalName(func, l) : null);
  return names;
}

/** After Asyncify: rebuilds each function Asyncify instrumented from its copy; drops every copy. */
export function rebuildResumable(mod: binaryen.Module, copies: Map<string, string>, targets: Targets): ResumableReport {
  const report: ResumableReport = { rebuilt: [], fallback: [], layouts: {} };
  const mayUnwind = instrumentedFunctions(mod);
  // The bottoms of a thread's frames (weft's switches) start and stop unwinds themselves: they stay as
  // they are.
  const candidates = [...copies.keys()].filter((name) => mayUnwind.has(name) && !callsIntrinsics(mod, name));
  const plans = new Map<string, Plan>();
  for (const name of candidates) {
    const copy = copies.get(name)!;
    // The code as optimised is best kept: a loop whose only site is its safepoint is already in shape.
    // Otherwise (a call that may switch inside an expression), flatten it.
    try {
      plans.set(name, plan(mod, name, copy, mayUnwind, targets));
      continue;
    } catch { /* not in shape: flatten */ }
    mod.runPassesOnFunction(mod.getFunction(copy), targets.keepNames ? FLATTEN_NAMED : FLATTEN);
    try {
      plans.set(name, plan(mod, name, copy, mayUnwind, targets));
    } catch (e) {
      report.fallback.push({ name, why: (e as Error).message });
    }
  }
  const rebuilt = new Map([...plans].map(([name, p]) => [name, p.results]));
  // A callee that may switch, or is the program's own code (Asyncify instruments whatever can reach it
  // through a table, so that is covered by the first), reads or spends the global fuel.
  // A frame's out-of-line push (frames.ts) calls the spill, as the push once did in line: the global holds
  // the fuel across it, as it did across the spill.
  const touchesFuel = (callee: string) => mayUnwind.has(callee) || isProgramFunction(callee) || callee.startsWith(SPILL_PUSH);
  for (const [name, p] of plans) {
    report.layouts[name] = layoutOf(p, namesOf(mod.getFunction(p.copy)));
    build(mod, p, rebuilt, targets, touchesFuel);
    report.rebuilt.push(name);
  }
  for (const copy of copies.values()) mod.removeFunction(copy);
  return report;
}

/** A plan's frames as a debugger reads them (FrameLayout). Locals past the original ones (flatten's
 *  temporaries) have no name. */
function layoutOf(p: Plan, names: (string | null)[]): FrameLayout {
  const typeName = (t: number) => t === binaryen.i64 ? "i64" : t === binaryen.f32 ? "f32" : t === binaryen.f64 ? "f64" : "i32";
  const sites: FrameLayout["sites"] = {};
  for (const [site, frame] of p.frames) sites[site] = { locals: frame.locals, offsets: frame.offsets, size: frame.size };
  return { names: p.locals.map((_, i) => names[i] ?? null), types: p.locals.map(typeName), sites };
}

/** The functions a call to which may unwind: those Asyncify instrumented (they read its state), and the
 *  bottoms of a thread's frames, which start unwinds (weft's switches: they call asyncify_start_unwind;
 *  asc inlines some, such as yieldNow's, into the program's code). */
function instrumentedFunctions(mod: binaryen.Module): Set<string> {
  const out = new Set<string>();
  for (let i = 0, n = mod.getNumFunctions(); i < n; i++) {
    const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (!info.body || info.name.startsWith("__weft_original_")) continue;
    let found = false;
    walk(info.body, (expr) => {
      if (found) return -1;
      const id = binaryen.getExpressionId(expr);
      if ((id === binaryen.GlobalGetId || id === binaryen.GlobalSetId) &&
          (binaryen.getExpressionInfo(expr) as binaryen.GlobalGetInfo).name === STATE) found = true;
      else if (id === binaryen.CallId && callTarget(expr) === "asyncify_start_unwind") found = true;
    });
    if (found) out.add(info.name);
  }
  return out;
}

/** Whether `name` calls Asyncify's intrinsics itself. */
function callsIntrinsics(mod: binaryen.Module, name: string): boolean {
  let found = false;
  walk(binaryen.getFunctionInfo(mod.getFunction(name)).body, (expr) => {
    if (found) return -1;
    if (binaryen.getExpressionId(expr) === binaryen.CallId && callTarget(expr).startsWith("asyncify_")) found = true;
  });
  return found;
}

/** The safepoints' slow path as the build inserted it (a call to `safepoint`), and the switch a rebuilt
 *  function calls instead once it has pushed its own frame (assembly/core/scheduler.ts). */
export interface Targets {
  safepoint: string;
  preemptSwitch: string;
  /** The switch every blocking call ends in (assembly/core/scheduler.ts's suspend): a rebuilt function does
   *  its work in place of a call to it (see `frameExit`). */
  suspend?: string;
  /** What a frame calls when it does not fit the save area (assembly/core/scheduler.ts's saveAreaSpill). */
  spill: string;
  /** Where a backtrace's rewind ends (assembly/core/inspect.ts's probeHere, "Backtraces"): a site that
   *  stops a rewind while `probing` is set calls it, then parks the thread again through its exit. */
  probeHere?: string;
  /** BuildOptions.lines: each function's calls by callee with their source locations, in the order they
   *  run (host/compiler/lines.ts); the rebuilt calls get them back. */
  locations?: Map<string, Map<string, (SourceLocation | null)[]>>;
  /** N:1 builds: the address of the memory copy of Asyncify's state (host/compiler/build.ts, keepStateCopy). */
  stateCopy?: number;
  /** N:1 builds: the fuel global the safepoints count down. The rebuilt functions' fast parts then pass
   *  fuel to each other in a parameter and a second result (host/compiler/passes/fuel.ts). */
  fuel?: string;
  /** An unoptimised build, whose locals still have their names: flattening keeps them (FLATTEN_NAMED), so
   *  that a debugger can show each frame's locals by name. */
  keepNames?: boolean;
}

/** Flat code, then as few locals as flat code allows (what Asyncify itself runs first). */
const FLATTEN = ["flatten", "simplify-locals-nonesting", "reorder-locals", "coalesce-locals", "simplify-locals-nonesting", "reorder-locals"];
/** The same without coalescing, which merges locals and drops every name (Targets.keepNames): frames are
 *  larger, and each local keeps its name. */
const FLATTEN_NAMED = ["flatten", "simplify-locals-nonesting", "reorder-locals"];

const SCRATCH = "~lib/weft/assembly/core/savearea/scratch";
const SCRATCH_SIZE = "~lib/weft/assembly/core/savearea/scratchSize";
const UNWINDING_FLAG = "~lib/weft/assembly/core/scheduler/unwinding";
const UNWIND_AREA = "~lib/weft/assembly/core/scheduler/unwindArea";

interface Plan {
  name: string;
  copy: string;
  params: number;
  results: number;
  vars: number[];
  locals: number[];              // type of each local (params then vars)
  frames: Map<number, Frame>;    // site number → the frame saved there
  sites: Map<number, number>;    // site statement → its number (1 ..)
  safepoints: Set<number>;       // the sites that are safepoints' slow paths
  suspends: Set<number>;         // the sites that call suspend
}

/** Checks that `copy` is flat where it matters and numbers its call sites that may unwind. */
function plan(mod: binaryen.Module, name: string, copy: string, mayUnwind: Set<string>, targets: Targets): Plan {
  const func = mod.getFunction(copy);
  const info = binaryen.getFunctionInfo(func);
  const params = binaryen.expandType(info.params);
  const locals = [...params, ...info.vars];
  for (const t of locals) {
    if (t !== binaryen.i32 && t !== binaryen.i64 && t !== binaryen.f32 && t !== binaryen.f64) {
      throw new Error("a local of a type frames do not hold");
    }
  }
  const sites = new Map<number, number>();
  const safepoints = new Set<number>();
  const suspends = new Set<number>();
  const unwinds = (call: number) => {
    const id = binaryen.getExpressionId(call);
    if (id === binaryen.CallIndirectId) return true;
    if (id !== binaryen.CallId) return false;
    const target = callTarget(call);
    return mayUnwind.has(target) || target === targets.safepoint || target === targets.preemptSwitch;
  };
  walk(info.body, (expr, parent) => {
    const id = binaryen.getExpressionId(expr);
    if (id !== binaryen.CallId && id !== binaryen.CallIndirectId) return;
    if (!unwinds(expr)) return;
    // The statement holding the call (the call, or a local.set or drop of it) sits where statements do:
    // in a block, as a loop's body, or as an arm of an if.
    let statement = expr, holder = parent;
    const holderId = holder ? binaryen.getExpressionId(holder) : -1;
    if (holderId === binaryen.LocalSetId || holderId === binaryen.DropId) {
      statement = holder;
      holder = parentOf(info.body, holder);
    }
    const at = holder ? binaryen.getExpressionId(holder) : -1;
    const statementSlot = at === binaryen.BlockId || at === binaryen.LoopId ||
      (at === binaryen.IfId && (binaryen.getExpressionInfo(holder) as binaryen.IfInfo).condition !== statement);
    const valueType = binaryen.getExpressionType(statement);
    if (!statementSlot || (valueType !== binaryen.none && valueType !== binaryen.unreachable)) {
      throw new Error("a call that may switch is not a statement of its own");
    }
    // Resuming calls it again, operands and all: they must be free of effects (flat code's always are).
    for (const c of childrenOf(expr)) if (!plain(c.child)) throw new Error("a call that may switch has operands with effects");
    sites.set(statement, sites.size + 1);
    if (id === binaryen.CallId && callTarget(expr) === targets.safepoint) {
      if (statement !== expr) throw new Error("a safepoint call with a value");
      safepoints.add(statement);
    }
    if (id === binaryen.CallId && callTarget(expr) === targets.suspend && statement === expr) suspends.add(statement);
  });
  checkShape(info.body, new Set(sites.keys()));
  return { name, copy, params: info.params, results: info.results, vars: info.vars, locals,
    frames: framesOf(info.body, sites, locals), sites, safepoints, suspends };
}

/** Routing (build's `route`) rewrites the constructs around each site: they must be blocks, loops and ifs
 *  (the site in an arm) that carry no value — but the body itself, whose last child may be its value. */
function checkShape(body: number, sites: Set<number>): void {
  const parents = parentsOf(body, sites);
  const up = new Map<number, number>();
  walk(body, (e, parent) => { if (parent) up.set(e, parent); });
  for (const site of sites) {
    for (let e = up.get(site); e !== undefined; e = up.get(e)) {
      const id = binaryen.getExpressionId(e);
      if (id !== binaryen.BlockId && id !== binaryen.LoopId && id !== binaryen.IfId) {
        throw new Error(`a call that may switch inside an expression of kind ${id}`);
      }
      const t = binaryen.getExpressionType(e);
      if (e !== body && t !== binaryen.none && t !== binaryen.unreachable) throw new Error("a construct with a value holds a call that may switch");
    }
    void parents;
  }
  // An if whose condition holds a site cannot be routed.
  walk(body, (e) => {
    if (binaryen.getExpressionId(e) !== binaryen.IfId) return;
    const cond = (binaryen.getExpressionInfo(e) as binaryen.IfInfo).condition;
    walk(cond, (c) => { if (sites.has(c)) throw new Error("a call that may switch in an if's condition"); });
  });
}

/** Builds f (the dispatcher), f~fast and f~resume from the plan. */
function build(mod: binaryen.Module, p: Plan, rebuilt: Map<string, number>, targets: Targets,
               touchesFuel: (callee: string) => boolean): void {
  const info = binaryen.getFunctionInfo(mod.getFunction(p.copy));
  const n = p.locals.length;
  const vars = [...p.vars, binaryen.i32, binaryen.i32];  // + cur, R
  const CUR = n, R = n + 1;
  const FUEL = n + 2;                                    // ~fast with threaded fuel: becomes a parameter
  const i32 = binaryen.i32;
  const data = () => mod.global.get(DATA, i32);
  const state = () => targets.stateCopy !== undefined ? mod.i32.load(0, 4, mod.i32.const(targets.stateCopy)) : mod.global.get(STATE, i32);
  const zero = (t: number) => t === binaryen.none ? 0 :
    t === binaryen.i32 ? mod.i32.const(0) : t === binaryen.i64 ? (mod.i64 as unknown as { const(v: bigint): number }).const(0n) :
    t === binaryen.f32 ? mod.f32.const(0) : mod.f64.const(0);
  const frames = new FrameCode(mod, p.locals, p.frames, CUR, R, targets.spill);

  // BuildOptions.lines: each site's source location, from the calls of the function's text (lines.ts):
  // the k-th site calling a callee is its k-th call in the order they run.
  const firstCall = (statement: number) => {
    let call = 0;
    walk(statement, (e) => { if (!call && binaryen.getExpressionId(e) === binaryen.CallId) call = e; });
    return call;
  };
  const siteAt = new Map<number, SourceLocation>();
  const calls = targets.locations?.get(p.name);
  if (calls) {
    const seen = new Map<string, number>();
    for (const [statement, site] of [...p.sites].sort((a, b) => a[1] - b[1])) {
      const call = firstCall(statement);
      if (!call) continue;
      const callee = callTarget(call);
      const k = seen.get(callee) ?? 0;
      seen.set(callee, k + 1);
      const at = calls.get(callee)?.[k];
      if (at) siteAt.set(site, at);
    }
  }
  /** Gives the call of each site statement in `func` its site's location. */
  const locateSites = (func: number, statements: Iterable<[number, number]>) => {
    for (const [statement, site] of statements) {
      const at = siteAt.get(site);
      const call = at ? firstCall(statement) : 0;
      if (at && call) locate(mod, func, call, at);
    }
  };
  const fastSites: [number, number][] = [];    // ~fast's site statements
  const located: [number, number][] = [];      // ~resume's: its own, their direct copies, its loops' fast copies
  let collecting = fastSites;                  // where fastCopy puts the sites it copies

  /** After call site `site`: if the callee is unwinding, push this frame and return. */
  const unwindCheck = (site: number) => mod.if(
    mod.i32.eq(state(), mod.i32.const(UNWINDING)),
    mod.block(null, [
      ...frames.push(site, mod.i32.load(0, 4, data()), data),
      mod.return(p.results === binaryen.none ? undefined : zero(p.results)),
    ], binaryen.none));

  /** A safepoint's slow path, or a call to suspend: this frame is the innermost, so it goes first; then
   *  the unwind starts, and this function returns at once: nothing of it lives across the switch.
   *  - A safepoint writes into the processor's scratch area (whose header it sets; the 1 MiB after the
   *    area hold any one frame) and starts the unwind through preemptSwitch (a tick).
   *  - A call to suspend is replaced by what suspend itself would do (assembly/core/scheduler.ts), into the
   *    area the loop chose (`unwindArea`, with its end set): a thread's every switch then costs no call,
   *    and the loop that yields holds no call at all. */
  const area = () => mod.global.get(UNWIND_AREA, i32);
  const frameExit = (site: number) => mod.block(null, isSuspend(site) ? [
    ...frames.push(site, mod.i32.add(area(), mod.i32.const(8)), area),
    mod.global.set(UNWINDING_FLAG, mod.i32.const(1)),
    mod.call("asyncify_start_unwind", [area()], binaryen.none),
    mod.return(p.results === binaryen.none ? undefined : zero(p.results)),
  ] : [
    mod.local.set(CUR, mod.i32.add(mod.global.get(SCRATCH, i32), mod.i32.const(8))),
    ...frames.save(site),
    mod.i32.store(0, 4, mod.global.get(SCRATCH, i32), mod.i32.add(mod.local.get(CUR, i32), mod.i32.const(p.frames.get(site)!.size))),
    mod.i32.store(4, 4, mod.global.get(SCRATCH, i32), mod.i32.add(mod.global.get(SCRATCH, i32), mod.global.get(SCRATCH_SIZE, i32))),
    mod.call(targets.preemptSwitch, [], binaryen.none),
    mod.return(p.results === binaryen.none ? undefined : zero(p.results)),
  ], binaryen.unreachable);
  const siteSet = (set: Set<number>) => new Set([...set].map((st) => p.sites.get(st)!));
  const safepointSites = siteSet(p.safepoints), suspendSites = siteSet(p.suspends);
  const isSafepoint = (site: number) => safepointSites.has(site);
  const isSuspend = (site: number) => suspendSites.has(site);
  const isExit = (site: number) => isSafepoint(site) || isSuspend(site);

  /** A copy of `original` (a part of the copy's body) as ~fast runs it: each site followed by its unwind
   *  check, each safepoint's call replaced by the slow path, calls to rebuilt functions sent to ~fast. */
  const fastCopy = (original: number): number => {
    const copy = mod.copyExpression(original);
    freshLabels(copy);
    const sites = matchSites(original, copy, p.sites);
    collecting.push(...[...sites].filter(([, site]) => !isExit(site)));
    retargetCalls(copy, new Set(rebuilt.keys()));
    let root = copy;
    const parents = parentsOf(copy, new Set(sites.keys()));
    for (const [statement, site] of sites) {
      const replacement = isExit(site) ? mod.br(exitLabel(site)) : mod.block(null, [statement, unwindCheck(site)], binaryen.none);
      const at = parents.get(statement);
      if (!at) { root = replacement; continue; }
      replaceChild(at.parent, at.slot, replacement);
    }
    return root;
  };

  const exitLabel = (site: number) => `weft$exit${site}`;
  /** The function's body inside one block per safepoint, each followed by that safepoint's slow path:
   *  a safepoint leaves its loop with a branch, so no loop holds a call that only the slow path makes
   *  (V8 then compiles the loop as if it had no check: unrolled, nothing kept across a call). */
  const withExits = (body: number): number => {
    // Every way out is a return, so each block here is typed unreachable (which any result type accepts,
    // also the fuel-carrying results threadFuel gives ~fast).
    const type = binaryen.getExpressionType(body);
    let inner = type !== binaryen.none && type !== binaryen.unreachable ? mod.return(body)
      : mod.block(null, [body, mod.return(p.results === binaryen.none ? undefined : zero(p.results))], binaryen.unreachable);
    for (const site of [...safepointSites, ...suspendSites]) {
      inner = mod.block(null, [mod.block(exitLabel(site), [inner], binaryen.none), frameExit(site)], binaryen.unreachable);
    }
    return inner;
  };

  // ~fast: the whole body so.
  const fastBody = withExits(fastCopy(info.body));
  if (targets.fuel) {
    const extra: number[] = [];
    threadFuel(mod, fastBody, "local", targets.fuel, FUEL, rebuilt, p.results, (t) => FUEL + 1 + extra.push(t) - 1, touchesFuel);
    const params = binaryen.expandType(p.params).length;
    renumberForFuel(fastBody, params, FUEL);
    locateSites(mod.addFunction(p.name + "~fast", binaryen.createType([...binaryen.expandType(p.params), binaryen.i32]),
      fuelResults(p.results), [...vars, ...extra], fastBody), fastSites);
  } else {
    locateSites(mod.addFunction(p.name + "~fast", p.params, p.results, vars, fastBody), fastSites);
  }
  collecting = located;

  // ~resume: pop the frame, then guards route to the site (route.ts).
  const restore = frames.pop(data);
  const bodyType = binaryen.getExpressionType(info.body);
  const routed = routeResume({
    mod, R, rebuilt, targets, sites: p.sites, located, isSafepoint, isSuspend, exitLabel, unwindCheck, fastCopy,
  }, info.body);
  const valued = bodyType !== binaryen.none && bodyType !== binaryen.unreachable;
  const resume = withExits(valued ? mod.block(null, [...restore, routed], bodyType) : mod.block(null, [...restore, routed], binaryen.none));
  const resumeExtra: number[] = [];
  if (targets.fuel) {
    threadFuel(mod, resume, "global", targets.fuel, -1, rebuilt, p.results, (t) => vars.length + n + resumeExtra.push(t) - 1 - (n - binaryen.expandType(p.params).length), touchesFuel);
  }
  locateSites(mod.addFunction(p.name + "~resume", p.params, p.results, [...vars, ...resumeExtra], resume), located);

  // The dispatcher, under the original name.
  mod.removeFunction(p.name);
  const paramTypes = binaryen.expandType(p.params);
  const args = () => paramTypes.map((t, i) => mod.local.get(i, t));
  const dispatcherVars: number[] = [];
  let fast = mod.call(p.name + "~fast", args(), p.results);
  if (targets.fuel) {
    // Fuel goes in from the global and comes back out into it.
    const call = mod.call(p.name + "~fast", [...args(), mod.global.get(targets.fuel, i32)], fuelResults(p.results));
    if (p.results === binaryen.none) fast = mod.global.set(targets.fuel, call);
    else {
      const tuple = paramTypes.length + dispatcherVars.push(fuelResults(p.results)) - 1;
      fast = mod.block(null, [
        mod.local.set(tuple, call),
        mod.global.set(targets.fuel, mod.tuple.extract(mod.local.get(tuple, fuelResults(p.results)), 1)),
        mod.tuple.extract(mod.local.get(tuple, fuelResults(p.results)), 0),
      ], p.results);
    }
  }
  mod.addFunction(p.name, p.params, p.results, dispatcherVars, mod.if(
    mod.i32.eq(state(), mod.i32.const(REWINDING)),
    mod.call(p.name + "~resume", args(), p.results),
    fast));
}

/** In a ~fast body, calls to rebuilt functions go to their ~fast part (they never rewind there). */
function retargetCalls(body: number, rebuilt: Set<string>): void {
  walk(body, (expr) => {
    if (binaryen.getExpressionId(expr) === binaryen.CallId && rebuilt.has(callTarget(expr))) {
      setCallTarget(expr, callTarget(expr) + "~fast");
    }
  });
}
