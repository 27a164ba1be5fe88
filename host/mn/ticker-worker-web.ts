// The ticker's Worker in a browser (a module Worker started by host/mn/workers-web.ts): each message is a
// run's data (the Worker starts before the data exists: host/mn/ticker.ts, "Ticker protocol"); it ticks
// until that run's stop word is set, then takes the next message: another run's data, if it was kept for
// one (host/mn/worker-pool.ts). The ticker itself is host/mn/ticker.ts; it waits (Atomics.wait), which a
// browser allows in Workers only.
import { runTicker, type TickerData } from "./ticker.js";

/** The parts of a dedicated Worker's global scope used here (the project compiles against the DOM's
 *  types, which describe a window). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<TickerData>) => void) | null;
  onmessageerror: ((event: MessageEvent) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

scope.onmessage = (event) => runTicker(event.data);
// The data could not be received here: the Worker's error event fails the run (host/mn/workers-web.ts).
scope.onmessageerror = () => { throw new Error("the ticker could not receive the shared memory"); };
