// A processor's Worker in Node (started by host/mn/workers-node.ts): its start data is the workerData, and what
// it says goes to the parent port. The processor itself is host/mn/processor.ts.
import { readSync, writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { runProcessor, type ProcessorData } from "./processor.js";
import { errnoOf } from "../kernel/shared-io.js";

/** Direct sends (host/io/direct.ts): one write(2) to a socket the I/O owner offered. */
function sendTo(osFd: number, memory: Uint8Array, offset: number, length: number): number {
  try { return writeSync(osFd, memory, offset, length); } catch (e) { return errnoOf(e); }
}

/** Direct reads (host/io/direct.ts): one read(2) from a socket Node does not read yet. */
function readFrom(osFd: number, memory: Uint8Array, offset: number, length: number): number {
  try { return readSync(osFd, memory, offset, length, null); } catch (e) { return errnoOf(e); }
}

void runProcessor(workerData as ProcessorData, (message) => parentPort!.postMessage(message), { sendTo, readFrom },
  (handler) => parentPort!.on("message", handler));
