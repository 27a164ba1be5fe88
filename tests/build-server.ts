// The tests' build service (vitest globalSetup): every test program the suite builds is built here, in
// the vitest process, on build threads (tests/build-worker.mjs), and kept in a cache on disk.
//
// Design note
// -----------
// A build is seconds of synchronous Binaryen work. Done in a test file's own process it holds that
// process's event loop all along, and vitest's calls between the process and the runner (60 s timeout)
// go unanswered: a run whose tests all passed failed with `Timeout calling "onTaskUpdate"`. A build thread
// per test file would free the event loop, but every file would load the compiler afresh and pay its
// warm-up (the first build of a process costs about twice a later one), and two files running at once
// would build the same program twice. So the builds have one home for the whole run:
//   1. setup starts BUILD_THREADS build threads and an HTTP server on 127.0.0.1 (a free port), and
//      hands its address to the test files (provide / inject: "weftBuildServer");
//   2. a test file (tests/harness.ts, buildModule) posts `{ file, options }` and waits for the answer
//      without blocking; or posts `{ file, options, ahead: true }` for a module it will ask for later
//      (harness buildAhead), without waiting;
//   3. the server names the build by a key: the hash of the pipeline (weft's assembly/, the compiled
//      build pipeline dist/host/compiler/ with every file it imports, and the compiler packages'
//      versions), the program's path and text, and the options in the order of their names (`outFile`
//      aside: the harness writes that copy). If the cache holds the key, it answers at once; if a build
//      of it is under way, the request waits for that build; otherwise the build is queued for the next
//      free thread. Builds a test waits for go first: a build asked for ahead waits until no other is
//      queued, or until a test asks for it;
//   4. a built module goes into the cache as <key>.json (the BuildResult without its bytes) and then
//      <key>.wasm, each written whole under a temporary name and renamed, so that a reader who finds the
//      .wasm finds both; the answer is `{ key }`. A failed build is not kept: the answer is
//      `{ error: { name, message } }`, and the harness throws it again (a BuildError stays one).
// QUICK. The suite builds ~170 modules, and a build's time is mostly Binaryen's optimiser: a test that
// does not say how to optimise gets `optimize: "quick"` (host/compiler/options.ts: level 1, one pass
// after Asyncify), which halves a build and leaves the pipeline and its checks as they are. What the
// tests assert does not depend on how fast the switch paths run; the full level is what every program
// the suite runs through the command line gets (examples, `weft run`), and what tests/build.test.ts and
// the benchmarks check.
// The cache (node_modules/.cache/weft-tests) outlives the run: a second run builds only what changed.
// At the end the server says in one line how many modules it built, in how long, and how many requests
// the cache answered; BUILD_LOG lists each build with its cost.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import http from "node:http";
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The build server's address, http://127.0.0.1:<port>/ (tests/harness.ts, buildModule). */
    weftBuildServer: string;
  }
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUILD_CACHE = path.join(ROOT, "node_modules", ".cache", "weft-tests");
/** What the last run built, a line per build (ms, program, options): where a cold run's time went. A
 *  smoke run on another Node line (scripts/node-lines.js, WEFT_SMOKE) keeps its own, so that the whole
 *  run's list outlives `npm test`. */
const BUILD_LOG = path.join(BUILD_CACHE, process.env.WEFT_SMOKE ? `builds-node${process.versions.node.split(".")[0]}.log` : "builds.log");
/** Build threads: one per core, at most 2 (a build is CPU-bound: more threads than cores only share them;
 *  and the test files run beside them). Not configurable. */
const BUILD_THREADS = Math.max(1, Math.min(2, availableParallelism()));

export interface BuildRequest { file: string; options: Record<string, unknown>; ahead?: boolean }
export type BuildAnswer = { key: string } | { error: { name: string; message: string } };

async function filesUnder(dir: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p, ext)));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

/** `file` and every file it imports by a relative path ("./x.js"), however deep. */
async function withImports(file: string, seen = new Set<string>()): Promise<string[]> {
  if (seen.has(file)) return [...seen];
  seen.add(file);
  // Static imports, and dynamic ones: build.js loads the pipeline with import("./pipeline.js") on a miss.
  for (const m of (await readFile(file, "utf8")).matchAll(/(?:from\s+|import\(\s*)["'](\.{1,2}\/[^"']+\.js)["']/g)) {
    await withImports(path.join(path.dirname(file), m[1]), seen);
  }
  return [...seen].sort();
}

/** Step 3's pipeline hash. */
async function hashPipeline(): Promise<string> {
  const pipeline = path.join(ROOT, "dist", "host", "compiler", "build.js");
  if (!existsSync(pipeline)) throw new Error(`tests: ${pipeline} is missing: compile the host first (npx tsc -p tsconfig.json)`);
  const h = createHash("sha256");
  for (const f of [...(await filesUnder(path.join(ROOT, "assembly"), ".ts")), ...(await withImports(pipeline))]) {
    h.update(f).update(await readFile(f));
  }
  // The compilers' versions: asc, and the Binaryen asc resolves (npm may nest it under assemblyscript/).
  const ascPackage = createRequire(pipeline).resolve("assemblyscript/package.json");
  for (const p of [ascPackage, createRequire(ascPackage).resolve("binaryen/package.json")]) {
    const { name, version } = JSON.parse(await readFile(p, "utf8")) as { name: string; version: string };
    h.update(`${name}@${version}`);
  }
  return h.digest("hex");
}

/** Writes `data` to `file` whole: under a temporary name first, then renamed. */
async function writeWhole(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, file);
}

type Job = {
  key: string; file: string; options: Record<string, unknown>; ahead: boolean;
  done: (answer: { result?: Record<string, unknown> & { wasm: Uint8Array }; error?: { name: string; message: string }; ms?: number }) => void;
};

/** BUILD_THREADS threads, each building one program at a time; jobs wait in order for a free one, those
 *  asked for ahead after the others. */
class BuildThreads {
  private idle: Worker[] = [];
  private all = new Set<Worker>();
  private queue: Job[] = [];
  private running = new Map<Worker, Job>();

  constructor(count: number) {
    for (let i = 0; i < count; i++) this.start();
  }

  private start(): void {
    const worker = new Worker(new URL("./build-worker.mjs", import.meta.url));
    this.all.add(worker);
    worker.on("message", (m) => {
      const job = this.running.get(worker)!;
      this.running.delete(worker);
      this.idle.push(worker);
      job.done(m);
      this.next();
    });
    // A thread that failed outside a build (the compiler aborted): its job fails, a new thread replaces it.
    worker.on("error", (e) => {
      const job = this.running.get(worker);
      this.running.delete(worker);
      this.all.delete(worker);
      job?.done({ error: { name: "Error", message: `the build thread failed: ${e.message}` } });
      this.start();
      this.next();
    });
    this.idle.push(worker);
  }

  private next(): void {
    while (this.idle.length && this.queue.length) {
      const first = this.queue.findIndex((j) => !j.ahead);
      const [job] = this.queue.splice(first >= 0 ? first : 0, 1);
      const worker = this.idle.pop()!;
      this.running.set(worker, job);
      worker.postMessage({ file: job.file, options: job.options });
    }
  }

  build(key: string, file: string, options: Record<string, unknown>, ahead: boolean): Promise<Parameters<Job["done"]>[0]> {
    return new Promise((done) => { this.queue.push({ key, file, options, ahead, done }); this.next(); });
  }

  /** A test now waits for the build of `key`: if it is still queued, it goes before those asked for ahead. */
  hurry(key: string): void {
    for (const job of this.queue) if (job.key === key) job.ahead = false;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.all].map((w) => w.terminate()));
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pipelineHash = await hashPipeline();
  const threads = new BuildThreads(BUILD_THREADS);
  const underWay = new Map<string, Promise<BuildAnswer>>();
  const tally = { built: 0, failed: 0, buildMs: 0, cached: 0, waited: 0 };
  const builds: string[] = [];        // one line per build: ms, program, options (BUILD_LOG)
  await mkdir(BUILD_CACHE, { recursive: true });

  async function answer({ file, options, ahead = false }: BuildRequest): Promise<BuildAnswer> {
    const { outFile: _, ...buildOptions } = options;
    // Quick unless a test says how (QUICK).
    if (buildOptions.optimize === undefined) buildOptions.optimize = "quick";
    // A file that cannot be read is built anyway, for the build's own error (a failed build is not kept).
    const source = await readFile(file).catch(() => Buffer.alloc(0));
    const named = Object.fromEntries(Object.entries(buildOptions).sort(([a], [b]) => (a < b ? -1 : 1)));
    const key = createHash("sha256").update(pipelineHash).update(file).update(source)
      .update(JSON.stringify(named)).digest("hex").slice(0, 32);
    const wasmFile = path.join(BUILD_CACHE, key + ".wasm");
    if (existsSync(wasmFile)) { tally.cached++; return { key }; }
    let building = underWay.get(key);
    if (building) {
      tally.waited++;
      if (!ahead) threads.hurry(key);
    } else {
      building = (async (): Promise<BuildAnswer> => {
        const { result, error, ms = 0 } = await threads.build(key, file, buildOptions, ahead);
        tally.buildMs += ms;
        builds.push(`${ms.toFixed(0)}\t${path.relative(ROOT, file)}\t${JSON.stringify(named)}${error ? "\tfailed" : ""}`);
        if (error || !result) {
          tally.failed++;
          return { error: error ?? { name: "Error", message: "the build thread sent no result" } };
        }
        tally.built++;
        const { wasm, ...about } = result;
        await writeWhole(path.join(BUILD_CACHE, key + ".json"), JSON.stringify(about));
        await writeWhole(wasmFile, wasm);
        return { key };
      })().finally(() => underWay.delete(key));
      underWay.set(key, building);
    }
    return building;
  }

  const server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8").on("data", (chunk) => (body += chunk)).on("end", async () => {
      let reply: BuildAnswer | Record<string, never>;
      try {
        const asked = JSON.parse(body) as BuildRequest;
        // Asked ahead: answered at once; the test asks again when it needs the module.
        if (asked.ahead) { answer(asked).catch(() => {}); reply = {}; }
        else reply = await answer(asked);
      } catch (e) {
        reply = { error: { name: "Error", message: `tests/build-server.ts: ${(e as Error).message}` } };
      }
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  project.provide("weftBuildServer", `http://127.0.0.1:${port}/`);

  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await threads.stop();
    if (builds.length) await writeFile(BUILD_LOG, builds.join("\n") + "\n").catch(() => {});
    console.log(`tests: the build server built ${tally.built} modules (and failed ${tally.failed} builds, as tests ask) ` +
      `in ${(tally.buildMs / 1000).toFixed(0)} s on ${BUILD_THREADS} threads; the cache answered ${tally.cached} ` +
      `requests, and ${tally.waited} waited for a build under way`);
  };
}
