// Debugger hooks: stopping a whole program, looking at every thread, running one at a time.
//
// A breakpoint in one kernel thread stops every user thread with it, and a single step may land in
// another thread after a switch; so weft stops the program itself, between two calls of its loop (N:1):
// no thread runs, every one is parked with its frames in its save area. There the host can show any
// thread's backtrace (backtrace.ts) and run a chosen one alone until its next switch while all the others
// stay parked — gdb's "scheduler-locking on" (the core's stepPrepare: the next call of the loop runs that
// thread for one turn and returns).
//
// A program stops when one of its threads calls debugBreak() (it waits in the call until the program goes
// on), or when the host asks (WeftProgram.pause(): the loop returns at its next switch, or at the running
// thread's next safepoint once its tick comes), and the host calls RunOptions.debug.onStop with a session;
// the program goes on when the hook's Promise settles. consoleDebugger is `weft debug`'s hook: threads,
// bt N, step N, continue, on a terminal or any pair of streams.
//
// On processors (runShared with `debug`) there is no moment between two calls of a loop that holds for
// every processor, so the processor that stops makes one, as for a fork (assembly/core/gcstop.ts): its
// host stops the world — every other processor waits at its loop's top, the threads of its hand-off slot
// put on its queue — and serves the session from there while the hook runs on the thread that started
// the run, each call a message there and back (SharedDebugSession: Promises). A step runs its thread on
// the stopping processor's loop, the one loop the stop lets run (loopPark). debugBreak() stops the
// processor it runs on; pause() asks processor 0 (its turn flag, IDLE_TURN: at its next tick, or at once
// if it sleeps). The 1:1 model pins each thread to a processor of its own, which a step cannot borrow:
// it has no debugger.

import type { BacktraceFrame } from "./backtrace.js";
import { formatBacktrace } from "./backtrace.js";

/** Why the program stopped: a thread's debugBreak() (`thread` is its id), or WeftProgram.pause() (0). */
export interface DebugStop {
  reason: "break" | "pause";
  thread: number;
}

/** One thread as the debugger sees it (WeftProgram.threadsInTable with frames). */
export interface DebugThread {
  id: number;
  name: string;
  state: string;
  waitingOn?: string;
  backtrace?: BacktraceFrame[];
  /** Times it was switched in, and its CPU time (ms). */
  switches: number;
  cpu: number;
}

/** What a step did: whether the thread ran (a thread that waits cannot: only what it waits for can wake
 *  it), and the thread as it is after. `ended` says the program ended during the step (main returned, or
 *  a deadlock): it then ends when the hook returns. */
export interface StepResult {
  ran: boolean;
  thread: DebugThread | null;
  ended?: string;
}

/** What the hook may do while the program is stopped. Valid until the hook's Promise settles. */
export interface DebugSession {
  /** Every thread, with each parked one's backtrace. */
  threads(): DebugThread[];
  /** One thread, or null when no thread has that id. */
  thread(id: number): DebugThread | null;
  /** Runs thread `id` alone until it switches out (yields, blocks, sleeps, ends, is preempted); every
   *  other thread stays parked (a timer that falls due makes its sleeper runnable, but it does not run). */
  step(id: number): StepResult;
}

/** RunOptions.debug. */
export interface DebugHooks {
  /** Called once as the run starts, with what stops it from outside: pause() (WeftProgram.pause). */
  onStart?(control: { pause(): void }): void;
  /** The program stopped; it goes on when this returns (or its Promise settles). */
  onStop(session: DebugSession, stop: DebugStop): void | Promise<void>;
}

/** A session on processors (SharedRunOptions.debug): the same calls, answered by the processor that
 *  holds the world stopped, so each one is a Promise. */
export interface SharedDebugSession {
  threads(): Promise<DebugThread[]>;
  thread(id: number): Promise<DebugThread | null>;
  step(id: number): Promise<StepResult>;
}

/** SharedRunOptions.debug. pause() stops the program at processor 0's next tick (or, asleep, at once). */
export interface SharedDebugHooks {
  onStart?(control: { pause(): void }): void;
  onStop(session: SharedDebugSession, stop: DebugStop): void | Promise<void>;
}

/** A thread as a line, then its frames. */
export function describeThread(t: DebugThread, frames = true): string {
  const head = `thread ${t.id}${t.name ? ` "${t.name}"` : ""}: ${t.state}${t.waitingOn ? ` on ${t.waitingOn}` : ""}; ${t.switches} switches`;
  return frames && t.backtrace?.length ? `${head}\n${formatBacktrace(t.backtrace, "  ")}` : head;
}

const HELP = `commands:
  threads (t)       every thread: state, what it waits on
  bt N              thread N's frames, innermost first
  step N (s N)      run thread N alone until its next switch; the others stay parked
  continue (c)      let the program go on
  help              this list`;

/** `weft debug`'s hook: reads commands line by line from `input`, answers on `output`. At end of input
 *  the program goes on to its end. N:1 (run) and on processors (runShared) alike. */
export function consoleDebugger(input: AsyncIterable<string>, output: (text: string) => void): DebugHooks & SharedDebugHooks {
  const lines = input[Symbol.asyncIterator]();
  let closed = false;
  return {
    async onStop(session: DebugSession | SharedDebugSession, stop: DebugStop) {
      const who = await session.thread(stop.thread);
      output(stop.reason === "break"
        ? `stopped: ${who ? describeThread(who, false).replace(/: .*/, "") : `thread ${stop.thread}`} called debugBreak()`
        : "stopped: paused");
      while (!closed) {
        output("(weft) ");
        const next = await lines.next();
        if (next.done) { closed = true; break; }
        const [command, arg] = next.value.trim().split(/\s+/);
        const id = Number(arg);
        const needId = async () => {
          if (arg === undefined || !Number.isInteger(id)) { output(`${command}: which thread? (${command} N)`); return false; }
          if (!await session.thread(id)) { output(`no thread ${id}`); return false; }
          return true;
        };
        if (command === "" || command === undefined) continue;
        if (command === "c" || command === "continue") break;
        if (command === "t" || command === "threads") { output((await session.threads()).map((t) => describeThread(t, false)).join("\n")); continue; }
        if (command === "bt") {
          if (!await needId()) continue;
          const t = (await session.thread(id))!;
          output(t.backtrace?.length ? describeThread(t) : `${describeThread(t, false)} (no frames: ${t.state === "running" ? "it runs" : "it has none to show"})`);
          continue;
        }
        if (command === "s" || command === "step") {
          if (!await needId()) continue;
          const r = await session.step(id);
          if (!r.ran) output(`thread ${id} cannot run: ${r.thread ? `${r.thread.state}${r.thread.waitingOn ? ` on ${r.thread.waitingOn}` : ""}` : "it is gone"}`);
          else output(r.thread ? describeThread(r.thread) : `thread ${id} ran and ended`);
          if (r.ended) { output(`the program ended: ${r.ended}`); break; }
          continue;
        }
        if (command === "help" || command === "h") { output(HELP); continue; }
        output(`unknown command: ${command} (help lists them)`);
      }
    },
  };
}
