// The ticker's Worker in Node (started by host/mn-node.ts): its data is the first message it receives
// (the Worker starts before the data exists: host/ticker.ts, "Ticker protocol"). The ticker itself is
// host/ticker.ts.
import { parentPort } from "node:worker_threads";
import { runTicker, type TickerData } from "./ticker.js";

parentPort!.once("message", (data: TickerData) => runTicker(data));
