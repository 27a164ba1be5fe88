// Other hosts (README, "Embedding"): the same switch benchmarks, bench/programs/yield.ts and channel.ts,
// run by a host other than weft's own, with weft's own host as the baseline in the same rounds:
//   wasi_yield_d1, wasi_channel_roundtrip   built with --target wasi and run by node:wasi alone (a child
//                     process: `weft run x.wasm` hands a WASI module to node:wasi; host/wasi.ts)
//   c_yield_d1, c_channel_roundtrip         the N:1 module turned into C by wasm2c and linked with the C
//                     kernel of examples/embed-c (build.sh), run natively
// The baselines (weft_yield_d1, weft_channel_roundtrip) are the N:1 modules under weft's own host, each a
// fresh `weft run` process as well. Within a round the hosts alternate, so that a busy spell of the
// machine falls on all of them; each figure is the median of the rounds (ns).

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../dist/host/compiler/build.js";
import { median } from "./baselines.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CLI = path.join(ROOT, "dist", "host", "cli.js");
const EMBED_C = path.join(ROOT, "examples", "embed-c", "build.sh");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench", "build");

const PROGRAMS = [["yield", "yield_d1"], ["channel", "channel_roundtrip"]];

/** The `name value` lines of a finished process; throws if it failed. */
function figures(command, args, what) {
  const r = spawnSync(command, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench: ${what} exited with ${r.status}: ${(r.stderr || "").trim()}`);
  const out = {};
  for (const line of r.stdout.split("\n")) {
    const m = /^(\w+) ([\d.e+-]+)$/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}

export async function embedBench({ quick = false, want = () => true } = {}) {
  const wantC = want("c_yield_d1") || want("c_channel_roundtrip");
  const wantWasi = want("wasi_yield_d1") || want("wasi_channel_roundtrip");
  if (!wantC && !wantWasi) return [];
  const dir = mkdtempSync(path.join(tmpdir(), "weft-bench-embed-"));
  try {
    const hosts = { weft: {}, wasi: {}, c: {} };
    for (const [program] of PROGRAMS) {
      const file = path.join(ROOT, "bench", "programs", program + ".ts");
      hosts.weft[program] = path.join(dir, `${program}.wasm`);
      writeFileSync(hosts.weft[program], (await build(file, { cache: CACHE })).wasm);
      if (wantWasi) {
        hosts.wasi[program] = path.join(dir, `${program}-wasi.wasm`);
        writeFileSync(hosts.wasi[program], (await build(file, { target: "wasi", cache: CACHE })).wasm);
      }
      if (wantC && existsSync(EMBED_C)) {
        hosts.c[program] = path.join(dir, `${program}-native`);
        const r = spawnSync("bash", [EMBED_C, hosts.weft[program], hosts.c[program]], { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`bench: examples/embed-c/build.sh ${program} failed: ${(r.stderr || "").trim().split("\n").slice(-3).join(" ")}`);
      }
    }
    const rounds = quick ? 3 : 5;
    const samples = {};
    const add = (name, value) => (samples[name] ??= []).push(value);
    for (let round = 0; round < rounds; round++) {
      for (const [program, figure] of PROGRAMS) {
        add(`weft_${figure}`, figures(process.execPath, [CLI, "run", hosts.weft[program]], `weft run ${program}`)[figure]);
        if (hosts.wasi[program]) add(`wasi_${figure}`, figures(process.execPath, [CLI, "run", hosts.wasi[program]], `weft run ${program} (WASI)`)[figure]);
        if (hosts.c[program]) add(`c_${figure}`, figures(hosts.c[program], [], `${program} (native)`)[figure]);
      }
    }
    const results = [];
    for (const [name, values] of Object.entries(samples)) {
      if (values.some((v) => !Number.isFinite(v))) throw new Error(`bench: ${name} did not report a figure`);
      if (name.startsWith("weft_") || !want(name)) continue;
      const figure = name.replace(/^(wasi|c)_/, "");
      const baseline = median(samples[`weft_${figure}`]);
      results.push({ bench: name, value: median(values), unit: "ns", runs: values.length, samples: values, weft_ns: baseline });
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
