// Backtraces of threads: reading the engine's stack traces.
//
// A running thread's frames are on the engine's stack, and a stack trace names them; a parked thread's
// frames are put back there for a moment (assembly/core/inspect.ts, "Backtraces": the core rewinds it and
// calls the `frames` import where it parked). Either way a stack trace holds the frames, innermost first,
// each `wasm-function[index]:0xoffset` (V8: `at name (wasm://wasm/…:wasm-function[7]:0x1a2)`, Firefox:
// `name@…:wasm-function[7]:0x1a2`); the names come from the module's name section (the build keeps it),
// read here once per module, so no engine's way of printing names matters. Of those frames a backtrace
// keeps the thread's own: from the function that called the switch (or trapped) to the thread's entry;
// the switch itself and the loop under the entry are weft's machinery, not the thread's.

/** One frame of a thread, innermost first. */
import { formatLocals, type LocalValue } from "./locals.js";

export interface BacktraceFrame {
  /** The function, as the program wrote it: `leaf`, `Mutex#lock`, `worker~anonymous|0`. */
  function: string;
  /** The source file it is in, from its name (AssemblyScript names a function `path/to/file/name`). */
  file: string;
  /** The function's index in the module, and the offset in the module of the call (or the trapping
   *  instruction): what a disassembly or a source map of the module is looked up with. */
  index: number;
  offset: number;
  /** Where the call (or the trapping instruction) is in the source, when the module was built with
   *  source lines (BuildOptions.lines, `weft build --lines`): then `file` is the source's. */
  line?: number;
  column?: number;
  /** The locals live in this frame of a parked thread, by name (a build with source lines: locals.ts). */
  locals?: LocalValue[];
}

/** A module's source map ("weft.lines", host/compiler/lines.ts), decoded: offsets in the module, sorted,
 *  each with its source (an index into `sources`, -1 for none), line and column. */
export interface LineTable {
  offsets: number[];
  source: number[];
  line: number[];
  column: number[];
  sources: string[];
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** The module's line table, or null when it was built without source lines. */
export function lineTable(module: WebAssembly.Module): LineTable | null {
  const sections = WebAssembly.Module.customSections(module, "weft.lines");
  if (!sections.length) return null;
  let map: { sources?: string[]; mappings?: string };
  try { map = JSON.parse(new TextDecoder().decode(sections[0])); } catch { return null; }
  const table: LineTable = { offsets: [], source: [], line: [], column: [], sources: map.sources ?? [] };
  const digits = new Map([...BASE64].map((c, i) => [c, i]));
  let offset = 0, source = 0, line = 0, column = 0;
  for (const segment of (map.mappings ?? "").split(/[,;]/)) {
    if (!segment) continue;
    const fields: number[] = [];
    let value = 0, shift = 0;
    for (const c of segment) {
      const d = digits.get(c) ?? 0;
      value += (d & 31) << shift;
      if (d & 32) { shift += 5; continue; }
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
    offset += fields[0] ?? 0;
    if (fields.length >= 4) { source += fields[1]; line += fields[2]; column += fields[3]; }
    table.offsets.push(offset);
    table.source.push(fields.length >= 4 ? source : -1);
    table.line.push(line + 1);
    table.column.push(column + 1);
  }
  return table;
}

/** Where the code at `offset` came from: the last mapping at or before it, if it has a source. */
function lookup(table: LineTable, offset: number): { file: string; line: number; column: number } | null {
  let lo = 0, hi = table.offsets.length - 1, at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (table.offsets[mid] <= offset) { at = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (at < 0 || table.source[at] < 0) return null;
  return { file: sourceFile(table.sources[table.source[at]] ?? ""), line: table.line[at], column: table.column[at] };
}

/** A source's path as a frame shows it: weft's own files under weft/, the standard library's under std/. */
function sourceFile(path: string): string {
  return path.replace(/^~lib\/weft\//, "weft/").replace(/^~lib\//, "std/");
}

const WASM_FRAME = /wasm-function\[(\d+)\]:0x([0-9a-f]+)/;

/** Functions at the bottom of a parked thread's frames: the switch and what a backtrace's rewind ends in. */
const SWITCH = /\/core\/(scheduler\/(suspend|safepointSwitch|preemptSwitch)|inspect\/probeHere)$/;
/** Functions under a thread's entry: the loop that called it (or a probe's rewind), and the host's exports. */
const LOOP = /\/core\/(scheduler\/runLoop|inspect\/probeFrames)$|(^|\/)(weft_run|weft_backtrace)$/;
/** weft's generated entry (host/compiler/pipeline.ts): the wrapper around main, not the program's. */
const GENERATED = /^__weft_entry__\//;

/** Function names by index, from a module's name section (subsection 1). */
export function functionNames(module: WebAssembly.Module): Map<number, string> {
  const names = new Map<number, string>();
  const sections = WebAssembly.Module.customSections(module, "name");
  if (!sections.length) return names;
  const bytes = new Uint8Array(sections[0]);
  let at = 0;
  const leb = () => {
    let value = 0, shift = 0, byte: number;
    do { byte = bytes[at++]; value |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
    return value >>> 0;
  };
  const decoder = new TextDecoder();
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (id === 1) {
      for (let n = leb(); n > 0; n--) {
        const index = leb();
        const length = leb();
        names.set(index, decoder.decode(bytes.subarray(at, at + length)));
        at += length;
      }
    }
    at = end;
  }
  return names;
}

/** Splits a function's name into what the program calls it and its file. The build's rebuilt copies
 *  (`~resume`, `~fast`: host/compiler/passes/resumable.ts) are the function they were made from. */
function describe(name: string): { function: string; file: string } {
  name = name.replace(/~(resume|fast)$/, "");
  const method = name.indexOf("#");
  const slash = name.lastIndexOf("/", method < 0 ? name.length : method);
  if (slash < 0) return { function: name, file: "" };
  const file = name.slice(0, slash).replace(/^~lib\/weft\//, "weft/").replace(/^~lib\//, "std/") + ".ts";
  return { function: name.slice(slash + 1), file };
}

/** The Wasm frames of a stack trace, innermost first, named. */
export function wasmFrames(stack: string, names: Map<number, string>, lines: LineTable | null = null): { name: string; frame: BacktraceFrame }[] {
  const frames: { name: string; frame: BacktraceFrame }[] = [];
  for (const line of stack.split("\n")) {
    const m = WASM_FRAME.exec(line);
    if (!m) continue;
    const index = Number(m[1]);
    const name = names.get(index) ?? `wasm-function[${index}]`;
    const offset = parseInt(m[2], 16);
    const at = lines ? lookup(lines, offset) : null;
    frames.push({ name, frame: { ...describe(name), index, offset, ...(at ?? {}) } });
  }
  return frames;
}

/** A thread's own frames in a stack trace taken inside it: past the switch it parked in (if any), up to
 *  its entry, the last frame before the loop. */
export function threadFrames(stack: string, names: Map<number, string>, lines: LineTable | null = null,
  symbols?: { own: number[]; all: string[] }): BacktraceFrame[] {
  const frames = wasmFrames(stack, names, lines);
  let from = 0;
  while (from < frames.length && SWITCH.test(frames[from].name)) from++;
  let to = frames.findIndex((f, i) => i >= from && LOOP.test(f.name));
  if (to < 0) to = frames.length;
  // A function the build rebuilt stands twice: its dispatcher, then the part that ran (its ~resume or
  // ~fast copy: host/compiler/passes/resumable.ts); the inner one holds the call.
  const own: BacktraceFrame[] = [];
  let last = "";
  for (const f of frames.slice(from, to)) {
    const base = f.name.replace(/~(resume|fast)$/, "");
    if (base === last) continue;
    last = base;
    symbols?.all.push(base);                    // every function with a frame, for locals.ts
    if (GENERATED.test(f.name)) continue;
    symbols?.own.push(symbols.all.length - 1);
    own.push(f.frame);
  }
  return own;
}

/** Takes a stack trace here with room for deep threads (an engine keeps 10 frames by default). */
export function stackHere(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_FRAMES_MAX;
  try { return stackOf(new Error()); } finally { Error.stackTraceLimit = limit; }
}

type Prepare = (error: Error, frames: { toString(): string }[]) => unknown;

/** An error's stack trace in the engine's own words. V8 formats a stack when it is first read, through
 *  Error.prepareStackTrace if a tool installed one (test runners and source-map loaders do, and may drop
 *  or rewrite Wasm frames); while it is read here, the frames are put as V8 itself prints them. */
export function stackOf(error: unknown): string {
  const E = Error as unknown as { prepareStackTrace?: Prepare };
  const installed = E.prepareStackTrace;
  E.prepareStackTrace = (e, frames) => `${e}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
  try { return String((error as Error)?.stack ?? ""); } finally { E.prepareStackTrace = installed; }
}

/** How many frames a stack trace keeps while weft runs or probes (a deeper thread shows its innermost). */
export const STACK_FRAMES_MAX = 200;

/** A backtrace as lines, innermost first, as a thread dump and a deadlock report print it. */
export function formatBacktrace(frames: BacktraceFrame[], indent = "    "): string {
  if (!frames.length) return "";
  const width = Math.min(40, Math.max(...frames.map((f) => f.function.length)));
  return frames.map((f) =>
    `${indent}${f.function.padEnd(width)}  ${f.file ? f.file + (f.line ? `:${f.line}:${f.column}` : "") + "  " : ""}wasm-function[${f.index}]:0x${f.offset.toString(16)}` +
    (f.locals?.length ? `\n${indent}  | ${formatLocals(f.locals)}` : "")).join("\n");
}
