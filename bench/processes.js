// What a process costs (assembly/core/fork.ts, host/kernel/processes.ts): bench/programs/process_cost.ts,
// N:1, with 16 MB of live objects in its heap:
//   fork_ms           fork() to the child running its first instruction after it (median of 9)
//   spawn_process_ms  posixSpawn() of a small built program to its main running (median of 9)
//   fork_spawn_ratio  fork_ms / spawn_process_ms, same run (target <= 2)
//   fork_dense_ms     fork_ms with every byte of the 16 MB set: the copy cannot skip zero pages
//   fork_ms_p2        fork_ms for the same program built shared, on 2 processors
import path from "node:path";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "../dist/host/compiler/build.js";
import { run } from "../dist/host/kernel/runner.js";
import { runShared } from "../dist/host/mn/run.js";
import { NodeIo, loadFromDisk } from "../dist/host/node.js";
import { median } from "./baselines.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "weft-bench", "build");

export async function processesBench({ want = () => true } = {}) {
  const { wasm } = await build(path.join(ROOT, "bench", "programs", "process_cost.ts"), { cache: CACHE });
  const hello = path.join(CACHE, "process_hello.wasm");
  writeFileSync(hello, (await build(path.join(ROOT, "bench", "programs", "process_hello.ts"), { cache: CACHE })).wasm);
  const forks = [], spawns = [];
  let spawnAt = 0;
  const result = await run(wasm, {
    args: ["process_cost", hello], loadProgram: loadFromDisk, io: new NodeIo(),
    stdout: (line) => {
      const [word, value] = line.split(" ");
      if (word === "fork_ms") forks.push(Number(value));
      else if (word === "spawn_at") spawnAt = Number(value);
      else if (word === "started") spawns.push(Number(value) - spawnAt);
    },
  });
  if (result.status !== "exited" || result.exitCode !== 0) throw new Error(`bench process_cost: ${result.status} ${result.error ?? ""}`);
  const fork = median(forks), spawn = median(spawns);
  const denseForks = [];
  if (want("fork_dense_ms")) {
    const r = await run(wasm, {
      args: ["process_cost", hello, "dense"], loadProgram: loadFromDisk, io: new NodeIo(),
      stdout: (line) => { const [word, value] = line.split(" "); if (word === "fork_ms") denseForks.push(Number(value)); },
    });
    if (r.status !== "exited" || r.exitCode !== 0) throw new Error(`bench process_cost dense: ${r.status} ${r.error ?? ""}`);
  }
  const sharedForks = [];
  if (want("fork_ms_p2")) {
    const shared = await build(path.join(ROOT, "bench", "programs", "process_cost.ts"), { cache: CACHE, shared: true });
    const r = await runShared(shared.wasm, {
      processors: 2, args: ["process_cost", hello], io: new NodeIo(), loadProgram: loadFromDisk,
      stdout: (line) => { const [word, value] = line.split(" "); if (word === "fork_ms") sharedForks.push(Number(value)); },
    });
    if (r.status !== "exited" || r.exitCode !== 0) throw new Error(`bench process_cost on 2 processors: ${r.status} ${r.error ?? ""}`);
  }
  return [
    ...(denseForks.length ? [{ bench: "fork_dense_ms", value: median(denseForks), unit: "ms", runs: denseForks.length, samples: denseForks }] : []),
    ...(sharedForks.length ? [{ bench: "fork_ms_p2", value: median(sharedForks), unit: "ms", runs: sharedForks.length, samples: sharedForks }] : []),
    { bench: "fork_ms", value: fork, unit: "ms", runs: forks.length, samples: forks },
    { bench: "spawn_process_ms", value: spawn, unit: "ms", runs: spawns.length, samples: spawns },
    { bench: "fork_spawn_ratio", value: fork / spawn, unit: "ratio", runs: forks.length },
  ].filter((r) => want(r.bench));
}
