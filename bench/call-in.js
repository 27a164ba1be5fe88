// JavaScript calling in (host/serve.ts): app.call("add", i, 1) on bench/programs/call_in.ts, from
// the call to its resolved Promise, in µs per call (median of 7 rounds):
//   call_in_us              N:1, one call at a time (each waits for the last)
//   call_in_burst_us        N:1, 1,000 calls in flight: the time for all over 1,000
//   call_in_mn_us           2 processors, one at a time
//   call_in_mn_burst_us     2 processors, 1,000 in flight
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../dist/host/compiler/build.js";
import { start } from "../dist/host/index.js";
import { median } from "./baselines.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench", "build");
const PROGRAM = path.join(ROOT, "bench", "programs", "call_in.ts");

async function rounds(app, serial, n) {
  const samples = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    if (serial) for (let i = 0; i < n; i++) await app.call("add", i, 1);
    else await Promise.all(Array.from({ length: n }, (_, i) => app.call("add", i, 1)));
    samples.push(((performance.now() - t) * 1000) / n);
  }
  return samples;
}

export async function callInBench({ quick = false, want = () => true } = {}) {
  const results = [];
  for (const [label, shared] of [["", false], ["_mn", true]]) {
    if (!want(`call_in${label}_us`) && !want(`call_in${label}_burst_us`)) continue;
    const { wasm } = await build(PROGRAM, { cache: CACHE, shared });
    const app = await start(wasm, shared ? { processors: 2 } : {});
    try {
      await rounds(app, true, 100);                                    // warm up
      const serial = await rounds(app, true, quick ? 200 : shared ? 500 : 2000);
      const burst = await rounds(app, false, 1000);
      results.push({ bench: `call_in${label}_us`, value: +median(serial).toFixed(2), unit: "µs", runs: serial.length, samples: serial });
      results.push({ bench: `call_in${label}_burst_us`, value: +median(burst).toFixed(2), unit: "µs", runs: burst.length, samples: burst });
    } finally {
      await app.close();
    }
  }
  return results.filter((r) => want(r.bench));
}
