// Host functions (README, "Host functions"), ns per call, each the median of the runs:
//   host_call_sync      bench/programs/host_call.ts's `direct`, built as a sync import: a Wasm import
//                       weft wraps (a Promise or a throw must end only the calling thread)
//   host_call_ratio     what weft puts between a Wasm import and the function it is given for a sync
//                       import (host/kernel/calls.ts, directCall) against nothing: one loop, assembled
//                       here, calling its import, given the wrapped function and then the function itself,
//                       in the same runs (target <= 1.5)
//   host_call           a host function answered at once: one system call (IO_OP_CALL)
//   host_call_resolved  a host function that returns a resolved Promise: the thread parks, the host's
//                       microtask settles it, the completion ring brings it back
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { build } from "../dist/host/compiler/build.js";
import { run } from "../dist/host/kernel/runner.js";
import { directCall } from "../dist/host/kernel/calls.js";
import { median } from "./baselines.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench", "build");
const add = (x) => x + 1;

/** ns per call of `f` from a plain Wasm loop (no weft). */
async function loopCall(f, n) {
  const wabt = await createRequire(import.meta.url)("wabt")();
  const wat = `(module (import "bench" "add" (func $add (param i32) (result i32)))
    (func (export "loop") (param $n i32) (result i32) (local $i i32) (local $sum i32)
      (block $done (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum) (call $add (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (local.get $sum)))`;
  const parsed = wabt.parseWat("plain.wat", wat);
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  const { instance } = await WebAssembly.instantiate(buffer, { bench: { add: f } });
  instance.exports.loop(100_000);
  const t0 = performance.now();
  instance.exports.loop(n);
  return (performance.now() - t0) * 1e6 / n;
}

export async function callsBench({ quick = false } = {}) {
  const { wasm } = await build(path.join(ROOT, "bench", "programs", "host_call.ts"), { syncImports: ["bench.direct"], cache: CACHE });
  const imports = { bench: { direct: add, call: add, resolved: (x) => Promise.resolve(x + 1) } };
  const runs = quick ? 3 : 7;
  const samples = { host_call_sync: [], host_call: [], host_call_resolved: [], plain: [], wrapped: [] };
  const wrapped = directCall(add, { string: () => "", bytes: () => new Uint8Array(0), buffer: () => new Uint8Array(0) }, "bench.add", 1);
  for (let i = 0; i < runs; i++) {
    const result = await run(wasm, { imports });
    if (result.status !== "exited") throw new Error(`bench host_call: ${result.status} ${result.error ?? ""}`);
    for (const line of result.stdout.split("\n")) {
      const m = /^(\w+) ([\d.e+-]+)$/.exec(line.trim());
      if (m) samples[m[1]].push(Number(m[2]));
    }
    samples.wrapped.push(await loopCall(wrapped, 5_000_000));
    samples.plain.push(await loopCall(add, 5_000_000));
  }
  const ratios = samples.wrapped.map((v, i) => v / samples.plain[i]);
  return [
    { bench: "host_call_sync", value: median(samples.host_call_sync), unit: "ns", runs, samples: samples.host_call_sync },
    { bench: "host_call_ratio", value: median(ratios), unit: "ratio", runs, samples: ratios, weft_ns: median(samples.wrapped), plain_ns: median(samples.plain) },
    { bench: "host_call", value: median(samples.host_call), unit: "ns", runs, samples: samples.host_call },
    { bench: "host_call_resolved", value: median(samples.host_call_resolved), unit: "ns", runs, samples: samples.host_call_resolved },
  ];
}
