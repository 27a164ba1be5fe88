// The timeline trace's cost (assembly/core/trace.ts), on bench/programs/channel.ts (channel_roundtrip):
//   trace_overhead_off   built with the trace's hooks, not tracing / built without them (`traceHooks:
//                        false`): what every program pays for the hooks (target <= 1.01)
//   trace_overhead_on    tracing (RunOptions.trace) / not tracing, the same module (target <= 1.30)
// The three runs alternate in one process; each figure is a ratio of medians.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../dist/host/compiler/build.js";
import { run } from "../dist/host/kernel/runner.js";
import { median } from "./baselines.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench", "build");
const PROGRAM = path.join(ROOT, "bench", "programs", "channel.ts");

/** channel_roundtrip (ns) of one run. */
async function roundTrip(wasm, options = {}) {
  const r = await run(wasm, options);
  const m = /^channel_roundtrip ([\d.e+-]+)$/m.exec(r.stdout);
  if (r.status !== "exited" || !m) throw new Error(`bench trace: ${r.status} ${r.error ?? ""} ${r.stderr}`.trim());
  if (options.check && !(r.trace?.otherData.weft.records > 0)) throw new Error("bench trace: the traced run recorded nothing");
  return Number(m[1]);
}

export async function traceBench({ quick = false, want = () => true } = {}) {
  const runs = quick ? 5 : 11;
  const hooks = (await build(PROGRAM, { cache: CACHE })).wasm;
  const bare = (await build(PROGRAM, { cache: CACHE, traceHooks: false })).wasm;
  const none = [], off = [], on = [];
  await roundTrip(hooks);                                 // warm-up: the engine's optimised code
  // Once, that the trace is there; the timed runs never read theirs (RunResult.trace is made when read).
  if (want("trace_overhead_on")) await roundTrip(hooks, { trace: true, check: true });
  for (let i = 0; i < runs; i++) {
    none.push(await roundTrip(bare));
    off.push(await roundTrip(hooks));
    if (want("trace_overhead_on")) on.push(await roundTrip(hooks, { trace: true }));
  }
  const results = [];
  if (want("trace_overhead_off")) {
    results.push({ bench: "trace_overhead_off", value: median(off) / median(none), unit: "ratio", runs, samples: off.map((x, i) => x / none[i]),
      hooks_ns: +median(off).toFixed(1), without_ns: +median(none).toFixed(1) });
  }
  if (want("trace_overhead_on")) {
    results.push({ bench: "trace_overhead_on", value: median(on) / median(off), unit: "ratio", runs, samples: on.map((x, i) => x / off[i]),
      tracing_ns: +median(on).toFixed(1), off_ns: +median(off).toFixed(1) });
  }
  return results;
}
