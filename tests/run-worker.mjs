// Runs weft modules in a worker thread for tests/harness.ts, one at a time, so a program that never ends
// can be stopped (a Wasm loop cannot be interrupted from the thread it runs on), and so that a long run
// does not hold the test file's event loop. Each message is a run; each answer says whether the run left
// this thread's event loop empty (`reusable`): only then does the harness give the Worker another run. With `readBack`, it also sends what the host reads from the program's
// tables once the run is over (tests/harness.ts, runReadingBack).
import { parentPort } from "node:worker_threads";
import { WeftProgram, readThreadStats, readGroups } from "../dist/host/kernel/runner.js";
import { NodeIo } from "../dist/host/io/node.js";
import { WeftSignals } from "../dist/host/kernel/signals.js";
import { loadFromDisk } from "../dist/host/node.js";

// `raiseOn`: { line, signals } — once the program prints `line`, the host raises `signals` (a WeftSignals:
// functions and class instances do not cross to a worker).
async function run({ wasm, options, readBack }) {
  const { node, raiseOn, ...runOptions } = options;
  let signals;
  if (raiseOn) {
    signals = new WeftSignals();
    runOptions.stdout = (line) => { if (line === raiseOn.line) for (const sig of raiseOn.signals) signals.raise(sig); };
  }
  const program = await WeftProgram.load(wasm, { loadProgram: loadFromDisk, ...runOptions, signals, io: new NodeIo(node ?? {}) });
  const result = await program.run();
  if (!readBack) return { result };
  const raw = program.raw;
  return {
    result,
    readBack: {
      slice: raw.weft_preempt_slice(), tick: raw.weft_preempt_tick(), threadStats: program.readThreadStats(),
      rawThreadStats: readThreadStats(raw), rawGroups: readGroups(raw),
    },
  };
}

/** Nothing of the last run is left in this thread's event loop: no timer, socket, file or child (only its port). */
const quiet = () => process.getActiveResourcesInfo().every((resource) => resource === "MessagePort");

parentPort.on("message", (job) => run(job).then(
  (answer) => parentPort.postMessage({ ...answer, reusable: quiet() }),
  (error) => parentPort.postMessage({ error: { name: error?.name, message: String(error?.message ?? error) }, reusable: false }),
));
