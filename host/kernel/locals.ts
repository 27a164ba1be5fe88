// A parked thread's live locals, by name (a debugger's `bt`, thread dumps): read from its save area with
// the frame layouts a build with source lines keeps (the `weft.locals` section,
// host/compiler/passes/resumable.ts). Web-standard only.
//
// A rebuilt function's frame holds the locals live at the call it was in, each at its offset, and the
// call site's number in its last 4 bytes (host/compiler/passes/frames.ts). Unwinding pushes the innermost
// frame first, so the area's top (its first word, after a probe has put the frames back) is the end of
// the outermost frame's: read from there, each frame's site number says its size and where its locals
// are. The frames are those of the thread's backtrace, outermost first; a function with no layout (one
// Asyncify instrumented instead) ends the reading, since its frame's size is not known.

import { LOCALS_SECTION, type FrameLayout } from "../abi.js";

/** One local's value in a parked frame. */
export interface LocalValue { name: string; type: string; value: number | bigint }

/** The bytes before a save area's first frame: its current end and its end (assembly/core/layout.ts). */
const SAVE_AREA_HEADER = 8;

/** The module's frame layouts, or null: it was built without source lines. */
export function frameLayouts(module: WebAssembly.Module): Map<string, FrameLayout> | null {
  const sections = WebAssembly.Module.customSections(module, LOCALS_SECTION);
  if (!sections.length) return null;
  try { return new Map(Object.entries(JSON.parse(new TextDecoder().decode(sections[0])) as Record<string, FrameLayout>)); }
  catch { return null; }
}

/** The named locals of each frame in `symbols` (the thread's rebuilt functions, innermost first, as the
 *  module names them), read from the save area at `saveArea`: index in `symbols` → its locals. Frames
 *  past one that cannot be read get none. */
export function readLocals(memory: WebAssembly.Memory, saveArea: number, symbols: string[],
  layouts: Map<string, FrameLayout>): Map<number, LocalValue[]> {
  const out = new Map<number, LocalValue[]>();
  if (!saveArea) return out;
  const view = new DataView(memory.buffer);
  const bottom = saveArea + SAVE_AREA_HEADER;
  let top = view.getUint32(saveArea, true);
  for (let k = symbols.length - 1; k >= 0; k--) {
    const layout = layouts.get(symbols[k]);
    if (!layout || top - 4 < bottom || top > memory.buffer.byteLength) break;
    const frame = layout.sites[view.getInt32(top - 4, true)];
    if (!frame || top - frame.size < bottom) break;
    const start = top - frame.size;
    const values: LocalValue[] = [];
    frame.locals.forEach((l, i) => {
      const name = layout.names[l];
      if (name === null || name === undefined || /^\d+$/.test(name)) return;   // a temporary the build made
      const at = start + frame.offsets[i], type = layout.types[l];
      const value = type === "i64" ? view.getBigInt64(at, true) : type === "f32" ? view.getFloat32(at, true)
        : type === "f64" ? view.getFloat64(at, true) : view.getInt32(at, true);
      values.push({ name, type, value });
    });
    out.set(k, values);
    top = start;
  }
  return out;
}

/** `x = 3, ratio = 0.5, big = 1099511627776`. */
export function formatLocals(locals: LocalValue[]): string {
  return locals.map((l) => `${l.name} = ${l.type === "f32" || l.type === "f64" ? formatFloat(l.value as number) : String(l.value)}`).join(", ");
}

function formatFloat(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e21 ? x.toFixed(1) : String(x);
}
