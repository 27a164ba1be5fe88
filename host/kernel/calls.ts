// Host functions, the host's half (assembly/sys/call.ts, "Design note"): the functions a run is given in
// `options.imports` ({ app: { lookup, fetchUser } }), called for the program's threads.
//
// A module lists its host functions in its CALLS_SECTION; each call arrives as an IO_OP_CALL request,
// which HostCalls — an I/O host wrapped around the run's own — answers. The function is called with the
// arguments read from the thread's argument block, as their Wasm types give them (i32, f32, f64 as
// numbers, i64 as a BigInt), and `this` a CallContext that reads the program's strings and arrays:
//     lookup(id) { return table[id]; }                       // a number: answered at once
//     async fetchUser(namePtr) { const name = this.string(namePtr); ... return json; }   // parks the thread
// What it returns (or its Promise settles to) goes back in the block's first 8 bytes: a number (or a
// boolean) as the Wasm result type; a BigInt for i64; a string or bytes as their length, kept for the
// thread's hostText() / hostBytes() (IO_OP_CALL_TEXT); nothing as 0. A throw, a rejection or a value the
// type cannot hold fails that call only: the thread gets 0 and errno EIO, and hostText() says why.
//
// Imports built as syncImports stay Wasm imports (syncImportObject): the function is called directly.
// It may not return a Promise, and what it throws kills the calling thread as a trap would (the run
// goes on). In a shared run processors are Workers, where a run's functions cannot go: only host
// functions (which run on the I/O owner's thread, the one that called runShared) work there.

import { CALLS_SECTION, type HostCall } from "../abi.js";
import { ERRNO } from "../io/abi.js";
import { PENDING, type Answer, type IoContext, type IoHost, type IoRequest } from "../io/host.js";
import type { DirectSends } from "../io/direct.js";

/** What a run gives: functions by module and name. */
export type HostImports = Record<string, Record<string, (...args: any[]) => unknown>>;

/** `this` inside a host function: reads what the program passed by address. */
export interface CallContext {
  /** The AssemblyScript string at `ptr` (0: ""). */
  string(ptr: number): string;
  /** A copy of the bytes of the Uint8Array (or other typed array) object at `ptr`. */
  bytes(ptr: number): Uint8Array;
  /** A copy of the bytes of the ArrayBuffer at `ptr`. */
  buffer(ptr: number): Uint8Array;
}

/** The bytes of a module's source, when it was given as bytes (syncImportObject reads its types). */
export function moduleBytes(source: BufferSource | WebAssembly.Module): Uint8Array | null {
  if (source instanceof WebAssembly.Module) return null;
  return source instanceof Uint8Array ? source : ArrayBuffer.isView(source)
    ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength) : new Uint8Array(source);
}

/** The call table a module carries (empty: it calls no host function). */
export function callTable(module: WebAssembly.Module): HostCall[] {
  const sections = WebAssembly.Module.customSections(module, CALLS_SECTION);
  return sections.length ? JSON.parse(new TextDecoder().decode(sections[0])) as HostCall[] : [];
}

/** The function `imports` gives for module.name, or undefined. */
function given(imports: HostImports | undefined, module: string, name: string): ((...args: any[]) => unknown) | undefined {
  const f = imports?.[module]?.[name];
  return typeof f === "function" ? f : undefined;
}

/** Why `imports` does not cover the module's host functions, or null. */
export function callsError(table: readonly HostCall[], imports: HostImports | undefined): string | null {
  const missing = table.filter((c) => !given(imports, c.module, c.name)).map((c) => `${c.module}.${c.name}`);
  if (!missing.length) return null;
  return `the program calls host function${missing.length > 1 ? "s" : ""} ${missing.join(", ")}, which the run was not given (options.imports)`;
}

const thenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as { then?: unknown }).then === "function";

/** A CallContext over `bytes` (a fresh view of linear memory at ptr, len). */
function callContext(bytes: (ptr: number, len: number) => Uint8Array): CallContext {
  const u32 = (ptr: number) => new DataView(bytes(ptr, 4).slice().buffer).getUint32(0, true);
  return {
    string(ptr) {
      if (!ptr) return "";
      const units = u32(ptr - 4) >>> 1;
      return new TextDecoder("utf-16le").decode(bytes(ptr, units * 2).slice());
    },
    bytes(ptr) { return ptr ? bytes(u32(ptr + 4), u32(ptr + 8)).slice() : new Uint8Array(0); },
    buffer(ptr) { return ptr ? bytes(ptr, u32(ptr - 4)).slice() : new Uint8Array(0); },
  };
}

/** The Wasm imports for the module's sync imports: each function called directly, with `this` a
 *  CallContext; a Promise or a throw becomes a trap of the calling thread. */
export function syncImportObject(module: WebAssembly.Module, bytes: Uint8Array | null, imports: HostImports | undefined,
  memory: () => WebAssembly.Memory, own: (module: string, name: string) => boolean): WebAssembly.Imports {
  const arities = bytes ? importArities(bytes) : new Map<string, number>();
  const out: Record<string, Record<string, (...args: unknown[]) => unknown>> = {};
  const ctx = callContext((ptr, len) => new Uint8Array(memory().buffer, ptr, len));
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== "function" || own(imp.module, imp.name)) continue;
    const f = given(imports, imp.module, imp.name);
    if (!f) continue;                            // loadModule names what is missing
    (out[imp.module] ??= {})[imp.name] = directCall(f, ctx, `${imp.module}.${imp.name}`, arities.get(`${imp.module}.${imp.name}`) ?? -1);
  }
  return out as WebAssembly.Imports;
}

/** The parameter count of every imported function ("module.name"), read from the module's bytes (the
 *  type and import sections; an engine with the type reflection proposal would say it too). */
export function importArities(bytes: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  let at = 8;
  const u32 = () => { let v = 0, shift = 0, b: number; do { b = bytes[at++]; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); return v >>> 0; };
  const name = () => { const n = u32(); const s = new TextDecoder().decode(bytes.subarray(at, at + n)); at += n; return s; };
  const limits = () => { const flags = bytes[at++]; u32(); if (flags & 1) u32(); };
  const params: number[] = [];
  while (at < bytes.length) {
    const id = bytes[at++], size = u32(), end = at + size;
    if (id === 1) {                              // types: 0x60 params results
      for (let n = u32(), k = 0; k < n; k++) {
        if (bytes[at++] !== 0x60) return out;    // a type this reader does not know: give up quietly
        const p = u32(); at += p; params.push(p);
        at += u32();
      }
    } else if (id === 2) {                       // imports
      for (let n = u32(), k = 0; k < n; k++) {
        const key = `${name()}.${name()}`, kind = bytes[at++];
        if (kind === 0) out.set(key, params[u32()] ?? -1);
        else if (kind === 1) { at++; limits(); }
        else if (kind === 2) limits();
        else if (kind === 3) at += 2;
        else if (kind === 4) { at++; u32(); }
        else return out;
      }
      return out;
    }
    at = end;
  }
  return out;
}

/** `f` as a sync import: called with `this` = ctx; a Promise or a throw becomes a trap of the calling
 *  thread. Written out for the usual arities, each check inline: a rest parameter, apply or a helper
 *  call would cost more than the call itself (bench/calls.js, host_call_ratio). */
export function directCall(f: (...args: any[]) => unknown, ctx: CallContext, what: string, arity: number): (...args: any[]) => unknown {
  const promised = () => new WebAssembly.RuntimeError(`host function ${what} returned a Promise, but it was built as a sync import`);
  const threw = (e: unknown) => new WebAssembly.RuntimeError(`host function ${what} threw: ${(e as Error)?.message ?? e}`);
  type V = { then?: unknown } | null;
  switch (arity) {
    case 0: return () => {
      let v; try { v = f.call(ctx); } catch (e) { throw threw(e); }
      if (typeof v === "object" && v !== null && typeof (v as V)!.then === "function") throw promised();
      return v;
    };
    case 1: return (a: unknown) => {
      let v; try { v = f.call(ctx, a); } catch (e) { throw threw(e); }
      if (typeof v === "object" && v !== null && typeof (v as V)!.then === "function") throw promised();
      return v;
    };
    case 2: return (a: unknown, b: unknown) => {
      let v; try { v = f.call(ctx, a, b); } catch (e) { throw threw(e); }
      if (typeof v === "object" && v !== null && typeof (v as V)!.then === "function") throw promised();
      return v;
    };
    case 3: return (a: unknown, b: unknown, c: unknown) => {
      let v; try { v = f.call(ctx, a, b, c); } catch (e) { throw threw(e); }
      if (typeof v === "object" && v !== null && typeof (v as V)!.then === "function") throw promised();
      return v;
    };
    default: return (...args: unknown[]) => {
      let v; try { v = f.apply(ctx, args); } catch (e) { throw threw(e); }
      if (thenable(v)) throw promised();
      return v;
    };
  }
}

/** What a call left for hostText() / hostBytes(). */
interface Left { text?: string; bytes?: Uint8Array }

/** The run's I/O host with host functions in front (IO_OP_CALL, IO_OP_CALL_TEXT); every other call
 *  goes to `inner`. */
export class HostCalls implements IoHost {
  private readonly left = new Map<number, Left>();     // by thread id (ids are never reused: a generation)
  private context: CallContext | null = null;          // `this` of the functions, over the run's memory
  private contextOf: IoContext | null = null;
  constructor(private readonly inner: IoHost, private readonly table: readonly HostCall[], private readonly imports: HostImports) {}

  submit(req: IoRequest, ctx: IoContext): Answer {
    if (req.op === "call") return this.call(req, ctx);
    if (req.op === "call_text") return this.text(req, ctx);
    return this.inner.submit(req, ctx);
  }

  openDescriptors(): number[] { return this.inner.openDescriptors?.() ?? [0, 1, 2]; }

  unblocked(req: IoRequest, ctx: IoContext): IoRequest {
    if (req.op === "call" || req.op === "call_text") return req;
    return this.inner.unblocked ? this.inner.unblocked(req, ctx) : req;
  }

  offerSends(sends: DirectSends): boolean { return this.inner.offerSends?.(sends) ?? false; }
  turn(): Promise<void> { return this.inner.turn(); }
  close(): Promise<void> { this.left.clear(); return this.inner.close(); }

  private call(req: IoRequest, ctx: IoContext): Answer {
    const entry = this.table[req.fd];
    const f = entry && given(this.imports, entry.module, entry.name);
    if (!entry || !f || req.len !== entry.params.length) return this.fail(req, ctx, `no host function ${req.fd}`);
    const what = `${entry.module}.${entry.name}`;
    const block = ctx.bytes(req.ptr, 8 * Math.max(1, req.len));
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    const params = entry.params, args = new Array(params.length);
    for (let k = 0; k < params.length; k++) {
      const t = params[k];
      args[k] = t === "i32" ? view.getInt32(8 * k, true) : t === "f64" ? view.getFloat64(8 * k, true)
        : t === "i64" ? view.getBigInt64(8 * k, true) : view.getFloat32(8 * k, true);
    }
    if (this.left.size) this.left.delete(req.thread);
    if (this.contextOf !== ctx) { this.context = callContext(ctx.bytes); this.contextOf = ctx; }
    let v: unknown;
    try { v = f.apply(this.context, args); }
    catch (e) { return this.fail(req, ctx, `${what} threw: ${(e as Error)?.message ?? e}`); }
    if (!thenable(v)) return this.answer(req, ctx, entry, what, v, view);
    Promise.resolve(v).then(
      (value) => ctx.complete(req.addr, this.answer(req, ctx, entry, what, value)),
      (e) => ctx.complete(req.addr, this.fail(req, ctx, `${what} rejected: ${(e as Error)?.message ?? e}`)),
    );
    return PENDING;
  }

  /** Writes a value into the block's first 8 bytes as the result type; returns the request's result. */
  private answer(req: IoRequest, ctx: IoContext, entry: HostCall, what: string, v: unknown, fresh?: DataView): number {
    const type = entry.results[0];
    let n: number | bigint = 0;
    if (typeof v === "string") { this.left.set(req.thread, { text: v }); n = v.length; }
    else if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
      const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : v;
      this.left.set(req.thread, { bytes: bytes.slice() });
      n = bytes.length;
    } else if (typeof v === "boolean") n = v ? 1 : 0;
    else if (typeof v === "number" || typeof v === "bigint") n = v;
    else if (v !== undefined && v !== null) return this.fail(req, ctx, `${what} returned ${typeof v}, which a host call cannot carry`);
    if (type === undefined) return 0;
    let view = fresh;                                    // the call's own view, when it answers at once
    if (!view) { const block = ctx.bytes(req.ptr, 8); view = new DataView(block.buffer, block.byteOffset, 8); }
    if (type === "i64") {
      if (typeof n === "number" && !Number.isInteger(n)) return this.fail(req, ctx, `${what} returned ${n}, which an i64 cannot hold`);
      view.setBigInt64(0, BigInt.asIntN(64, BigInt(n)), true);
    } else {
      const x = Number(n);
      if (type === "i32") view.setInt32(0, x | 0, true);
      else if (type === "f32") view.setFloat32(0, x, true);
      else view.setFloat64(0, x, true);
    }
    return 0;
  }

  /** Fails the call: 0 in the block, the reason kept for hostText(); returns -EIO. */
  private fail(req: IoRequest, ctx: IoContext, reason: string): number {
    if (req.ptr) ctx.bytes(req.ptr, 8).fill(0);
    this.left.set(req.thread, { text: reason });
    return -ERRNO.EIO;
  }

  /** IO_OP_CALL_TEXT: what the last call left, as UTF-16 text (flags FLAG_UTF16) or bytes. */
  private text(req: IoRequest, ctx: IoContext): number {
    const left = this.left.get(req.thread);
    if (!left) return -ERRNO.ENOENT;
    const utf16 = (req.flags & 0x8000_0000) !== 0;
    if (utf16) {
      const text = left.text ?? new TextDecoder().decode(left.bytes);
      if (!req.ptr) return text.length;
      const n = Math.min(text.length, req.len);
      const out = ctx.bytes(req.ptr, n * 2);
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      for (let i = 0; i < n; i++) view.setUint16(i * 2, text.charCodeAt(i), true);
      return n;
    }
    const bytes = left.bytes ?? new TextEncoder().encode(left.text);
    if (!req.ptr) return bytes.length;
    const n = Math.min(bytes.length, req.len);
    ctx.bytes(req.ptr, n).set(bytes.subarray(0, n));
    return n;
  }
}
