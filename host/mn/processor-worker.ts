// A processor's Worker in Node (started by host/mn/workers-node.ts): its start data is the workerData, and what
// it says goes to the parent port. The processor itself is host/mn/processor.ts.
import { parentPort, workerData } from "node:worker_threads";
import { runProcessor, type ProcessorData } from "./processor.js";

void runProcessor(workerData as ProcessorData, (message) => parentPort!.postMessage(message));
