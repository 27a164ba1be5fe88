// The ~resume part of a rebuilt function (resumable.ts, design note): a copy of its code in which guards
// route a rewinding thread to the call it was in. While the route local R names a site, only the way
// to that site runs: statements that hold no site are skipped (one test per run of them), an `if` takes
// the arm that holds the site, a loop runs its routed body once and its later turns in a fast copy. At
// the site the rewind goes on into the callee (straight to its own ~resume when it is rebuilt too), or,
// at a safepoint or a call to suspend, ends there; from then on R is 0 and the code runs normally.

import binaryen from "../binaryen.js";
import {
  walk, childrenOf, replaceChild, callTarget, setCallTarget, matchSites, matchAll, retargetBreaks, sitesUnder,
} from "./walk.js";

/** binaryen.js's setters its type declarations leave out. */
const classes = binaryen as unknown as {
  Block: { setChildren(b: number, c: number[]): void; setType(e: number, t: number): void };
  Loop: { getName(e: number): string | null };
  If: { setType(e: number, t: number): void };
};

const RESUMING_FLAG = "~lib/weft/assembly/core/scheduler/resuming";
const PROBING_FLAG = "~lib/weft/assembly/core/inspect/probing";

/** What routing needs of the function being rebuilt (resumable.ts, build). */
export interface Rebuilding {
  mod: binaryen.Module;
  /** The route local: the site a rewind resumes at, 0 once the function runs normally. */
  R: number;
  /** Every rebuilt function (a call to one resumes in its ~resume part). */
  rebuilt: Map<string, number>;
  /** The switches a rewind ends in (resumable.ts, Targets): a safepoint's, and a backtrace's. */
  targets: { preemptSwitch: string; probeHere?: string };
  /** The function's site statements (in the code before the rebuild) and their site numbers. */
  sites: Map<number, number>;
  /** Calls that stand for a site, to be given its source location (BuildOptions.lines). */
  located: [number, number][];
  isSafepoint(site: number): boolean;
  isSuspend(site: number): boolean;
  /** The label a site's exit (its frame pushed, the unwind started) is reached by. */
  exitLabel(site: number): string;
  /** After a call site: if the callee unwinds, push this frame and return. */
  unwindCheck(site: number): number;
  /** A part of the body as ~fast runs it. */
  fastCopy(original: number): number;
}

/** A copy of `body` (a function's code before the rebuild), routed: the ~resume part's code, to be run
 *  after its frame is popped. */
export function routeResume(b: Rebuilding, body: number): number {
  const { mod, R, rebuilt, targets, sites, located, isSafepoint, isSuspend, exitLabel, unwindCheck, fastCopy } = b;
  const i32 = binaryen.i32;
  const resumeBody = mod.copyExpression(body);
  const resumeSites = matchSites(body, resumeBody, sites);
  located.push(...resumeSites);
  const originalOf = matchAll(resumeBody, body);
  const contains = sitesUnder(resumeBody, resumeSites);
  const routeR = () => mod.local.get(R, i32);
  const anyOf = (sites: Set<number>) => {
    let e = 0;
    for (const s of sites) {
      const test = mod.i32.eq(routeR(), mod.i32.const(s));
      e = e ? mod.i32.or(e, test) : test;
    }
    return e || mod.i32.const(0);
  };
  const idle = () => mod.i32.eqz(routeR());
  let labels = 0;
  // route(e): rewrites `e`, which holds sites, so that while R names one of them only the way to it runs;
  // returns the expression to put in e's place. A block's children that hold no site run only when R is 0
  // (in groups: one test per run of statements); a child that holds sites runs when R is 0 or names one
  // of its sites; an `if` holding sites takes, while R is set, the arm that holds R's site. A loop runs
  // its routed body once (the turn the thread was in); the turns after that run in a fast copy of the
  // loop, so that a thread resumed inside a long loop is back at full speed from its next turn.
  const route = (expr: number): number => {
    const id = binaryen.getExpressionId(expr);
    const site = resumeSites.get(expr);
    if (site !== undefined) {
      const here = mod.i32.eq(routeR(), mod.i32.const(site));
      // A safepoint: resuming there, the switch stops the rewind; else it is the slow path as in ~fast.
      // A call to suspend: resuming there, stop the rewind as suspend would; else the exit as in ~fast.
      // A backtrace's rewind (probing) parks the thread again at once through the site's exit.
      // (The call a rewind ends in stands for the site in a backtrace: it gets the site's location.)
      const probing = () => mod.global.get(PROBING_FLAG, i32);
      const ending = (target: string) => {
        const call = mod.call(target, [], binaryen.none);
        located.push([call, site]);
        return call;
      };
      const run = isSafepoint(site)
        ? mod.if(here, targets.probeHere ? mod.block(null, [
          ending(targets.preemptSwitch),
          mod.br(exitLabel(site), probing()),
        ], binaryen.none) : ending(targets.preemptSwitch), mod.br(exitLabel(site)))
        : isSuspend(site)
          ? mod.if(here, mod.block(null, [
            mod.global.set(RESUMING_FLAG, mod.i32.const(0)),
            mod.call("asyncify_stop_rewind", [], binaryen.none),
            ...(targets.probeHere ? [mod.if(probing(), mod.block(null, [
              ending(targets.probeHere),
              mod.br(exitLabel(site)),
            ], binaryen.none))] : []),
          ], binaryen.none), mod.br(exitLabel(site)))
          : mod.block(null, [rewindDirect(expr, here), unwindCheck(site)], binaryen.none);
      return mod.if(mod.i32.or(idle(), mod.i32.eq(routeR(), mod.i32.const(site))),
        mod.block(null, [run, mod.local.set(R, mod.i32.const(0))], binaryen.none));
    }
    const type = binaryen.getExpressionType(expr);
    const valued = type !== binaryen.none && type !== binaryen.unreachable;
    if (id === binaryen.BlockId) {
      if (valued && expr !== resumeBody) throw new Error("a block with a value holds a call that may switch");
      const kids = childrenOf(expr).map((c) => c.child);
      const out: number[] = [];
      let group: number[] = [];
      const flush = () => {
        if (group.length) out.push(mod.if(idle(), group.length === 1 ? group[0] : mod.block(null, group, binaryen.none)));
        group = [];
      };
      kids.forEach((k, i) => {
        const inside = contains.get(k);
        if (valued && i === kids.length - 1) {
          flush();
          // The value, or code that never ends normally (unoptimised, the body's last statement may be a
          // `while (true)` loop that only returns): that is routed as any other statement, and the block
          // still ends in no value.
          if (!inside) out.push(k);
          else if (binaryen.getExpressionType(k) !== binaryen.unreachable) throw new Error("a block's value holds a call that may switch");
          else out.push(resumeSites.has(k) ? route(k) : mod.if(mod.i32.or(idle(), anyOf(inside)), route(k)), mod.unreachable());
          return;
        }
        if (inside) {
          flush();
          const routed = route(k);
          out.push(resumeSites.has(k) ? routed : mod.if(mod.i32.or(idle(), anyOf(inside)), routed));
          return;
        }
        const t = binaryen.getExpressionType(k);
        if (t !== binaryen.none && t !== binaryen.unreachable) throw new Error("a block child with a value");
        group.push(k);
      });
      flush();
      classes.Block.setChildren(expr, out);
      if (!valued) classes.Block.setType(expr, binaryen.none);
      return expr;
    }
    if (valued) throw new Error("a construct with a value holds a call that may switch");
    if (id === binaryen.LoopId) {
      const name = classes.Loop.getName(expr);
      const routedBody = route(childrenOf(expr)[0].child);
      if (!name) return routedBody;                          // no way back to its head: it runs once
      const original = originalOf.get(expr)!;
      const done = `weft$done${labels}`, clean = `weft$clean${labels++}`;
      retargetBreaks(routedBody, name, clean);
      // (block $done (block $clean routed-turn (br $done)) (loop $name fast-body))
      return mod.block(done, [
        mod.block(clean, [routedBody, mod.br(done)], binaryen.none),
        mod.loop(name, fastCopy(childrenOf(original)[0].child)),
      ], binaryen.none);
    }
    if (id === binaryen.IfId) {
      const ifInfo = binaryen.getExpressionInfo(expr) as binaryen.IfInfo;
      const inTrue = contains.get(ifInfo.ifTrue) ?? new Set<number>();
      // (The condition is evaluated only when not resuming: unflattened, it may have effects.)
      replaceChild(expr, { field: "condition", index: -1 }, mod.if(idle(), ifInfo.condition, anyOf(inTrue)));
      if (contains.has(ifInfo.ifTrue)) replaceChild(expr, { field: "ifTrue", index: -1 }, route(ifInfo.ifTrue));
      if (ifInfo.ifFalse && contains.has(ifInfo.ifFalse)) replaceChild(expr, { field: "ifFalse", index: -1 }, route(ifInfo.ifFalse));
      classes.If.setType(expr, binaryen.none);
      return expr;
    }
    throw new Error(`a call that may switch inside an expression of kind ${id}`);
  };
  /** A site that calls a rebuilt function: resuming there, the callee is rewinding, so the call goes
   *  straight to its ~resume part (its dispatcher would only test the state to send it there). */
  const rewindDirect = (statement: number, here: number): number => {
    let call = 0;
    walk(statement, (e) => {
      if (!call && binaryen.getExpressionId(e) === binaryen.CallId && rebuilt.has(callTarget(e))) call = e;
    });
    if (!call) return statement;
    const direct = mod.copyExpression(statement);
    const site = resumeSites.get(statement);
    if (site !== undefined) located.push([direct, site]);
    walk(direct, (e) => {
      if (binaryen.getExpressionId(e) === binaryen.CallId && rebuilt.has(callTarget(e))) setCallTarget(e, callTarget(e) + "~resume");
    });
    return mod.if(here, direct, statement);
  };
  return route(resumeBody);
}
