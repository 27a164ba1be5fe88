// The page of examples/web/: runs app.ts and draws its threads while it runs (lanes.js draws).
//
// Two ways to run, one model:
//   N:1 (main thread)  WeftProgram.load(module, options) and program.run() — what run() does, in two steps
//                      so that the page holds the program: between two slices of the run (hostSlice, 8 ms
//                      by default, gives the page's event loop a turn) nothing runs in Wasm, and a frame
//                      reads program.readThreadStats(). A frame never sees a thread "running" there — the
//                      page has the only processor — so what a lane shows comes from the times the thread
//                      spent (readings.js, "What a stretch shows").
//   M:N (processors)   runShared(module, { processors: 2, onStart }) on a cross-origin isolated page;
//                      onStart hands over the run's tables, and each frame reads readThreadStats(tables)
//                      while the Workers run (best-effort: a reading torn by a thread being reaped throws,
//                      and that frame keeps the last one).
// Either way a reading says each thread's state, what a blocked one waits on (waitKind), its switches and
// its exact CPU, runnable and blocked times (exactAccounting: true).
//
// The model is window.weftExample (a test reads it; the DOM's lanes carry the same in data attributes):
//   { isolated, mode, jobs, status: "idle" | "loading" | "running" | "done" | "error", error,
//     frames (every frame drawn), framesWhileRunning (frames from the run's start to its end),
//     samples (readings of the table taken meanwhile), overAt (ms of run when every thread had ended),
//     lanes: [{ id, name, state, what, switches, cpu, key, gone, seen, changes, history }] (readings.js),
//     output: [lines], result: { status, exitCode, checksum, elapsedMs }, expected (checksum.js) }
// Query: ?run=n1 | ?run=mn starts a run at once; ?jobs=N sets app.ts's job count (1 to 5000, default 1000).

import { WeftProgram, runShared, readThreadStats } from "/dist/host/index.js";
import { drawLanes, drawLegend, clearLanes } from "./lanes.js";
import { takeReading, allEnded } from "./readings.js";
import { expectedChecksum } from "./checksum.js";

const PROCESSORS = 2;
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

/** ?jobs=N, 1 to MAX_JOBS (checksum.js's sum takes ~0.5 s per 1,000); 1000 without it. */
const MAX_JOBS = 5000;
const jobsWanted = () => {
  const n = Number(params.get("jobs") ?? 1000);
  return Number.isInteger(n) && n >= 1 && n <= MAX_JOBS ? n : 1000;
};

const model = {
  isolated: self.crossOriginIsolated === true, mode: null, jobs: jobsWanted(),
  status: "idle", error: null, frames: 0, framesWhileRunning: 0, samples: 0,
  lanes: [], output: [], result: null, expected: null, startedAt: 0, overAt: null, endedAt: null,
};
window.weftExample = model;
let read = null;        // while a run goes, once its tables can be read: returns a reading of them

/** Ms since the run started. */
const clock = () => performance.now() - model.startedAt;

/** A reading for readings.js: readThreadStats' rows, `what` a blocked thread waits on. */
const rowsOf = (stats) => stats.map((t) => ({ ...t, what: t.waitKind }));

/** Takes a reading at `t` into the lanes; once every thread has ended, the program is over at `t`. */
function record(rows, t) {
  takeReading(model.lanes, rows, t);
  if (allEnded(model.lanes)) model.overAt ??= t;
}

/** Loads app.ts for `mode` ("n1" or "mn") and starts it; the model's clock starts with it. Returns
 *  { running }, the run's promise (boxed, so that awaiting launch does not wait for the run). */
async function launch(mode, options) {
  const module = await WebAssembly.compileStreaming(fetch(mode === "n1" ? "/app.wasm" : "/app-shared.wasm"));
  if (mode === "mn") {
    const onStart = (tables) => { read = () => rowsOf(readThreadStats(tables)); };
    Object.assign(model, { startedAt: performance.now(), status: "running" });
    return { running: runShared(module, { ...options, processors: PROCESSORS, onStart }) };
  }
  const program = await WeftProgram.load(module, options);
  read = () => rowsOf(program.readThreadStats());
  Object.assign(model, { startedAt: performance.now(), status: "running" });
  return { running: program.run() };
}

/** Runs app.ts in `mode` and fills the model as it goes (the frames read the table meanwhile). */
async function start(mode) {
  Object.assign(model, { mode, status: "loading", error: null, framesWhileRunning: 0, samples: 0, lanes: [], output: [], result: null, overAt: null, endedAt: null });
  clearLanes($("lanes"));
  render();
  const options = {
    exactAccounting: true,
    imports: { app: { jobCount: () => model.jobs } },
    stdout: (line) => model.output.push(line),
    stderr: (line) => model.output.push(line),
  };
  try {
    const { running } = await launch(mode, options);
    const result = await running;
    finish(result, rowsOf(result.threadStats));
  } catch (error) {
    Object.assign(model, { status: "error", error: String(error?.message ?? error) });
    console.error(error);
  } finally {
    read = null;
    render();
  }
}

/** The run ended: a last reading (the run's own, taken once every processor stopped) and the program's
 *  answer. */
function finish(result, lastRows) {
  model.endedAt = clock();
  if (model.overAt === null) record(lastRows, model.endedAt);
  const line = model.output.find((l) => l.startsWith("checksum "));
  model.result = {
    status: result.status, exitCode: result.exitCode, elapsedMs: result.elapsedMs,
    checksum: line ? Number(line.slice("checksum ".length)) : null,
  };
  model.status = "done";
}

/** One animation frame: read the table while the program runs, then draw. */
function frame() {
  model.frames++;
  if (model.status === "running") {
    model.framesWhileRunning++;
    if (read && model.overAt === null) {
      try { record(read(), clock()); model.samples++; }
      catch { /* M:N: a torn reading (see the top); the next frame reads again */ }
    }
  }
  render();
  requestAnimationFrame(frame);
}

/** Ms of program shown: up to its end, or up to now while it runs (the strips fill 2 s, then shrink). */
function shownSpan() {
  if (model.overAt !== null) return model.overAt;
  return model.status === "running" ? clock() : model.endedAt ?? 0;
}

/** Draws the model: lanes, status line, result, output, buttons. */
function render() {
  const busy = model.status === "running" || model.status === "loading";
  const span = shownSpan();
  drawLanes($("lanes"), model.lanes, model.overAt === null ? Math.max(2000, span) : span);
  $("status").textContent = statusText(span);
  $("status").dataset.status = model.status;
  $("result").textContent = resultText();
  $("output").textContent = model.output.join("\n");
  $("run-n1").disabled = busy;
  $("run-mn").disabled = busy || !model.isolated;
}

function statusText(elapsed) {
  const where = model.mode === "mn" ? `on ${PROCESSORS} processors (M:N, Web Workers)` : "on the page's main thread (N:1)";
  if (model.status === "idle") return "Pick a way to run it.";
  if (model.status === "loading") return `Starting ${where} ...`;
  if (model.status === "error") return `The run failed: ${model.error}`;
  const seconds = (elapsed / 1000).toFixed(1);
  const frames = `${model.framesWhileRunning} frames drawn while it ran`;
  return model.status === "running" ? `Running ${where}: ${seconds} s, ${frames}` : `Ran ${where} in ${seconds} s; ${frames}.`;
}

function resultText() {
  const r = model.result;
  if (!r) return "";
  const agree = r.checksum === model.expected ? "the same" : "DIFFERENT";
  return `${model.jobs} jobs: checksum ${r.checksum} (exit code ${r.exitCode}); JavaScript's own sum: ${model.expected}, ${agree}.`;
}

function setUp() {
  drawLegend($("legend"));
  $("jobs").textContent = String(model.jobs);
  $("isolation").textContent = model.isolated
    ? "This page is cross-origin isolated: it can also run the program on processors."
    : "This page is not cross-origin isolated (no COOP/COEP headers), so only the main thread can run it.";
  $("run-n1").addEventListener("click", () => start("n1"));
  $("run-mn").addEventListener("click", () => start("mn"));
  model.expected = expectedChecksum(model.jobs);     // now, while nothing runs
  requestAnimationFrame(frame);
  const wanted = params.get("run");
  if (wanted === "n1" || (wanted === "mn" && model.isolated)) start(wanted);
  else if (wanted === "mn") Object.assign(model, { mode: "mn", status: "error", error: "M:N needs a cross-origin isolated page" });
}

setUp();
