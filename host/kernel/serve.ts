// JavaScript calling in: `start` keeps an instance alive and `app.call("handle", ...args)` runs an exported
// function as a new weft thread (assembly/sys/serve.ts, "Design note"; the build's half:
// host/compiler/passes/exports.ts).
//
//     const app = await start(wasm, { stdout: console.log });   // main runs to its end first
//     const greeting = await app.call("greet", "Ada");           // a thread; many calls, many threads
//     await app.close();                                         // ends the instance and its threads
//
// The instance's loop is the one `run` has (runner.ts): it gives the host's event loop a turn every
// `hostSlice` ms while threads run, and between two calls of the loop this file starts the calls that
// came in (a call made from a callback the loop itself is in — print's, a host function's — waits for
// that turn). Arguments are lowered by their AssemblyScript types (the module's `weft.exports` section):
// numbers, booleans, BigInts for 64-bit integers, strings, and Uint8Arrays for Uint8Array and ArrayBuffer
// parameters; results are lifted the same way. What goes wrong rejects that call only, with a WeftError
// that names it: an export that does not exist or cannot be called, wrong arguments, a thread that traps,
// a thread whose wait closes a cycle of waits (the deadlock report), a call after close(). The instance
// serves on. Threads blocked with nothing to wake them are not an error here (the next call may wake
// them): the loop sleeps until a call comes.
//
// N:1 only: a shared build is refused (its processors are Workers; calls would have to reach processor 0's
// loop through the I/O owner, which is left for later).

import { EXPORTS_SECTION, type CallableExport, type CallKind, type SkippedExport } from "../abi.js";
import { callContext } from "./calls.js";
import { WeftError } from "./weft-error.js";
import { WeftProgram, type RunOptions, type RunResult, type ServeHooks } from "./runner.js";

/** An instance JavaScript calls into. */
export interface WeftApp {
  /** Runs the exported function `name` as a new thread; resolves with its result. */
  call(name: string, ...args: unknown[]): Promise<unknown>;
  /** Ends the instance and its threads; calls still under way reject. Resolves with the run's result. */
  close(): Promise<RunResult>;
  /** What the program exports to call, with the types a call carries. */
  readonly exports: readonly CallableExport[];
}

interface Call {
  name: string;
  which: number;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  block?: number;
  thread?: number;
  pins?: number[];
}

/** Loads a weft module, runs its main to the end, and keeps the instance for calls. */
export async function start(source: BufferSource | WebAssembly.Module, options: RunOptions = {}): Promise<WeftApp> {
  if (options.processor) throw new WeftError("start: an instance JavaScript calls into runs on one processor (N:1)");
  const app = new App();
  const program = await WeftProgram.load(source, { ...options, serve: app });
  app.attach(program, WebAssembly.Module.customSections(program.wasmModule, EXPORTS_SECTION));
  return app.begin();
}

class App implements WeftApp, ServeHooks {
  exports: CallableExport[] = [];
  private skipped: SkippedExport[] = [];
  private program!: WeftProgram;
  private incoming: Call[] = [];
  private over: Call[] = [];                 // returned or died: unpinned and freed at the next turn
  private byThread = new Map<number, Call>();
  private byBlock = new Map<number, Call>();
  private main = 0;
  private ready = false;
  private closing = false;
  private ended: Promise<RunResult> | null = null;
  private result: RunResult | null = null;
  private startup!: { resolve: () => void; reject: (e: Error) => void };

  attach(program: WeftProgram, sections: ArrayBuffer[]): void {
    this.program = program;
    if (sections.length) ({ callable: this.exports, skipped: this.skipped } = JSON.parse(new TextDecoder().decode(sections[0])));
  }

  /** Runs the instance; resolves once main has returned. */
  begin(): Promise<WeftApp> {
    const started = new Promise<void>((resolve, reject) => (this.startup = { resolve, reject }));
    this.ended = this.program.run().then((result) => this.end(result), (e) => this.end(null, e));
    return started.then(() => this);
  }

  call(name: string, ...args: unknown[]): Promise<unknown> {
    const refused = this.refusal(name, args);
    if (refused) return Promise.reject(new WeftError(refused));
    return new Promise((resolve, reject) => {
      this.incoming.push({ name, which: this.exports.findIndex((e) => e.name === name), args, resolve, reject });
      this.program.nudge();
    });
  }

  async close(): Promise<RunResult> {
    this.closing = true;
    this.program.nudge();
    return (await this.ended)!;
  }

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

  // The loop's hooks (runner.ts, ServeHooks).

  started(main: number): void { this.main = main; }

  turn(): "close" | "started" | "idle" {
    if (this.closing) return "close";
    let now: "started" | "idle" = "idle";
    if (!this.ready && this.program.raw.weft_main_done()) {
      this.ready = true;                         // main returned (had it died, died() ended the start)
      this.startup.resolve();
      now = "started";
    }
    for (const call of this.over.splice(0)) this.settle(call);
    if (this.ready && this.incoming.length) {
      for (const call of this.incoming.splice(0)) this.launch(call);
      now = "started";
    }
    return now;
  }

  returned(block: number): void {
    const call = this.byBlock.get(block);
    if (!call) return;
    const target = this.exports[call.which];
    const value = target.result ? this.lift(target.result.kind, block) : undefined;   // read now: the thread goes on
    this.forget(call);
    call.resolve(value);
  }

  died(id: number, message: string): void {
    if (id === this.main && !this.ready) {
      this.closing = true;
      this.startup.reject(new WeftError(`start: main died: ${message}`));
      return;
    }
    const call = this.byThread.get(id);
    if (!call) return;
    this.forget(call);
    call.reject(new WeftError(`call("${call.name}") failed: ${message}`));
  }

  /** Starts a call's thread (between two calls of the loop: no thread runs). */
  private launch(call: Call): void {
    const ex = this.program.raw;
    const target = this.exports[call.which];
    const block = ex.weft_call_block(target.params.length);
    if (!block) { call.reject(new WeftError(`call("${call.name}"): no memory for its arguments`)); return; }
    call.block = block;
    call.pins = [];
    const view = new DataView(ex.memory.buffer);
    for (let k = 0; k < target.params.length; k++) {
      const at = block + 16 + 8 * k;
      const value = call.args[k];
      const kind = target.params[k].kind;
      if (kind === "string" || kind === "bytes" || kind === "buffer") {
        const object = kind === "string" ? this.program.newString(value as string) : this.newBytes(value as Uint8Array, kind);
        if (!object || !ex.weft_pin(object)) { this.settle(call); call.reject(new WeftError(`call("${call.name}"): no memory for argument ${k + 1}`)); return; }
        call.pins.push(object);
        new DataView(ex.memory.buffer).setUint32(at, object, true);
      } else store(view, at, kind, value);
    }
    const name = this.program.newString(call.name);
    const id = name ? ex.weft_call_start(call.which, block, name) : -12;
    if (id <= 0) { this.settle(call); call.reject(new WeftError(`call("${call.name}"): could not start its thread (errno ${-id})`)); return; }
    call.thread = id;
    this.byThread.set(id, call);
    this.byBlock.set(block, call);
  }

  /** A Uint8Array in the core's heap with `bytes` (for an ArrayBuffer parameter, its buffer). */
  private newBytes(bytes: Uint8Array, kind: "bytes" | "buffer"): number {
    const ex = this.program.raw;
    const array = ex.weft_new_bytes(bytes.length);
    if (!array) return 0;
    const view = new DataView(ex.memory.buffer);
    new Uint8Array(ex.memory.buffer, view.getUint32(array + 4, true), bytes.length).set(bytes);
    return kind === "bytes" ? array : view.getUint32(array, true);
  }

  /** The result in the block's first 8 bytes, as JavaScript sees it. */
  private lift(kind: CallKind, block: number): unknown {
    const memory = this.program.raw.memory;
    const view = new DataView(memory.buffer);
    const read = callContext((ptr, len) => new Uint8Array(memory.buffer, ptr, len));
    switch (kind) {
      case "i32": return view.getInt32(block, true);
      case "u32": return view.getUint32(block, true);
      case "bool": return view.getInt32(block, true) !== 0;
      case "i64": return view.getBigInt64(block, true);
      case "f32": return view.getFloat32(block, true);
      case "f64": return view.getFloat64(block, true);
      case "string": { const p = view.getUint32(block, true); return p ? read.string(p) : null; }
      case "bytes": return read.bytes(view.getUint32(block, true));
      case "buffer": return read.buffer(view.getUint32(block, true));
    }
  }

  /** A call is over (told from inside the loop): what it holds goes at the next turn, when no thread runs. */
  private forget(call: Call): void {
    if (call.block) this.byBlock.delete(call.block);
    if (call.thread) this.byThread.delete(call.thread);
    this.over.push(call);
  }

  /** Its arguments are unpinned, its block freed. */
  private settle(call: Call): void {
    const ex = this.program.raw;
    for (const p of call.pins ?? []) ex.weft_unpin(p);
    if (call.block) ex.weft_call_free(call.block);
    call.pins = [];
    call.block = 0;
  }

  /** The run ended (closed, or ended by itself: a signal, a failure): whatever is under way rejects. */
  private end(result: RunResult | null, error?: unknown): RunResult {
    this.result = result ?? {
      status: "error", exitCode: 1, error: String((error as Error)?.message ?? error), stdout: "", stderr: "", threads: [],
      elapsedMs: 0, threadStats: [], groups: [], gc: null,
    };
    const why = this.closing ? "the instance was closed" : `the instance ended (${this.result.status}${this.result.error ? `: ${this.result.error}` : ""})`;
    if (!this.ready) this.startup.reject(new WeftError(`start: ${why} before main returned`));
    const pending = [...this.incoming.splice(0), ...this.byThread.values()];
    this.byThread.clear();
    this.byBlock.clear();
    for (const call of pending) call.reject(new WeftError(`call("${call.name}"): ${why} before it returned`));
    return this.result;
  }
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
