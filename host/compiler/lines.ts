// Source lines for backtraces (BuildOptions.lines, `weft build --lines`).
//
// The problem. A backtrace names each frame's function and the offset of its call in the module
// (host/kernel/backtrace.ts); a reader wants file:line. asc knows where each expression came from and
// says so in a source map, but Binaryen's JavaScript API reads a module without one, and cannot read an
// expression's location or copy it: the functions weft rebuilds (host/compiler/passes/resumable.ts) are
// copies, and they are where a parked thread's frames are.
//
// Chosen. asc is asked for locations (--sourceMap) and the pipeline starts from the module's text, which
// carries them (`;;@ file:line:column` before each expression; Binaryen's text parser reads them back), so
// every function the build does not rebuild keeps its locations through the passes. Before the rebuild,
// the text of each function gives its calls in the order they run, each with its location (callLocations);
// the rebuild sets that location on the call it makes for each site (a site is a call that may switch,
// and calls to one callee keep their order), with the one write the API has (setDebugLocation). The final
// module is written with a source map, which goes into its "weft.lines" custom section, after the code:
// offsets in the module are unchanged by it. The host decodes it and looks each frame's offset up
// (host/kernel/backtrace.ts).

import binaryen from "./binaryen.js";

/** Where an expression came from. */
export interface SourceLocation { file: string; line: number; column: number }

/** Each function's calls, by callee, in the order they run (post-order: arguments first), with the
 *  location in force at each (the last `;;@` printed before it). `bodies` is function name → its text. */
export function callLocations(bodies: Map<string, string>): Map<string, Map<string, (SourceLocation | null)[]>> {
  const all = new Map<string, Map<string, (SourceLocation | null)[]>>();
  for (const [name, body] of bodies) {
    const calls = new Map<string, (SourceLocation | null)[]>();
    const open: { callee: string | null; at: SourceLocation | null }[] = [];
    let at: SourceLocation | null = null;
    let i = body.indexOf("\n");                  // past the function's own line
    if (i < 0) continue;
    while (i < body.length) {
      const c = body[i];
      if (c === '"') {                             // a quoted name or string: nothing in it counts
        for (i++; i < body.length && body[i] !== '"'; i++) if (body[i] === "\\") i++;
        i++;
      } else if (c === ";" && body.startsWith(";;@ ", i)) {
        const end = body.indexOf("\n", i);
        const m = /^;;@ (.+):(\d+):(\d+)$/.exec(body.slice(i, end < 0 ? body.length : end));
        if (m) at = { file: m[1], line: Number(m[2]), column: Number(m[3]) };
        i = end < 0 ? body.length : end;
      } else if (c === "(") {
        const m = /^\((call|return_call) \$("(?:[^"\\]|\\.)*"|[^\s()]+)/.exec(body.slice(i, i + 400));
        open.push({ callee: m ? m[2].replace(/^"|"$/g, "") : null, at });
        i++;
      } else if (c === ")") {
        const node = open.pop();
        if (node?.callee) {
          if (!calls.has(node.callee)) calls.set(node.callee, []);
          calls.get(node.callee)!.push(node.at);
        }
        i++;
      } else i++;
    }
    all.set(name, calls);
  }
  return all;
}

/** The files locate() registered, by module. */
const registered = new WeakMap<binaryen.Module, Map<string, number>>();

/** Sets `at` on `expr` in `func` (registering its file once per module). */
export function locate(mod: binaryen.Module, func: number, expr: number, at: SourceLocation): void {
  let files = registered.get(mod);
  if (!files) registered.set(mod, files = new Map());
  let index = files.get(at.file);
  if (index === undefined) {
    index = (mod as unknown as { addDebugInfoFileName(f: string): number }).addDebugInfoFileName(at.file);
    files.set(at.file, index);
  }
  (mod as unknown as { setDebugLocation(f: number, e: number, file: number, line: number, column: number): void })
    .setDebugLocation(func, expr, index, at.line, at.column);
}

/** The module's custom section that holds its source map (a JSON source map: generated column = offset). */
export const LINES_SECTION = "weft.lines";

/** `wasm` with a custom section `name` holding `text`, appended at the end (after the code: no offset in
 *  the module moves). */
export function appendCustomSection(wasm: Uint8Array, name: string, text: string): Uint8Array {
  const encoder = new TextEncoder();
  const nameBytes = encoder.encode(name), body = encoder.encode(text);
  const leb = (n: number) => {
    const out: number[] = [];
    do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
    return out;
  };
  const payload = [...leb(nameBytes.length), ...nameBytes];
  const size = leb(payload.length + body.length);
  const out = new Uint8Array(wasm.length + 1 + size.length + payload.length + body.length);
  out.set(wasm, 0);
  let at = wasm.length;
  out[at++] = 0;
  out.set(size, at); at += size.length;
  out.set(payload, at); at += payload.length;
  out.set(body, at);
  return out;
}
