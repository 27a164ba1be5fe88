// The frames of rebuilt functions (host/compiler/passes/resumable.ts): what each holds, and the code that pushes and pops
// them.
//
// A frame saved at a call site holds the locals live there (host/compiler/passes/liveness.ts), each at its offset, and
// then the site's number in its last 4 bytes. Frames go on the save area Asyncify's frames go to
// ({current, end} at __asyncify_data, or the area the loop chose), so rebuilt and Asyncify-instrumented
// frames nest freely: unwinding pushes the innermost first, rewinding pops the outermost first. Rewinding
// reads the site's number from the top of the area first, and a br_table on it picks that site's layout.

import binaryen from "../binaryen.js";
import { liveAtSites } from "./liveness.js";

/** What a frame saved at one site holds: the locals live there, at their offsets, then the site's number
 *  in the last 4 of `size` bytes. */
export interface Frame {
  locals: number[];
  offsets: number[];
  size: number;
}

/** The frame of each site (statement → number in `sites`): only what is live there, or (when the
 *  analysis gave up) every local. `locals` are the function's local types, params first. */
export function framesOf(body: number, sites: Map<number, number>, locals: number[]): Map<number, Frame> {
  const live = liveAtSites(body, new Set(sites.keys()), locals.length);
  const frames = new Map<number, Frame>();
  for (const [statement, site] of sites) {
    const held = live?.get(statement) ?? locals.map((_, i) => i);
    const offsets: number[] = [];
    let size = 0;
    for (const i of held) {
      offsets.push(size);
      size += locals[i] === binaryen.i64 || locals[i] === binaryen.f64 ? 8 : 4;
    }
    frames.set(site, { locals: held, offsets, size: size + 4 });
  }
  return frames;
}

/** Functions the frames' pushes call when a frame does not fit (FrameCode.push): one per frame layout and
 *  save area, named by this prefix; kept out of line (host/compiler/pipeline.ts, NEVER_INLINE). */
export const SPILL_PUSH = "weft$spillPush";

/** The code that moves one function's frames. `cur` and `route` are locals of the function (a pointer
 *  into the area, and the site number a rewind goes to); `spill` is the function a frame calls when it
 *  does not fit (assembly/core/scheduler.ts, saveAreaSpill). */
export class FrameCode {
  constructor(private readonly mod: binaryen.Module, private readonly locals: number[],
              private readonly frames: Map<number, Frame>, private readonly cur: number,
              private readonly route: number, private readonly spill: string) {}

  /** Stores the frame of `site` at `cur`: its locals, then the site's number. */
  save(site: number): number[] {
    const { mod, cur } = this;
    const f = this.frames.get(site)!;
    return [
      ...f.locals.map((l, k) => store(mod, this.locals[l], f.offsets[k], mod.local.get(cur, binaryen.i32), mod.local.get(l, this.locals[l]))),
      mod.i32.store(f.size - 4, 4, mod.local.get(cur, binaryen.i32), mod.i32.const(site)),
    ];
  }

  /** Pushes the frame of `site` at `at` (an expression), the end of the save area `area` (an expression:
   *  a global.get). A frame that does not fit before the area's end goes through the spill
   *  (assembly/core/savearea.ts, "Direct unwinds"): a direct unwind moves to the scratch area; there, a
   *  frame that does not fit is not written, and the end is 0, which the loop takes as "frames lost"
   *  (save-area overflow) and which keeps every later frame of this unwind from writing too.
   *  The spill and the frame after it are a call of their own (spillPush): a call written here, with the
   *  frame's locals stored after it, made V8 keep those locals across it on the fast path as well — fib
   *  with safepoints ran 16.5 ms against 14.4 with the call out of line (bench/programs/preempt_kernels.ts,
   *  the module edited by hand, medians of 18 runs). */
  push(site: number, at: number, area: () => number): number[] {
    const { mod, cur } = this;
    const i32 = binaryen.i32;
    const f = this.frames.get(site)!;
    return [
      mod.local.set(cur, at),
      mod.if(mod.i32.gt_u(mod.i32.add(mod.local.get(cur, i32), mod.i32.const(f.size)), mod.i32.load(4, 4, area())),
        mod.call(this.spillPush(f, area), [mod.local.get(cur, i32), ...f.locals.map((l) => mod.local.get(l, this.locals[l])),
          mod.i32.const(site)], binaryen.none),
        mod.block(null, [
          ...this.save(site),
          mod.i32.store(0, 4, area(), mod.i32.add(mod.local.get(cur, i32), mod.i32.const(f.size))),
        ], binaryen.none)),
    ];
  }

  /** The out-of-line push of a frame shaped like `f` into `area`: (cur, its locals' values, site) → the
   *  spill, then the frame where the spill put the unwind, if anywhere. Made once per shape and area. */
  private spillPush(f: Frame, area: () => number): string {
    const { mod } = this;
    const i32 = binaryen.i32;
    const types = f.locals.map((l) => this.locals[l]);
    const areaGlobal = (binaryen.getExpressionInfo(area()) as binaryen.GlobalGetInfo).name;
    const name = `${SPILL_PUSH}$${areaGlobal}$${types.map(typeLetter).join("")}`;
    if (mod.getFunction(name)) return name;
    const cur = 0, siteParam = types.length + 1;
    mod.addFunction(name, binaryen.createType([i32, ...types, i32]), binaryen.none, [], mod.block(null, [
      mod.local.set(cur, mod.call(this.spill, [mod.local.get(cur, i32), mod.i32.const(f.size)], i32)),
      mod.if(mod.local.get(cur, i32), mod.block(null, [
        ...types.map((t, k) => store(mod, t, f.offsets[k], mod.local.get(cur, i32), mod.local.get(k + 1, t))),
        mod.i32.store(f.size - 4, 4, mod.local.get(cur, i32), mod.local.get(siteParam, i32)),
        mod.i32.store(0, 4, area(), mod.i32.add(mod.local.get(cur, i32), mod.i32.const(f.size))),
      ], binaryen.none)),
    ], binaryen.none));
    return name;
  }

  /** Pops the top frame of the area `data` (an expression): reads its site's number into `route`, then
   *  its locals by that site's layout. */
  pop(data: () => number): number[] {
    const { mod, cur } = this;
    const i32 = binaryen.i32;
    const restoreAt = (site: number) => {
      const f = this.frames.get(site)!;
      return [
        mod.local.set(cur, mod.i32.sub(mod.local.get(cur, i32), mod.i32.const(f.size))),
        ...f.locals.map((l, k) => mod.local.set(l, load(mod, this.locals[l], f.offsets[k], mod.local.get(cur, i32)))),
      ];
    };
    const sites = [...this.frames.keys()].sort((a, b) => a - b);
    let pick: number;
    if (sites.length === 1) {
      pick = mod.block(null, restoreAt(sites[0]), binaryen.none);
    } else {
      // (block $popped (block $pop_k … (block $pop_1 (br_table … route)) restore 1 (br $popped) …) restore k)
      const name = (site: number) => `weft$pop${site}`;
      const last = sites.at(-1)!;
      const table = [name(sites[0]), ...Array.from({ length: last }, (_, i) => name(i + 1))];
      let inner = mod.switch(table, name(last), mod.local.get(this.route, i32));
      for (const site of sites) {
        inner = mod.block(null, [mod.block(name(site), [inner], binaryen.none), ...restoreAt(site),
          ...(site === last ? [] : [mod.br("weft$popped")])], binaryen.none);
      }
      pick = mod.block("weft$popped", [inner], binaryen.none);
    }
    return [
      mod.local.set(cur, mod.i32.load(0, 4, data())),
      mod.local.set(this.route, mod.i32.load(0, 4, mod.i32.sub(mod.local.get(cur, i32), mod.i32.const(4)))),
      pick,
      mod.i32.store(0, 4, data(), mod.local.get(cur, i32)),
    ];
  }
}

const typeLetter = (t: number) => t === binaryen.i32 ? "i" : t === binaryen.i64 ? "I" : t === binaryen.f32 ? "f" : "F";

function store(mod: binaryen.Module, t: number, offset: number, ptr: number, value: number): number {
  return t === binaryen.i32 ? mod.i32.store(offset, 4, ptr, value) : t === binaryen.i64 ? mod.i64.store(offset, 8, ptr, value) :
    t === binaryen.f32 ? mod.f32.store(offset, 4, ptr, value) : mod.f64.store(offset, 8, ptr, value);
}

function load(mod: binaryen.Module, t: number, offset: number, ptr: number): number {
  return t === binaryen.i32 ? mod.i32.load(offset, 4, ptr) : t === binaryen.i64 ? mod.i64.load(offset, 8, ptr) :
    t === binaryen.f32 ? mod.f32.load(offset, 4, ptr) : mod.f64.load(offset, 8, ptr);
}
