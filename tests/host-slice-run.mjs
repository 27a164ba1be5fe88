// Runs tests/programs/host_slice.ts (built with syncImports ["app.stopped"]) beside a 5 ms setInterval,
// with the hostSlice given ("default" or a number of ms, "Infinity" included), and prints JSON: the run's
// stdout, how often the interval fired, and its latest firing relative to when it was due.
import { readFileSync } from "node:fs";
import { run } from "../dist/host/kernel/runner.js";

const [file, slice] = process.argv.slice(2);
let fired = 0, latest = 0, due = 0;
const started = performance.now();
due = started + 5;
const timer = setInterval(() => {
  const t = performance.now();
  latest = Math.max(latest, t - due);
  due = t + 5;
  fired++;
}, 5);
// Firings count from the threads' first question on: the interval may fire while the module compiles.
let asked = false;
const stopped = () => {
  if (!asked) { asked = true; fired = 0; }
  return fired >= 10;
};
const options = { imports: { app: { stopped } } };
if (slice !== "default") options.hostSlice = Number(slice);
const r = await run(readFileSync(file), options);
clearInterval(timer);
console.log(JSON.stringify({ status: r.status, stdout: r.stdout, error: r.error ?? null, firedDuringRun: fired, latestMs: latest, ms: performance.now() - started }));
