// Processors and the ticker on Node's worker_threads (host/mn/run.ts's StartProcessor and StartTicker for
// Node; imported only in Node). A processor's Worker runs host/mn/processor-worker.ts, the ticker's
// host/mn/ticker-worker.ts; each is posted its data, and may be posted another run's after that.
//
// Design note: Workers kept for the next run
// ------------------------------------------
// A Worker is a new V8 isolate: ~80 ms of CPU on this machine before it runs a line, and a processor's
// then loads the host (~60 ms more). A run of a program that computes for a millisecond cost 190 ms of
// CPU on 1 processor (its Worker and the ticker's) and 525 on 4: a test suite, a server that runs a
// program per request, anything that calls runShared more than once paid that every time. So a Worker
// whose part in a run ended cleanly is kept, idle, for the next run of this process:
//   - a processor's, once it said "result" with its loop ended normally (failed false): its Wasm has
//     returned and it waits for its next "run" message. One that failed, said "error", was still running
//     (the run's timeout, an exec, a failed processor elsewhere), or served a debugger is terminated as
//     before: nothing of a run that did not end cleanly is reused;
//   - the ticker's, unless it failed: the stop word ends its loop within its idle wait (ticker.ts), after
//     which it says "stopped"; only a stopped ticker is handed out again;
//   - idle Workers are unref'd (they never keep the process alive), at most IDLE_PROCESSORS processors'
//     and IDLE_TICKERS tickers', each for IDLE_KEEP_MS (WEFT_KEEP_WORKERS_MS: another time; 0, none
//     kept); then terminated, taken out of the idle list first: a Worker handed out while its terminate()
//     was under way never started its processor, and the run waited for it until its timeout (seen in CI
//     as rare hangs of 4-processor runs; reproduced at will with a 30 ms keep). A Worker that exits
//     while it serves a run fails that run at once, with the reason. Until its isolate next collects,
//     an idle processor still holds its last run's instance and memory: the bound on both is the bound on that.
// Browsers start their Workers afresh for every run (workers-web.ts).
import { Worker } from "node:worker_threads";
import { isProcessorMessage } from "./processor.js";
import type { ProcessorData } from "./processor.js";
import type { ProcessorEvents, StartProcessor, StartTicker } from "./workers.js";

/** Idle Workers kept at most: processors', tickers', and for how long (ms; WEFT_KEEP_WORKERS_MS sets
 *  another time, 0 keeps none). */
export const IDLE_PROCESSORS = 8;
const IDLE_TICKERS = 2;
export const IDLE_KEEP_MS = 10_000;

/** How many Workers are kept idle now, processors' and tickers' (tests, diagnostics). */
export function keptWorkers(): { processors: number; tickers: number } {
  return { processors: idleProcessors.length, tickers: idleTickers.length };
}

/** Terminates every idle Worker now (a measurement of memory that must not count them, a host that
 *  wants them gone before their time). */
export async function releaseKeptWorkers(): Promise<void> {
  const idle = [...idleProcessors.splice(0), ...idleTickers.splice(0)];
  await Promise.all(idle.map((slot) => { clearTimeout(slot.expiry); return slot.worker.terminate(); }));
}

/** A Worker of ours, and the run it serves (null while idle). */
interface Slot<Run> {
  worker: Worker;
  run: Run | null;
  /** Its part in the run ended cleanly: it may serve another. */
  clean: boolean;
  /** It exited (terminated, or crashed while idle). */
  gone: boolean;
  /** While idle: the timer that ends it. */
  expiry?: ReturnType<typeof setTimeout>;
}

const idleProcessors: Slot<ProcessorEvents>[] = [];
const idleTickers: Slot<(reason: string) => void>[] = [];

/** Takes `slot` out of `idle` if it is there. */
function unlist<Run>(slot: Slot<Run>, idle: Slot<Run>[]): void {
  const at = idle.indexOf(slot);
  if (at >= 0) idle.splice(at, 1);
}

/** A new Worker on `script`, in a slot whose exit takes it out of `idle`, and fails the run it serves
 *  (`failed`): a run whose processor is gone would otherwise wait for it until its timeout. */
function newSlot<Run>(script: string, idle: Slot<Run>[], failed: (run: Run, reason: string) => void): Slot<Run> {
  // execArgv: [] so the parent's flags (a test runner's loaders, --inspect) do not reach our Workers.
  const slot: Slot<Run> = { worker: new Worker(new URL(script, import.meta.url), { execArgv: [] }), run: null, clean: false, gone: false };
  slot.worker.once("exit", (code) => {
    slot.gone = true;
    clearTimeout(slot.expiry);
    unlist(slot, idle);
    if (slot.run) failed(slot.run, `its Worker exited (code ${code})`);
  });
  return slot;
}

/** An idle slot from `idle` that `ready` accepts, taken out of it and referenced again; or null. */
function takeIdle<Run>(idle: Slot<Run>[], ready: (slot: Slot<Run>) => boolean = () => true): Slot<Run> | null {
  for (let i = idle.length - 1; i >= 0; i--) {
    const slot = idle[i];
    if (!ready(slot)) continue;
    idle.splice(i, 1);
    clearTimeout(slot.expiry);
    slot.worker.ref();
    return slot;
  }
  return null;
}

/** Ends `slot`'s run: kept in `idle` if it ended cleanly and there is room, terminated otherwise. */
/** How long an idle Worker is kept: WEFT_KEEP_WORKERS_MS if it is a number of ms, else IDLE_KEEP_MS. */
function keepMs(): number {
  const text = process.env.WEFT_KEEP_WORKERS_MS?.trim();
  const set = text ? Number(text) : NaN;
  return Number.isFinite(set) && set >= 0 ? set : IDLE_KEEP_MS;
}

function release<Run>(slot: Slot<Run>, idle: Slot<Run>[], max: number): Promise<unknown> | void {
  slot.run = null;
  const keep = keepMs();
  if (!slot.clean || slot.gone || idle.length >= max || keep === 0) return slot.worker.terminate();
  slot.worker.unref();
  // Out of the list first: terminate() takes a while, and a Worker handed out meanwhile would never start
  // its processor (seen: runs that waited for it until their timeout).
  slot.expiry = setTimeout(() => { unlist(slot, idle); void slot.worker.terminate(); }, keep);
  slot.expiry.unref();
  idle.push(slot);
}

export const startNodeProcessor: StartProcessor = (data: ProcessorData, events) => {
  const slot = takeIdle(idleProcessors) ?? newProcessorSlot();
  slot.run = events;
  slot.clean = false;
  slot.worker.postMessage({ kind: "run", data });
  let released = false;
  return {
    terminate: () => {
      if (released) return;
      released = true;
      if (data.debug) slot.clean = false;     // a debugger's requests may still be on their way
      return release(slot, idleProcessors, IDLE_PROCESSORS);
    },
    send: (request) => slot.worker.postMessage(request),
  };
};

function newProcessorSlot(): Slot<ProcessorEvents> {
  const slot = newSlot<ProcessorEvents>("./processor-worker.js", idleProcessors, (run, reason) => run.onFailure(reason));
  slot.worker.on("message", (message: unknown) => {
    if (!slot.run || !isProcessorMessage(message)) return;
    if (message.kind === "result") slot.clean = !message.failed;
    else if (message.kind === "error") slot.clean = false;
    slot.run.onMessage(message);
  });
  slot.worker.on("error", (error) => {
    slot.clean = false;
    slot.run?.onFailure(error.message);
  });
  return slot;
}

/** Tickers in their loop (posted data, not yet "stopped"): kept, but not handed out. */
const ticking = new WeakSet<Slot<(reason: string) => void>>();

export const startNodeTicker: StartTicker = (onFailure) => {
  const slot = takeIdle(idleTickers, (s) => !ticking.has(s)) ?? newTickerSlot();
  slot.run = onFailure;
  slot.clean = true;
  let released = false;
  return {
    post: (data) => {
      ticking.add(slot);
      slot.worker.postMessage(data);
    },
    terminate: () => {
      if (released) return;
      released = true;
      return release(slot, idleTickers, IDLE_TICKERS);
    },
  };
};

function newTickerSlot(): Slot<(reason: string) => void> {
  const slot = newSlot<(reason: string) => void>("./ticker-worker.js", idleTickers, (run, reason) => run(reason));
  slot.worker.on("message", (message: unknown) => { if (message === "stopped") ticking.delete(slot); });
  slot.worker.on("error", (error) => {
    slot.clean = false;
    slot.run?.(error.message);
  });
  return slot;
}
