// A processor's Worker in a browser (a module Worker started by host/mn/workers-web.ts): its start data is the
// first message it receives, and what it says is posted back. The processor itself is host/mn/processor.ts.
// It waits (Atomics.wait, memory.atomic.wait32), which a browser allows in Workers only.
import { runProcessor, type ProcessorData, type ProcessorMessage } from "./processor.js";

/** The parts of a dedicated Worker's global scope used here (the project compiles against the DOM's
 *  types, which describe a window). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ProcessorData>) => void) | null;
  onmessageerror: ((event: MessageEvent) => void) | null;
  postMessage(message: ProcessorMessage): void;
}
const scope = globalThis as unknown as WorkerScope;

// Set while the module is evaluated: the start message waits in the Worker's queue until then.
scope.onmessage = (event) => {
  scope.onmessage = scope.onmessageerror = null;   // one run per Worker; later messages are a debugger's
  void runProcessor(event.data, (message) => scope.postMessage(message), undefined,
    (handler) => { scope.onmessage = (later) => handler(later.data); });
};
// The start data could not be received here (a shared memory posted from a page that is not isolated).
scope.onmessageerror = () => {
  scope.onmessage = scope.onmessageerror = null;
  scope.postMessage({ kind: "error", name: "WeftError", message: "a processor could not receive the shared memory: " +
    "M:N needs a cross-origin isolated page (COOP/COEP headers)" });
};
