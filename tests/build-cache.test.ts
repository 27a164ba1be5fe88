// The build cache (host/compiler/cache.ts): an unchanged program is served from it, equal to what the
// build made; any change to a file the compiler read, to a file it looked for and did not find, or to an
// option misses; a damaged entry is built anew; `--no-cache` bypasses it. On the other Node lines
// (scripts/node-lines.js sets WEFT_SMOKE) only the CLI's case runs: the cache itself is the same code on
// every line, and the CLI is where they differ (Node 22 and later add V8's compile cache to a build).
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, readdirSync, readFileSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { BuildOptions, BuildResult } from "../host/compiler/build.js";
import { CACHE_ENTRIES_MAX, STALE_TEMP_MS } from "../host/compiler/cache.js";
import { run } from "../host/kernel/runner.js";
import { ROOT, runNode } from "./harness";
import { scratchDir } from "./scratch";

// build() and fromCache() (host/compiler/build.ts, as compiled to dist/) run on a worker thread of this
// file's: a cold build is seconds of CPU, and this file's own thread must keep its event loop free
// (tests/event-loop.ts).
const COMPILER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const compiler = import(workerData);
parentPort.on("message", async ({ id, fn, file, options }) => {
  try { parentPort.postMessage({ id, value: await (await compiler)[fn](file, options) }); }
  catch (e) { parentPort.postMessage({ id, error: { name: e.name, message: e.message } }); }
});`;
let compiler: Worker | null = null;
const answers = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
let lastId = 0;
function call<T>(fn: "build" | "fromCache", file: string, options: BuildOptions): Promise<T> {
  if (!compiler) {
    compiler = new Worker(COMPILER_CODE, { eval: true, workerData: pathToFileURL(path.join(ROOT, "dist", "host", "compiler", "build.js")).href });
    compiler.on("message", ({ id, value, error }) => {
      const waiter = answers.get(id)!;
      answers.delete(id);
      if (error) waiter.reject(Object.assign(new Error(error.message), { name: error.name })); else waiter.resolve(value);
    });
  }
  const id = ++lastId;
  return new Promise((resolve, reject) => { answers.set(id, { resolve, reject }); compiler!.postMessage({ id, fn, file, options }); });
}
// Quick builds (host/compiler/options.ts): the cache keeps what the level makes, whichever it is.
const build = (file: string, options: BuildOptions) => call<BuildResult>("build", file, { optimize: "quick", ...options });
const fromCache = (file: string, options: BuildOptions) => call<BuildResult | null>("fromCache", file, { optimize: "quick", ...options });
afterAll(async () => { await compiler?.terminate(); });

/** A program in a fresh folder: app.ts prints what util (util.ts or util/index.ts) says. */
function project(files: Record<string, string>): { dir: string; app: string; cache: string } {
  const dir = scratchDir("weft-cache-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return { dir, app: path.join(dir, "app.ts"), cache: path.join(dir, ".cache") };
}
const APP = `import { print } from "weft";\nimport { word } from "./util";\nexport function main(): i32 { print(word()); return 0; }\n`;
const util = (w: string) => `export function word(): string { return "${w}"; }\n`;

async function output(result: BuildResult): Promise<string> {
  const r = await run(result.wasm as Uint8Array<ArrayBuffer>);
  expect(r.status).toBe("exited");
  return r.stdout.trim();
}
const modules = (cache: string) => readdirSync(cache).filter((f) => f.endsWith(".module"));
/** The cache's own cases: the machine's Node only. */
const cacheIt = process.env.WEFT_SMOKE ? it.skip : it;

describe("build cache", () => {
  cacheIt("serves an unchanged program, equal to the first build; an edited import or another option misses", async () => {
    const p = project({ "app.ts": APP, "util.ts": util("one") });
    const first = await build(p.app, { cache: p.cache });
    expect(first.cached).toBeUndefined();
    const second = await build(p.app, { cache: p.cache });
    expect(second.cached).toBe(true);
    expect(second).toEqual({ ...first, cached: true });
    expect(await fromCache(p.app, { cache: p.cache })).toEqual(second);

    writeFileSync(path.join(p.dir, "util.ts"), util("two"));                 // an imported file changes
    expect(await fromCache(p.app, { cache: p.cache })).toBeNull();
    const edited = await build(p.app, { cache: p.cache });
    expect(edited.cached).toBeUndefined();
    expect(await output(edited)).toBe("two");

    writeFileSync(path.join(p.dir, "util.ts"), util("one"));                 // and back: served again
    const back = await build(p.app, { cache: p.cache });
    expect(back.cached).toBe(true);
    expect(back.wasm).toEqual(first.wasm);

    const shared = await build(p.app, { cache: p.cache, shared: true });     // another option
    expect(shared.cached).toBeUndefined();
    expect(shared.wasm).not.toEqual(first.wasm);
    expect(modules(p.cache)).toHaveLength(3);
  }, 120_000);

  cacheIt("misses when a file the compiler looked for and did not find appears", async () => {
    const p = project({ "app.ts": APP, "util/index.ts": util("folder") });
    expect(await output(await build(p.app, { cache: p.cache }))).toBe("folder");
    writeFileSync(path.join(p.dir, "util.ts"), util("file"));                 // "./util" now means util.ts
    const again = await build(p.app, { cache: p.cache });
    expect(again.cached).toBeUndefined();
    expect(await output(again)).toBe("file");
  }, 120_000);

  cacheIt("builds anew over a damaged entry or manifest, and leaves a whole one", async () => {
    const p = project({ "app.ts": APP, "util.ts": util("one") });
    const first = await build(p.app, { cache: p.cache });
    const [entry] = modules(p.cache);
    const file = path.join(p.cache, entry);

    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;                                          // one byte of the module flipped
    writeFileSync(file, bytes);
    expect(await fromCache(p.app, { cache: p.cache })).toBeNull();
    const rebuilt = await build(p.app, { cache: p.cache });
    expect(rebuilt.cached).toBeUndefined();
    expect(rebuilt.wasm).toEqual(first.wasm);
    expect((await build(p.app, { cache: p.cache })).cached).toBe(true);       // written whole again

    truncateSync(file, 200);                                                    // a partial entry
    expect((await build(p.app, { cache: p.cache })).cached).toBeUndefined();
    const manifest = readdirSync(p.cache).find((f) => f.endsWith(".files"))!;
    writeFileSync(path.join(p.cache, manifest), "{ not json");                 // a damaged manifest
    const last = await build(p.app, { cache: p.cache });
    expect(last.cached).toBeUndefined();
    expect(last.wasm).toEqual(first.wasm);
    expect(readdirSync(p.cache).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }, 120_000);

  cacheIt("keeps the CACHE_ENTRIES_MAX most recently used modules, and removes what a dead writer left", async () => {
    const p = project({ "app.ts": APP, "util.ts": util("prune") });
    mkdirSync(p.cache);
    const old = Date.now() / 1000 - 3600;
    for (let i = 0; i < CACHE_ENTRIES_MAX + 10; i++) {                        // older entries, oldest first
      const file = path.join(p.cache, `old${i}.module`);
      writeFileSync(file, "x");
      utimesSync(file, old + i, old + i);
    }
    const stale = path.join(p.cache, "dead.module.1.x.tmp"), fresh = path.join(p.cache, "live.module.2.y.tmp");
    writeFileSync(stale, ""); writeFileSync(fresh, "");
    utimesSync(stale, Date.now() / 1000 - STALE_TEMP_MS / 1000 - 60, Date.now() / 1000 - STALE_TEMP_MS / 1000 - 60);
    await build(p.app, { cache: p.cache });
    const left = modules(p.cache);
    expect(left).toHaveLength(CACHE_ENTRIES_MAX);
    expect(left.filter((f) => !f.startsWith("old"))).toHaveLength(1);          // the new one stays
    expect(left).not.toContain("old10.module");                                 // the 11 oldest went
    expect(left).toContain("old11.module");
    expect(readdirSync(p.cache).filter((f) => f.endsWith(".tmp"))).toEqual(["live.module.2.y.tmp"]);
    expect((await build(p.app, { cache: p.cache })).cached).toBe(true);
  }, 120_000);

  it("the CLI uses it for build and run, and --no-cache bypasses it", async () => {
    const p = project({ "app.ts": APP, "util.ts": util("cli") });
    const env = { ...process.env, WEFT_CACHE_DIR: p.cache };
    const weft = (...args: string[]) => runNode([path.join(ROOT, "dist", "host", "cli.js"), ...args], { env });
    const out = path.join(p.dir, "app.wasm");

    const bypass = await weft("build", "--no-cache", p.app, "-o", out);
    expect(bypass.status).toBe(0);
    expect(bypass.stdout).not.toMatch(/from the build cache/);
    expect(readdirSync(p.dir)).not.toContain(".cache");                        // neither read nor filled
    expect((await weft("run", "--no-cache", p.app)).stdout).toBe("cli\n");
    expect(readdirSync(p.dir)).not.toContain(".cache");

    const ran = await weft("run", p.app);                                             // a miss fills it
    expect({ status: ran.status, stdout: ran.stdout }).toEqual({ status: 0, stdout: "cli\n" });
    expect(modules(p.cache)).toHaveLength(1);
    const built = await weft("build", p.app, "-o", out);                              // build uses the same entry
    expect(built.stdout).toMatch(/from the build cache/);
    expect(readFileSync(out).length).toBeGreaterThan(1000);
    expect((await weft("run", p.app)).stdout).toBe("cli\n");
    expect(modules(p.cache)).toHaveLength(1);
  }, 180_000);
});
