// The ticker's Worker in Node (started by host/mn/workers-node.ts): each message is a run's data (the
// Worker starts before the data exists: host/mn/ticker.ts, "Ticker protocol"); it ticks until that run's
// stop word is set, then takes the next message: another run's data, if it was kept for one
// (host/mn/worker-pool.ts). The ticker itself is host/mn/ticker.ts.
import { parentPort } from "node:worker_threads";
import { runTicker, type TickerData } from "./ticker.js";

parentPort!.on("message", (data: TickerData) => runTicker(data));
