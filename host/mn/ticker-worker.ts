// The ticker's Worker in Node (started by host/mn/workers-node.ts): its data is the first message it receives
// (the Worker starts before the data exists: host/mn/ticker.ts, "Ticker protocol"). The ticker itself is
// host/mn/ticker.ts.
import { parentPort } from "node:worker_threads";
import { runTicker, type TickerData } from "./ticker.js";

parentPort!.once("message", (data: TickerData) => runTicker(data));
