// JavaScript calling in: `start` keeps an instance alive and `app.call("handle", ...args)` runs an exported
// function as a new weft thread (assembly/sys/serve.ts, "Design note"; the build's half:
// host/compiler/passes/exports.ts).
//
//     const app = await start(wasm, { stdout: console.log });   // main runs to its end first
//     const greeting = await app.call("greet", "Ada");           // a thread; many calls, many threads
//     await app.close();                                         // ends the instance and its threads
//
// The calls travel as system calls: ServeIo, an I/O host wrapped around the run's own, answers the
// program's dispatcher thread (call_next, call_fill) and its calls' returns (return). That host runs
// where every system call of the run is answered — the thread that called start — in N:1 and, with
// `processors`, in M:N and 1:1 (`model: "1:1"`), so this file is the same for all three. Arguments are
// lowered by their AssemblyScript types (the module's `weft.exports` section): numbers, booleans,
// BigInts for 64-bit integers, strings, and Uint8Arrays for Uint8Array and ArrayBuffer parameters;
// results are lifted the same way. What goes wrong rejects that call only, with a WeftError that names
// it: an export that does not exist or cannot be called, wrong arguments, a thread that traps, a thread
// whose wait closes a cycle of waits (the deadlock report), a call after close(). The instance serves on.
// Threads blocked with nothing to wake them are not an error here: the next call may wake them.

import { EXPORTS_SECTION, type CallableExport, type CallKind, type SkippedExport } from "./abi.js";
import { ERRNO } from "./io/abi.js";
import { PENDING, type Answer, type IoContext, type IoHost, type IoRequest } from "./io/host.js";
import type { DirectSends } from "./io/direct.js";
import { WebIo } from "./io/web.js";
import { WeftError } from "./kernel/weft-error.js";
import { run, type RunOptions, type RunResult } from "./kernel/runner.js";
import { runShared, type SharedRunOptions } from "./mn/run.js";

/** An instance JavaScript calls into. */
export interface WeftApp {
  /** Runs the exported function `name` as a new thread; resolves with its result. */
  call(name: string, ...args: unknown[]): Promise<unknown>;
  /** Ends the instance and its threads; calls still under way reject. Resolves with the run's result. */
  close(): Promise<RunResult>;
  /** What the program exports to call, with the types a call carries. */
  readonly exports: readonly CallableExport[];
}

/** start's options: run's, or with `processors` (or `model: "1:1"`) runShared's for a shared build. */
export type StartOptions = RunOptions | SharedRunOptions;

// The dispatcher's record and a call's block (assembly/sys/serve.ts, "Design note").
const CALLS_MAX = 256, BLOCK_ARGS = 24;
const KIND_CODE: Record<CallKind, number> = { i32: 0, u32: 0, bool: 0, i64: 0, f32: 0, f64: 0, string: 1, bytes: 2, buffer: 3 };

interface Call {
  id: number;
  name: string;
  which: number;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  block?: number;
  thread?: number;
}

/** Loads a weft module, runs its main to the end, and keeps the instance for calls. */
export async function start(source: BufferSource | WebAssembly.Module, options: StartOptions = {}): Promise<WeftApp> {
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) module = source;
  else {
    try { module = await WebAssembly.compile(source); }
    catch (e) { throw new WeftError(`not a valid WebAssembly module: ${(e as Error).message}`); }
  }
  const sections = WebAssembly.Module.customSections(module, EXPORTS_SECTION);
  const table = sections.length ? JSON.parse(new TextDecoder().decode(sections[0])) as { callable: CallableExport[]; skipped: SkippedExport[] }
    : { callable: [], skipped: [] };
  const app = new App(table.callable, table.skipped, options.io ?? new WebIo());
  const userDied = options.onThreadDied ?? options.stderr;
  const serving = { ...options, io: app.io, serve: true, onThreadDied: (message: string) => { app.died(message); userDied?.(message); } };
  const shared = "processors" in options || "model" in options;
  app.begin(shared ? runShared(module, serving as SharedRunOptions) : run(module, serving as RunOptions));
  return app.started;
}

class App implements WeftApp {
  readonly io: ServeIo;
  readonly started: Promise<WeftApp>;
  private startup!: { resolve: (app: WeftApp) => void; reject: (e: Error) => void };
  private ready = false;
  private closing = false;
  private result: RunResult | null = null;
  private ended: Promise<RunResult> | null = null;
  private ids = 0;
  readonly calls = new Map<number, Call>();          // by call id, until they settle
  readonly byThread = new Map<number, Call>();       // by the thread running them
  private diedEarly = new Map<number, string>();     // a thread's death told before its call's start (M:N)

  constructor(readonly exports: CallableExport[], private readonly skipped: SkippedExport[], inner: IoHost) {
    this.io = new ServeIo(inner, this);
    this.started = new Promise((resolve, reject) => (this.startup = { resolve, reject }));
  }

  begin(running: Promise<RunResult>): void {
    this.ended = running.then((result) => this.end(result), (e) => this.end(null, e));
    this.ended.catch(() => {});
  }

  call(name: string, ...args: unknown[]): Promise<unknown> {
    const refused = this.refusal(name, args);
    if (refused) return Promise.reject(new WeftError(refused));
    return new Promise((resolve, reject) => {
      const call: Call = { id: ++this.ids, name, which: this.exports.findIndex((e) => e.name === name), args, resolve, reject };
      this.calls.set(call.id, call);
      this.io.offer(call);
    });
  }

  async close(): Promise<RunResult> {
    this.closing = true;
    this.io.close_();
    return (await this.ended)!;
  }

  get isClosing(): boolean { return this.closing; }

  /** Why call(name, ...args) is refused before it starts, or null. */
  private refusal(name: string, args: unknown[]): string | null {
    const what = `call("${name}")`;
    if (this.closing || this.result) return `${what}: the instance is closed`;
    const target = this.exports.find((e) => e.name === name);
    if (!target) {
      const skipped = this.skipped.find((e) => e.name === name);
      if (skipped) return `${what}: ${name} cannot be called from JavaScript: ${skipped.why}`;
      const names = this.exports.map((e) => e.name);
      return `${what}: the program exports no function ${name}${names.length ? ` (it exports ${names.join(", ")})` : " (its entry file exports only main)"}`;
    }
    const signature = `${name}(${target.params.map((p) => `${p.name}: ${p.type}`).join(", ")})`;
    if (args.length !== target.params.length) return `${what}: ${signature} takes ${target.params.length} argument${target.params.length === 1 ? "" : "s"}, got ${args.length}`;
    for (let k = 0; k < args.length; k++) {
      const wrong = argumentError(target.params[k].kind, args[k]);
      if (wrong) return `${what}: argument ${k + 1} of ${signature} (${target.params[k].name}) must be ${wrong}, got ${describe(args[k])}`;
    }
    return null;
  }

  /** main ended (the dispatcher's first request): start resolves, or rejects with why main died. */
  mainEnded(error: string | null): void {
    if (error === null) { this.ready = true; this.startup.resolve(this); return; }
    this.closing = true;
    this.startup.reject(new WeftError(`start: main died: ${error}`));
  }

  /** The dispatcher started call `id` as `thread` (or could not: -errno). */
  threadOf(id: number, thread: number): void {
    const call = this.calls.get(id);
    if (!call) return;
    if (thread <= 0) { this.settle(call); call.reject(new WeftError(`call("${call.name}"): could not start its thread (errno ${-thread})`)); return; }
    const early = this.diedEarly.get(thread);
    if (early !== undefined) { this.diedEarly.delete(thread); this.failed(call, early); return; }
    call.thread = thread;
    this.byThread.set(thread, call);
  }

  /** A thread died (onThreadDied): if it ran a call, that call rejects and its block goes back. */
  died(message: string): void {
    const thread = Number(/^thread (\d+)/.exec(message)?.[1] ?? 0);
    const call = this.byThread.get(thread);
    if (call) this.failed(call, message);
    else if (thread && this.ready) {
      // Perhaps a call whose start is not told yet (on processors); else a thread of the program's own.
      this.diedEarly.set(thread, message);
      if (this.diedEarly.size > 1024) this.diedEarly.delete(this.diedEarly.keys().next().value!);
    }
  }

  private failed(call: Call, message: string): void {
    if (call.block) this.io.release(call.block);
    this.settle(call);
    call.reject(new WeftError(`call("${call.name}") failed: ${message}`));
  }

  settle(call: Call): void {
    this.calls.delete(call.id);
    if (call.thread) this.byThread.delete(call.thread);
  }

  /** The run ended (closed, or ended by itself: a signal, a failure): whatever is under way rejects. */
  private end(result: RunResult | null, error?: unknown): RunResult {
    this.result = result ?? {
      status: "error", exitCode: 1, error: String((error as Error)?.message ?? error), stdout: "", stderr: "", threads: [],
      elapsedMs: 0, threadStats: [], groups: [], gc: null,
    };
    const why = this.closing && this.ready ? "the instance was closed" : `the instance ended (${this.result.status}${this.result.error ? `: ${this.result.error}` : ""})`;
    // A module or an option run refused rejects start with its own error.
    if (!this.ready) this.startup.reject(!result && error instanceof WeftError ? error : new WeftError(`start: ${why} before main returned`));
    const pending = [...this.calls.values()];
    this.calls.clear();
    this.byThread.clear();
    for (const call of pending) call.reject(new WeftError(`call("${call.name}"): ${why} before it returned`));
    return this.result;
  }
}

/** The run's I/O host with the three calls of the dispatcher and the calls' threads added. */
class ServeIo implements IoHost {
  private queue: Call[] = [];
  private freed: number[] = [];                       // blocks of calls whose thread died
  private waiting: { addr: number; ptr: number; len: number; ctx: IoContext } | null = null;   // the dispatcher's call_next

  constructor(private readonly inner: IoHost, private readonly app: App) {}

  submit(req: IoRequest, ctx: IoContext): Answer {
    if (req.op === "call_next") return this.next(req, ctx);
    if (req.op === "call_fill") return this.fill(req, ctx);
    if (req.op === "return") return this.returned(req, ctx);
    return this.inner.submit(req, ctx);
  }

  unblocked(req: IoRequest, ctx: IoContext): IoRequest {
    if (req.op === "call_next" || req.op === "call_fill" || req.op === "return") return req;
    return this.inner.unblocked ? this.inner.unblocked(req, ctx) : req;
  }

  offerSends(sends: DirectSends): boolean { return this.inner.offerSends?.(sends) ?? false; }
  openDescriptors(): number[] { return this.inner.openDescriptors?.() ?? [0, 1, 2]; }
  turn(): Promise<void> { return this.inner.turn(); }
  close(): Promise<void> { return this.inner.close(); }

  /** A call came in: to the dispatcher now if it waits, else when it next asks. */
  offer(call: Call): void {
    this.queue.push(call);
    this.answerWaiting();
  }

  /** A dead call's block goes back to the dispatcher. */
  release(block: number): void {
    this.freed.push(block);
    this.answerWaiting();
  }

  /** close(): the dispatcher is told, and ends the program. */
  close_(): void { this.answerWaiting(); }

  private answerWaiting(): void {
    const w = this.waiting;
    if (!w) return;
    const answer = this.answer(w.ptr, w.len, w.ctx);
    if (answer === null) return;
    this.waiting = null;
    w.ctx.complete(w.addr, answer);
  }

  private next(req: IoRequest, ctx: IoContext): Answer {
    if (req.flags & 1) this.app.mainEnded(req.len2 > 0 ? ctx.text(req.ptr2, req.len2) : null);
    else if (req.len2 > 0) {
      const pairs = ctx.bytes(req.ptr2, 8 * req.len2).slice();
      const view = new DataView(pairs.buffer);
      for (let i = 0; i < req.len2; i++) this.app.threadOf(view.getUint32(8 * i, true), view.getInt32(8 * i + 4, true));
    }
    const answer = this.answer(req.ptr, req.len, ctx);
    if (answer !== null) return answer;
    this.waiting = { addr: req.addr, ptr: req.ptr, len: req.len, ctx };
    return PENDING;
  }

  /** Fills the dispatcher's record: the number of calls in it (0: only a block to free), -ECANCELED once
   *  closed; null: nothing yet. */
  private answer(ptr: number, size: number, ctx: IoContext): number | null {
    if (this.app.isClosing) return -ERRNO.ECANCELED;
    if (!this.queue.length && !this.freed.length) return null;
    const record = ctx.bytes(ptr, size);
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    view.setUint32(0, this.freed.shift() ?? 0, true);
    let at = 8, count = 0;
    while (this.queue.length && count < CALLS_MAX) {
      const call = this.queue[0];
      const params = this.app.exports[call.which].params;
      const head = 24 + 8 * params.length + pad8(params.length);
      const contents = params.map((p, k) => p.kind === "string" ? 2 * (call.args[k] as string).length
        : p.kind === "bytes" || p.kind === "buffer" ? (call.args[k] as Uint8Array).length : -1);
      const data = contents.reduce((sum, n) => sum + (n < 0 ? 0 : pad8(n)), 0);
      const inline = at + head + data <= size;
      if (!inline && (count > 0 || at + head > size)) break;       // the next answer, or alone without its contents
      this.queue.shift();
      const entry = at;
      view.setInt32(entry, call.which, true);
      view.setInt32(entry + 4, params.length, true);
      view.setUint32(entry + 8, call.id, true);
      view.setUint32(entry + 12, inline ? head + data : head, true);
      view.setUint32(entry + 16, inline ? 0 : 1, true);
      let out = entry + head;
      params.forEach((p, k) => {
        const value = call.args[k];
        record[entry + 24 + 8 * params.length + k] = KIND_CODE[p.kind];
        if (contents[k] < 0) { store(view, entry + 24 + 8 * k, p.kind, value); return; }
        view.setBigUint64(entry + 24 + 8 * k, BigInt(p.kind === "string" ? (value as string).length : contents[k]), true);
        if (!inline) return;
        if (p.kind === "string") writeUtf16(view, out, value as string);
        else record.set(value as Uint8Array, out);
        out += pad8(contents[k]);
      });
      at += inline ? head + data : head;
      count++;
    }
    view.setUint32(4, count, true);
    return count;
  }

  /** Copies a call's strings and bytes into the objects the dispatcher made for them. */
  private fill(req: IoRequest, ctx: IoContext): Answer {
    const call = this.app.calls.get(req.fd);
    if (!call) return 0;
    call.block = req.ptr;
    const target = this.app.exports[call.which];
    const u32 = (addr: number) => { const b = ctx.bytes(addr, 4); return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true); };
    target.params.forEach((p, k) => {
      if (KIND_CODE[p.kind] === 0) return;
      const object = u32(req.ptr + BLOCK_ARGS + 8 * k);
      if (p.kind === "string") {
        const text = call.args[k] as string;
        const units = ctx.bytes(object, text.length * 2);
        writeUtf16(new DataView(units.buffer, units.byteOffset, units.byteLength), 0, text);
      } else {
        const bytes = call.args[k] as Uint8Array;
        ctx.bytes(p.kind === "bytes" ? u32(object + 4) : object, bytes.length).set(bytes);
      }
    });
    return 0;
  }

  /** A call's wrapper returned: its result is read now (its thread goes on once this is answered). */
  private returned(req: IoRequest, ctx: IoContext): Answer {
    const head = ctx.bytes(req.ptr, 24);
    const view = new DataView(head.buffer, head.byteOffset, 24);
    const call = this.app.calls.get(view.getUint32(16, true));
    if (!call) return 0;
    const result = this.app.exports[call.which].result;
    const value = result ? lift(result.kind, view, ctx) : undefined;
    this.app.settle(call);
    call.resolve(value);
    return 0;
  }
}

/** The result in a call's block (its first 8 bytes), as JavaScript sees it. */
function lift(kind: CallKind, view: DataView, ctx: IoContext): unknown {
  const u32 = (addr: number) => { const b = ctx.bytes(addr, 4); return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true); };
  switch (kind) {
    case "i32": return view.getInt32(0, true);
    case "u32": return view.getUint32(0, true);
    case "bool": return view.getInt32(0, true) !== 0;
    case "i64": return view.getBigInt64(0, true);
    case "f32": return view.getFloat32(0, true);
    case "f64": return view.getFloat64(0, true);
    case "string": { const p = view.getUint32(0, true); return p ? ctx.text(p, u32(p - 4) >>> 1) : null; }
    case "bytes": { const p = view.getUint32(0, true); return p ? ctx.bytes(u32(p + 4), u32(p + 8)).slice() : null; }
    case "buffer": { const p = view.getUint32(0, true); return p ? ctx.bytes(p, u32(p - 4)).slice() : null; }
  }
}

const pad8 = (n: number) => (n + 7) & ~7;

function writeUtf16(view: DataView, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) view.setUint16(at + 2 * i, text.charCodeAt(i), true);
}

/** Writes a number-like argument into its 8 bytes. */
function store(view: DataView, at: number, kind: CallKind, value: unknown): void {
  if (kind === "i64") view.setBigInt64(at, typeof value === "bigint" ? value : BigInt(value as number), true);
  else if (kind === "f32") view.setFloat32(at, value as number, true);
  else if (kind === "f64") view.setFloat64(at, value as number, true);
  else if (kind === "bool") view.setInt32(at, value ? 1 : 0, true);
  else if (kind === "u32") view.setUint32(at, value as number, true);
  else view.setInt32(at, value as number, true);
}

/** What a value of `kind` must be, if `value` is not: null when it is. */
function argumentError(kind: CallKind, value: unknown): string | null {
  switch (kind) {
    case "i32": return Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31 ? null : "an integer from -2^31 to 2^31 - 1";
    case "u32": return Number.isInteger(value) && (value as number) >= 0 && (value as number) < 2 ** 32 ? null : "an integer from 0 to 2^32 - 1";
    case "bool": return typeof value === "boolean" ? null : "a boolean";
    case "i64": return typeof value === "bigint" || Number.isSafeInteger(value) ? null : "a BigInt (or a safe integer)";
    case "f32": case "f64": return typeof value === "number" ? null : "a number";
    case "string": return typeof value === "string" ? null : "a string";
    case "bytes": case "buffer": return value instanceof Uint8Array ? null : "a Uint8Array";
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return `a string ${JSON.stringify(value.length > 20 ? value.slice(0, 20) + "…" : value)}`;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  if (typeof value === "object") return `${(value as object).constructor?.name ?? "an object"}`;
  return typeof value;
}
