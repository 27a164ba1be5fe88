// How a processor's Worker and the ticker's Worker are started, as the start protocol (host/mn/run.ts)
// sees them: one interface, two providers (workers-node.ts for Node's worker_threads, workers-web.ts for
// a browser's module Workers).
import type { DebugRequest, ProcessorData, ProcessorMessage } from "./processor.js";
import type { TickerData } from "./ticker.js";

/** A processor's Worker, as the start protocol sees it once started. */
export interface ProcessorWorker {
  /** Stops the Worker wherever its processor is (waiting, or inside Wasm). */
  terminate(): Promise<unknown> | void;
  /** Sends its processor a debugger's request (host/mn/processor.ts, DebugRequest). */
  send?(request: DebugRequest): void;
}

/** What a started Worker reports: its processor's messages, or a failure of the Worker itself (its
 *  script did not load, its start data could not be received). Called on the caller's thread, from
 *  its event loop. */
export interface ProcessorEvents {
  onMessage(message: ProcessorMessage): void;
  onFailure(reason: string): void;
}

/** Starts one processor's Worker on `data` (workers-node.ts, workers-web.ts). */
export type StartProcessor = (data: ProcessorData, events: ProcessorEvents) => ProcessorWorker;

/** The ticker's Worker, started before its data exists (host/mn/ticker.ts, "Ticker protocol", step 1). */
export interface TickerWorker extends ProcessorWorker {
  /** Gives the Worker its data: it starts ticking. Once. */
  post(data: TickerData): void;
}

/** Starts the ticker's Worker; `onFailure` is told if the Worker itself fails (workers-node.ts, workers-web.ts). */
export type StartTicker = (onFailure: (reason: string) => void) => TickerWorker;
