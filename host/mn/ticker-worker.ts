// The ticker's Worker in Node (started by host/mn/workers-node.ts): each message is a run's data (the
// Worker starts before the data exists: host/mn/ticker.ts, "Ticker protocol"); it ticks until that run's
// stop word is set, then says "stopped" and may be given another run's. The ticker itself is
// host/mn/ticker.ts.
import { parentPort } from "node:worker_threads";
import { runTicker, type TickerData } from "./ticker.js";

parentPort!.on("message", (data: TickerData) => {
  runTicker(data);
  parentPort!.postMessage("stopped");
});
