// A processor's Worker in a browser (a module Worker started by host/mn/workers-web.ts): each
// { kind: "run", data } message starts a run's processor on that data (one at a time: the next comes
// only after this one's "result"); any other message goes to the running processor (a debugger's
// requests), and what it says is posted back. The processor itself is host/mn/processor.ts.
// It waits (Atomics.wait, memory.atomic.wait32), which a browser allows in Workers only.
import { runProcessor, type ProcessorData, type ProcessorMessage } from "./processor.js";

/** The parts of a dedicated Worker's global scope used here (the project compiles against the DOM's
 *  types, which describe a window). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<{ kind?: unknown; data?: ProcessorData }>) => void) | null;
  onmessageerror: ((event: MessageEvent) => void) | null;
  postMessage(message: ProcessorMessage): void;
}
const scope = globalThis as unknown as WorkerScope;

/** The running processor's handler of later messages, if it asked for them. */
let listener: ((message: unknown) => void) | null = null;
scope.onmessage = (event) => {
  if (event.data?.kind !== "run") { listener?.(event.data); return; }
  listener = null;
  void runProcessor(event.data.data!, (message) => scope.postMessage(message), undefined, (handler) => { listener = handler; });
};
// The run's data could not be received here (a shared memory posted from a page that is not isolated).
scope.onmessageerror = () => {
  scope.postMessage({ kind: "error", name: "WeftError", message: "a processor could not receive the shared memory: " +
    "M:N needs a cross-origin isolated page (COOP/COEP headers)" });
};
