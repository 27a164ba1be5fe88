// Traps (host/kernel/runner.ts, "Run protocol", step 4): a thread that traps ends alone, with a message
// that names it and what went wrong, and its backtrace; the other threads go on. Web-standard APIs only.
//
// A trap inside a thread (a RuntimeError, V8's RangeError for the native stack, or an abort) unwinds the
// JavaScript stack out of weft_run and lands in the runner's call of the loop as an exception. Then:
//   1. Asyncify's state is reset (the trap may have come mid-unwind or mid-rewind);
//   2. the message is made — "thread ID "NAME" died: WHAT" — and the frames are taken from the
//      exception's stack trace, which is the thread's own (Error.stackTraceLimit is raised for the call);
//   3. weft_trap_begin puts the processor back on its own stack, then the message is made a String in the
//      core's heap (allocating on the thread's stack would be on the stack that overflowed);
//   4. weft_trap_end ends the thread with that message (assembly/core/thread.ts, threadKill) and takes it off
//      its processor; the core reports the death through the `died` import (Traps.died), which records the
//      thread's outcome and prints the message.
// A trap with no thread running (the scheduler's own) is fatal for the run, and so are more than
// TRAPS_MAX of them. A save-area overflow never gets here: the loop catches it (scheduler.ts).

import { THREAD, ASYNCIFY_UNWINDING, ASYNCIFY_REWINDING } from "../abi.js";
import { stackOf, formatBacktrace, type BacktraceFrame } from "./backtrace.js";
import type { ThreadInspector } from "./inspect.js";
import { readU32, readI32, readString } from "./tables.js";
import type { ThreadOutcome } from "./options.js";

/** Thrown by the abort import: unwinds the Wasm stack of the thread that aborted. */
export class WeftAbort extends Error {}

/** Traps a run survives; past them the run ends (a program that traps in a loop would never end). */
const TRAPS_MAX = 100_000;

/** The core's exports the traps use. */
export interface TrapsCore {
  memory: WebAssembly.Memory;
  asyncify_get_state(): number;
  asyncify_stop_unwind(): void;
  asyncify_stop_rewind(): void;
  weft_current(): number;
  weft_trap_begin(): void;
  weft_trap_end(message: number): number;
  /** A String of `units` UTF-16 units in the core's heap; 0 when there is no room. */
  weft_new_string(units: number): number;
}

/** The threads that died, and the handling of each death. */
export class Traps {
  /** The dead threads' outcomes, in the order they died. */
  readonly dead: ThreadOutcome[] = [];
  /** Step 2's message for the thread whose trap is being handled, while the core could not take it as a
   *  String (the heap was full): `died` reports it instead of the core's "no memory left" stand-in. */
  private unkept: { id: number; message: string } | null = null;
  private frames: { id: number; frames: BacktraceFrame[] } | null = null;   // step 2's, until `died`

  /** `report` receives each death's message with its backtrace (the program's stderr). */
  constructor(private readonly core: () => TrapsCore, private readonly inspect: () => ThreadInspector,
    private readonly report: (error: string) => void) {}

  /** Steps 1-4 for exception `e` out of weft_run. Returns a message if the run cannot go on. */
  handle(e: unknown): string | null {
    const core = this.core();
    if (!(e instanceof WebAssembly.RuntimeError || e instanceof WeftAbort || e instanceof RangeError)) {
      return `host error: ${(e as Error)?.stack ?? e}`;
    }
    const state = core.asyncify_get_state();
    if (state === ASYNCIFY_UNWINDING) core.asyncify_stop_unwind();
    else if (state === ASYNCIFY_REWINDING) core.asyncify_stop_rewind();
    const current = core.weft_current();
    if (!current) return `the scheduler trapped: ${(e as Error).message}`;
    if (this.dead.length > TRAPS_MAX) return `too many traps (${this.dead.length}); last: ${(e as Error).message}`;
    const id = readU32(core.memory, current + THREAD.id);
    const name = readString(core.memory, readU32(core.memory, current + THREAD.name)) || `thread ${id}`;
    let what = (e as Error).message;
    if (e instanceof RangeError && /call stack/i.test(what)) what = `stack overflow: ${what}`;   // V8's own
    const message = `thread ${id} "${name}" died: ${what}`;
    const stack = stackOf(e);
    this.frames = stack ? { id, frames: this.inspect().framesOf(stack) } : null;
    core.weft_trap_begin();                        // back on the processor's stack before allocating
    // The core reports the death through `died`, during weft_trap_end. With no room for the message (a
    // thread that trapped with the heap full), the core keeps a stand-in, and `died` says what happened.
    const text = newString(core, message);
    this.unkept = text ? null : { id, message };
    try { core.weft_trap_end(text); } finally { this.unkept = null; this.frames = null; }
    return null;
  }

  /** The `died` import: thread record `t` ended by a trap, an overflow or a lack of memory (the core's
   *  message is in the record). */
  died(t: number): void {
    const memory = this.core().memory;
    const id = readI32(memory, t + THREAD.id);
    const name = readString(memory, readU32(memory, t + THREAD.name)) || `thread ${id}`;
    let error = readString(memory, readU32(memory, t + THREAD.error)) || "died";
    const unkept = this.unkept;
    if (unkept && unkept.id === id) error = unkept.message;
    // A message the core could not build at run time (no memory) does not name its thread: name it.
    if (!error.startsWith("thread ")) error = `thread ${id}${name !== `thread ${id}` ? ` "${name}"` : ""} died: ${error}`;
    const frames = this.frames?.id === id ? this.frames.frames : undefined;
    this.dead.push({ id, name, state: "trapped", error, ...(frames ? { backtrace: frames } : {}) });
    if (frames?.length) error += "\n" + formatBacktrace(frames);
    this.report(error);
  }

  /** Whether thread `id` died. */
  has(id: number): boolean { return this.dead.some((t) => t.id === id); }
}

/** `text` as an AssemblyScript String in the core's heap, or 0 when there is no room. */
export function newString(core: Pick<TrapsCore, "memory" | "weft_new_string">, text: string): number {
  const ptr = core.weft_new_string(text.length);
  if (!ptr) return 0;                              // memory exhausted: the core says so instead
  const view = new Uint16Array(core.memory.buffer, ptr, text.length);
  for (let i = 0; i < text.length; i++) view[i] = text.charCodeAt(i);
  return ptr;
}
