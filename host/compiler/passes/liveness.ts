// Which locals a rebuilt function's frame must hold at each of its call sites (host/compiler/passes/resumable.ts).
//
// A frame saved at a site is restored when the thread resumes there, and the function then runs on from
// the site: the call again (its operands are read again), then what follows. So the frame needs the
// locals live just before the site statement, those that some path from it reads before it writes them,
// and no others. Flat code keeps many short-lived temporaries in locals (a frame of descend in yield_d10
// held 8 locals where 2 are live), and each is a store when the thread unwinds and a load when it
// rewinds, at every frame of every switch.
//
// The analysis is the textbook backward one, over Binaryen's structured code: a block's label carries
// what is live after the block, a loop's label what is live at its head (a fixed point, from nothing up),
// a `br_if` joins its target with what follows it, `return` and `unreachable` end every path. A kind of
// expression it does not know, or code nested too deep for it, makes it give up: then every local is
// kept, as before.

import binaryen from "../binaryen.js";
import { childrenOf } from "./walk.js";

/** A set of local indices. */
class Locals {
  constructor(readonly words: Uint32Array) {}
  static empty(n: number): Locals { return new Locals(new Uint32Array((n + 31) >>> 5)); }
  has(i: number): boolean { return (this.words[i >>> 5] & (1 << (i & 31))) !== 0; }
  with(i: number): Locals {
    if (this.has(i)) return this;
    const w = this.words.slice();
    w[i >>> 5] |= 1 << (i & 31);
    return new Locals(w);
  }
  without(i: number): Locals {
    if (!this.has(i)) return this;
    const w = this.words.slice();
    w[i >>> 5] &= ~(1 << (i & 31));
    return new Locals(w);
  }
  union(o: Locals): Locals {
    let w: Uint32Array | null = null;
    for (let k = 0; k < this.words.length; k++) {
      if ((o.words[k] & ~this.words[k]) !== 0) {
        w ??= this.words.slice();
        w[k] |= o.words[k];
      }
    }
    return w ? new Locals(w) : this;
  }
  equals(o: Locals): boolean { return this.words.every((v, k) => v === o.words[k]); }
  list(n: number): number[] { return Array.from({ length: n }, (_, i) => i).filter((i) => this.has(i)); }
}

/** For each site statement of `body` (a function with `count` locals), the indices of the locals live
 *  just before it, in increasing order; null when the analysis gave up (see the design note). */
export function liveAtSites(body: number, sites: Set<number>, count: number): Map<number, number[]> | null {
  const found = new Map<number, Locals>();
  const labels = new Map<string, Locals>();
  const none = Locals.empty(count);
  const info = <T>(e: number) => binaryen.getExpressionInfo(e) as unknown as T;

  /** What is live before `e`, given what is live after it. */
  const before = (e: number, after: Locals): Locals => {
    const live = beforeExpr(e, after);
    if (sites.has(e)) found.set(e, live);
    return live;
  };
  /** `kids` run in order, then `after`. */
  const sequence = (kids: number[], after: Locals): Locals => {
    let live = after;
    for (let k = kids.length - 1; k >= 0; k--) live = before(kids[k], live);
    return live;
  };
  const withLabel = (name: string | null | undefined, value: Locals, run: () => Locals): Locals => {
    if (!name) return run();
    const outer = labels.get(name);
    labels.set(name, value);
    try { return run(); } finally { if (outer) labels.set(name, outer); else labels.delete(name); }
  };
  const target = (name: string): Locals => {
    const live = labels.get(name);
    if (!live) throw new Error(`a branch to ${name}, which encloses nothing`);
    return live;
  };

  const beforeExpr = (e: number, after: Locals): Locals => {
    const id = binaryen.getExpressionId(e);
    switch (id) {
      case binaryen.LocalGetId: return after.with(info<binaryen.LocalGetInfo>(e).index);
      case binaryen.LocalSetId: {
        const set = info<binaryen.LocalSetInfo>(e);
        return before(set.value, after.without(set.index));
      }
      case binaryen.BlockId: {
        const b = info<binaryen.BlockInfo>(e);
        return withLabel(b.name, after, () => sequence(b.children, after));
      }
      case binaryen.LoopId: {
        const l = info<binaryen.LoopInfo>(e);
        let head = none;
        for (;;) {
          const next = withLabel(l.name, head, () => before(l.body, after));
          if (next.equals(head)) return head;
          head = next;
        }
      }
      case binaryen.IfId: {
        const i = info<binaryen.IfInfo>(e);
        const yes = before(i.ifTrue, after);
        const no = i.ifFalse ? before(i.ifFalse, after) : after;
        return before(i.condition, yes.union(no));
      }
      case binaryen.BreakId: {
        const b = info<binaryen.BreakInfo>(e);
        let live = b.condition ? target(b.name).union(after) : target(b.name);
        if (b.condition) live = before(b.condition, live);
        return b.value ? before(b.value, live) : live;
      }
      case binaryen.SwitchId: {
        const s = info<binaryen.SwitchInfo>(e);
        let live = s.defaultName ? target(s.defaultName) : none;
        for (const n of s.names) live = live.union(target(n));
        live = before(s.condition, live);
        return s.value ? before(s.value, live) : live;
      }
      case binaryen.ReturnId: {
        const value = info<binaryen.ReturnInfo>(e).value;
        return value ? before(value, none) : none;
      }
      case binaryen.UnreachableId: return none;
      case binaryen.CallIndirectId: {
        const c = info<binaryen.CallIndirectInfo>(e);
        return sequence([...c.operands, c.target], after);
      }
      default:
        // Every other kind evaluates its children in the order walk.ts lists them, then itself.
        return sequence(childrenOf(e).map((c) => c.child), after);
    }
  };

  try {
    before(body, none);
  } catch {
    return null;                               // a kind it does not know, or code nested too deep
  }
  const out = new Map<number, number[]>();
  for (const site of sites) {
    const live = found.get(site);
    if (!live) return null;                    // a site it never reached: keep everything
    out.set(site, live.list(count));
  }
  return out;
}
