// A processor's Worker in Node (started by host/mn/workers-node.ts): each { kind: "run", data } message
// starts a run's processor on that data (one at a time: the next comes only after this one's "result");
// any other message goes to the running processor (a debugger's requests), and what it says goes to the
// parent port. The processor itself is host/mn/processor.ts.
import { readSync, writeSync } from "node:fs";
import { parentPort } from "node:worker_threads";
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

/** The running processor's handler of later messages, if it asked for them. */
let listener: ((message: unknown) => void) | null = null;
parentPort!.on("message", (message: { kind?: unknown; data?: ProcessorData }) => {
  if (message?.kind !== "run") return listener?.(message);
  listener = null;
  void runProcessor(message.data!, (m) => parentPort!.postMessage(m), { sendTo, readFrom }, (handler) => { listener = handler; });
});
