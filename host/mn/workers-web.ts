// Processors and the ticker on a browser's Web Workers (host/mn/run.ts's StartProcessor and StartTicker
// everywhere but Node). Each is a module Worker running host/mn/processor-worker-web.ts (the ticker:
// host/mn/ticker-worker-web.ts), found beside this file (/dist/host/), and gets its data as its first
// message (the ticker's some time after it starts): the compiled module is cloned, the memory and the go
// and stop words are shared (which the page may do only when cross-origin isolated; host/mn/run.ts checks
// that first).
// Web-standard APIs only; nothing here waits.
import { isProcessorMessage } from "./processor.js";
import type { StartProcessor, StartTicker } from "./workers.js";

export const startWebProcessor: StartProcessor = (data, events) => {
  const script = new URL("./processor-worker-web.js", import.meta.url);
  const worker = new Worker(script, { type: "module", name: `weft processor ${data.index}` });
  worker.onmessage = (event) => { if (isProcessorMessage(event.data)) events.onMessage(event.data); };
  worker.onerror = (event) => {
    event.preventDefault();             // handled: the run fails with it, the page logs no uncaught error
    events.onFailure(event.message || `its script ${script.href} did not load or threw`);
  };
  worker.onmessageerror = () => events.onFailure("a message from it could not be received");
  worker.postMessage(data);
  return { terminate: () => worker.terminate(), send: (request) => worker.postMessage(request) };
};

export const startWebTicker: StartTicker = (onFailure) => {
  const script = new URL("./ticker-worker-web.js", import.meta.url);
  const worker = new Worker(script, { type: "module", name: "weft ticker" });
  worker.onerror = (event) => {
    event.preventDefault();
    onFailure(event.message || `its script ${script.href} did not load or threw`);
  };
  return { post: (data) => worker.postMessage(data), terminate: () => worker.terminate() };
};
