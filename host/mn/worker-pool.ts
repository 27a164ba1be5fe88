// Workers kept for the next run: the processors' and tickers' Workers of one JavaScript thread, in Node
// (workers-node.ts) and in browsers (workers-web.ts) alike. Each provider says only how to start a
// Worker and how long to keep one; the rest is here. Web-standard APIs only.
//
// Design note
// -----------
// A Worker is a new JavaScript engine instance: in Node ~80 ms of CPU on the machine the README measures,
// before it runs a line, and a processor's then loads the host (~60 ms more); a browser's costs as much
// and fetches the host's modules too. A run of a program that computes for a millisecond cost 190 ms of
// CPU on 1 processor (its Worker and the ticker's) and 525 on 4: a test suite, a server or a page that
// runs a program again and again, anything that calls runShared more than once paid that every time.
// So a Worker whose part in a run ended cleanly is kept, idle, for the next run:
//   - a processor's, once it said "result" with its loop ended normally (failed false): its Wasm has
//     returned and it waits for its next { kind: "run", data } message. One that failed, said "error",
//     was still running (the run's timeout, an exec, a failed processor elsewhere), or served a debugger
//     is terminated as before: nothing of a run that did not end cleanly is reused;
//   - the ticker's, unless it failed: the run's stop wakes it and ends its loop at once (ticker.ts,
//     step 3), and its Worker takes messages in order, so a kept ticker may be handed out right away:
//     the next run's data waits for the loop to end, microseconds;
//   - at most IDLE_PROCESSORS processors' and IDLE_TICKERS tickers' are kept, each for the provider's
//     keep time (IDLE_KEEP_MS unless told otherwise; 0 keeps none); then terminated, taken out of the
//     idle list first: a Worker handed out while its terminate() was under way never started its
//     processor, and the run waited for it until its timeout (seen in CI as rare hangs of 4-processor
//     runs; reproduced at will with a 30 ms keep). A Worker that exits or fails while it serves a run
//     fails that run at once, with the reason;
//   - until its isolate next collects, an idle processor still holds its last run's instance and memory:
//     the bound on both is the bound on that. releaseKeptWorkers() ends them all at once.
// Node's idle Workers do not keep the process alive (the provider's `hold`).
import { isProcessorMessage, type ProcessorData } from "./processor.js";
import type { StartProcessor, StartTicker } from "./workers.js";

/** Idle Workers kept at most: 8 processors' (two runs of 4, or a 1:1 run's eight retired threads) and 2
 *  tickers'; each for IDLE_KEEP_MS, 10 s (a test file's or a page's next run comes within it; a server's
 *  next request too, or it waits that long for nothing). An idle processor's Worker holds its last run's
 *  memory (the design note), which bounds the counts. In Node WEFT_KEEP_WORKERS_MS sets the time (0 keeps
 *  none); the counts, and the time in browsers, are not configurable. */
export const IDLE_PROCESSORS = 8;
export const IDLE_TICKERS = 2;
export const IDLE_KEEP_MS = 10_000;

/** A started Worker, as a provider gives it. */
export interface PooledWorker {
  postMessage(message: unknown): void;
  terminate(): Promise<unknown> | void;
  /** Calls `handler` with each message the Worker posts. */
  onMessage(handler: (message: unknown) => void): void;
  /** Calls `handler` when the Worker itself fails (its script, an uncaught error, a message that could
   *  not be received): the run it serves fails, and an idle one is ended. */
  onFailure(handler: (reason: string) => void): void;
  /** Calls `handler` when the Worker has exited, where the platform says so (Node). Without it, a Worker
   *  is gone once terminated. */
  onExit?(handler: (reason: string) => void): void;
  /** Node: false lets the process end while the Worker idles (unref), true holds it again (ref). */
  hold?(held: boolean): void;
}

/** How a provider starts Workers: a processor's or the ticker's. */
export type SpawnWorker = (kind: "processor" | "ticker") => PooledWorker;

/** How many Workers are kept idle now. */
export interface KeptWorkers { processors: number; tickers: number }

/** A Worker of ours, and the run it serves (null while idle). */
interface Slot<Run> {
  worker: PooledWorker;
  run: Run | null;
  /** Its part in the run ended cleanly: it may serve another. */
  clean: boolean;
  /** It exited, or was terminated. */
  gone: boolean;
  /** While idle: the timer that ends it. */
  expiry?: ReturnType<typeof setTimeout>;
}

/** A provider's StartProcessor and StartTicker over Workers from `spawn`, each kept `keepMs()` ms once
 *  idle; with the count of those kept and a way to end them now. */
export function pooledWorkers(spawn: SpawnWorker, keepMs: () => number): {
  startProcessor: StartProcessor; startTicker: StartTicker; kept(): KeptWorkers; release(): Promise<void>;
} {
  type ProcessorRun = Parameters<StartProcessor>[1];
  type TickerRun = (reason: string) => void;
  const idleProcessors: Slot<ProcessorRun>[] = [];
  const idleTickers: Slot<TickerRun>[] = [];

  const unlist = <Run>(slot: Slot<Run>, idle: Slot<Run>[]) => {
    const at = idle.indexOf(slot);
    if (at >= 0) idle.splice(at, 1);
  };

  const end = <Run>(slot: Slot<Run>) => {
    slot.gone = true;
    return slot.worker.terminate();
  };

  /** A new Worker in a slot whose exit takes it out of `idle` and fails the run it serves (`failed`):
   *  a run whose processor is gone would otherwise wait for it until its timeout. */
  const newSlot = <Run>(kind: "processor" | "ticker", idle: Slot<Run>[], failed: (run: Run, reason: string) => void): Slot<Run> => {
    const slot: Slot<Run> = { worker: spawn(kind), run: null, clean: false, gone: false };
    slot.worker.onExit?.((reason) => {
      slot.gone = true;
      clearTimeout(slot.expiry);
      unlist(slot, idle);
      if (slot.run) failed(slot.run, reason);
    });
    slot.worker.onFailure((reason) => {
      slot.clean = false;
      if (slot.run) { failed(slot.run, reason); return; }
      unlist(slot, idle);                        // one that failed while idle serves no run again
      clearTimeout(slot.expiry);
      if (!slot.gone) void end(slot);
    });
    return slot;
  };

  /** The last slot of `idle`, taken out of it and held again; or null. */
  const takeIdle = <Run>(idle: Slot<Run>[]): Slot<Run> | null => {
    const slot = idle.pop();
    if (!slot) return null;
    clearTimeout(slot.expiry);
    slot.worker.hold?.(true);
    return slot;
  };

  /** Ends `slot`'s run: kept in `idle` if it ended cleanly and there is room, terminated otherwise. */
  const release = <Run>(slot: Slot<Run>, idle: Slot<Run>[], max: number): Promise<unknown> | void => {
    slot.run = null;
    const keep = keepMs();
    if (!slot.clean || slot.gone || idle.length >= max || keep === 0) return end(slot);
    slot.worker.hold?.(false);
    // Out of the list first: terminate() takes a while, and a Worker handed out meanwhile would never
    // start its processor (seen: runs that waited for it until their timeout).
    slot.expiry = setTimeout(() => { unlist(slot, idle); void end(slot); }, keep);
    (slot.expiry as { unref?: () => void }).unref?.();
    idle.push(slot);
  };

  const startProcessor: StartProcessor = (data: ProcessorData, events) => {
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

  const newProcessorSlot = (): Slot<ProcessorRun> => {
    const slot = newSlot<ProcessorRun>("processor", idleProcessors, (run, reason) => run.onFailure(reason));
    slot.worker.onMessage((message) => {
      if (!slot.run || !isProcessorMessage(message)) return;
      if (message.kind === "result") slot.clean = !message.failed;
      else if (message.kind === "error") slot.clean = false;
      slot.run.onMessage(message);
    });
    return slot;
  };

  const startTicker: StartTicker = (onFailure) => {
    const slot = takeIdle(idleTickers) ?? newSlot<TickerRun>("ticker", idleTickers, (run, reason) => run(reason));
    slot.run = onFailure;
    slot.clean = true;
    let released = false;
    return {
      post: (data) => slot.worker.postMessage(data),
      terminate: () => {
        if (released) return;
        released = true;
        return release(slot, idleTickers, IDLE_TICKERS);
      },
    };
  };

  return {
    startProcessor,
    startTicker,
    kept: () => ({ processors: idleProcessors.length, tickers: idleTickers.length }),
    release: async () => {
      const idle: Slot<unknown>[] = [...idleProcessors.splice(0), ...idleTickers.splice(0)];
      await Promise.all(idle.map((slot) => { clearTimeout(slot.expiry); return end(slot); }));
    },
  };
}
