// Workers kept for the next run (host/mn/workers-node.ts, design note): a processor's Worker whose part
// in a run ended cleanly, and the ticker's, serve the next run of the process, which gives what a fresh
// one gives; a run stopped at its timeout keeps none of its processors; 1:1 runs, whose processors retire
// with their threads, keep them within the bound; a Worker whose keep time ends as a run asks for one is
// not handed out; WEFT_KEEP_WORKERS_MS=0 keeps none; idle Workers never keep the process alive.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { buildProgram, ROOT } from "./harness";
import { scratchDir } from "./scratch";
import { runShared } from "../dist/host/mn/run.js";
import { keptWorkers, releaseKeptWorkers, IDLE_KEEP_MS, IDLE_PROCESSORS } from "../dist/host/mn/workers-node.js";

const TIMEOUT = 120_000;

describe("Workers kept for the next run", () => {
  it("a clean run leaves its processors and ticker idle; the next takes them and prints the same", async () => {
    const wasm = await buildProgram("pingpong.ts", { shared: true });
    expect(keptWorkers()).toEqual({ processors: 0, tickers: 0 });
    const first = await runShared(wasm, { processors: 2, timeoutMs: 60_000 });
    expect({ status: first.status, stdout: first.stdout }).toEqual({ status: "exited", stdout: "a=10 b=100\n" });
    expect(keptWorkers()).toEqual({ processors: 2, tickers: 1 });
    for (let i = 0; i < 3; i++) {
      const again = await runShared(wasm, { processors: 2, timeoutMs: 60_000 });
      expect({ status: again.status, stdout: again.stdout, exitCode: again.exitCode }).toEqual({ status: "exited", stdout: first.stdout, exitCode: first.exitCode });
      expect(keptWorkers()).toEqual({ processors: 2, tickers: 1 });    // the same two: none started beside them
    }
    await runShared(wasm, { processors: 4, timeoutMs: 60_000 });       // two kept, two new
    expect(keptWorkers()).toEqual({ processors: 4, tickers: 1 });
  }, TIMEOUT);

  it("a run stopped at its timeout keeps none of its processors, and the next run goes on without them", async () => {
    const [forever, pingpong] = await Promise.all([buildProgram("spin_forever.ts", { shared: true }), buildProgram("pingpong.ts", { shared: true })]);
    await runShared(pingpong, { processors: 2, timeoutMs: 60_000 });
    const before = keptWorkers().processors;
    expect(before).toBeGreaterThanOrEqual(2);
    await expect(runShared(forever, { processors: 2, timeoutMs: 1500 })).rejects.toThrow(/did not end within 1500 ms; its processors were stopped/);
    expect(keptWorkers().processors).toBe(before - 2);                   // the two it took were terminated
    const after = await runShared(pingpong, { processors: 2, timeoutMs: 60_000 });
    expect({ status: after.status, stdout: after.stdout }).toEqual({ status: "exited", stdout: "a=10 b=100\n" });
  }, TIMEOUT);

  it("1:1: processors retired with their threads are kept within the bound, and the next 1:1 run prints the same", async () => {
    const wasm = await buildProgram("sync_waitgroup.ts", { shared: true });
    const fresh = await runShared(wasm, { model: "1:1", timeoutMs: 60_000 });
    expect(fresh.status).toBe("exited");
    expect(keptWorkers().processors).toBeGreaterThan(0);
    expect(keptWorkers().processors).toBeLessThanOrEqual(IDLE_PROCESSORS);
    const again = await runShared(wasm, { model: "1:1", timeoutMs: 60_000 });
    expect({ status: again.status, stdout: again.stdout }).toEqual({ status: "exited", stdout: fresh.stdout });
    expect(keptWorkers().processors).toBeLessThanOrEqual(IDLE_PROCESSORS);
  }, TIMEOUT);

  it("a Worker whose keep time ends just as a run asks for one is never handed out (60 runs, a 30 ms keep)", async () => {
    // The keep ends while the next run starts, again and again: a Worker handed out while its terminate()
    // was under way never started its processor, and the run waited for it until its timeout.
    const wasm = await buildProgram("pingpong.ts", { shared: true });
    const module = await WebAssembly.compile(wasm);
    process.env.WEFT_KEEP_WORKERS_MS = "30";
    try {
      const ends: string[] = [];
      for (let i = 0; i < 60; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20 + (i % 20)));
        try {
          const r = await runShared(module, { processors: 2, timeoutMs: 20_000 });
          ends.push(r.status === "exited" && r.stdout === "a=10 b=100\n" ? "ok" : `${r.status}: ${r.error ?? r.stdout}`);
        } catch (error) {
          ends.push((error as Error).message);
        }
      }
      expect(ends.filter((end) => end !== "ok")).toEqual([]);
    } finally {
      delete process.env.WEFT_KEEP_WORKERS_MS;
    }
  }, TIMEOUT);

  it("WEFT_KEEP_WORKERS_MS=0 keeps none", async () => {
    const wasm = await buildProgram("pingpong.ts", { shared: true });
    await releaseKeptWorkers();
    process.env.WEFT_KEEP_WORKERS_MS = "0";
    try {
      const r = await runShared(wasm, { processors: 2, timeoutMs: 60_000 });
      expect({ status: r.status, stdout: r.stdout }).toEqual({ status: "exited", stdout: "a=10 b=100\n" });
      expect(keptWorkers()).toEqual({ processors: 0, tickers: 0 });
    } finally {
      delete process.env.WEFT_KEEP_WORKERS_MS;
    }
  }, TIMEOUT);

  it(`idle Workers do not keep the process alive (they are kept ${IDLE_KEEP_MS} ms)`, async () => {
    const dir = scratchDir("mn-pool");
    const wasm = path.join(dir, "pingpong.wasm");
    writeFileSync(wasm, await buildProgram("pingpong.ts", { shared: true }));
    const script = `import { readFileSync } from "node:fs";
      import { runShared } from ${JSON.stringify(path.join(ROOT, "dist", "host", "mn", "run.js"))};
      import { keptWorkers } from ${JSON.stringify(path.join(ROOT, "dist", "host", "mn", "workers-node.js"))};
      const r = await runShared(readFileSync(${JSON.stringify(wasm)}), { processors: 2 });
      console.log(r.stdout.trim(), JSON.stringify(keptWorkers()));`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", printedAt = 0;
    child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; printedAt ||= performance.now(); });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const lingered = performance.now() - printedAt;
    expect({ status, stdout, stderr }).toEqual({ status: 0, stdout: `a=10 b=100 {"processors":2,"tickers":1}\n`, stderr: "" });
    // Kept Workers that held the process would hold it IDLE_KEEP_MS; exiting takes milliseconds.
    expect(lingered).toBeLessThan(IDLE_KEEP_MS / 2);
  }, TIMEOUT);
});
