// What the browser tests share, whichever browser runs the page (tests/browser.test.ts: chromium through
// playwright-core; tests/browser-firefox.test.ts: firefox-esr as a plain child process): getting the
// browser, the programs the page runs, the shape of what the page publishes, and the answers expected.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { fileURLToPath } from "node:url";
import { buildModule, FORK_VALUES } from "../harness";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs scripts/ensure-browser.js for `browsers` (its arguments; none: chromium); rejects with its
 *  one-line reason if a browser cannot be had. Asynchronous: installing one takes a while, and the test
 *  file's event loop must stay free meanwhile (tests/event-loop.ts). */
export function ensureBrowser(...browsers: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [path.join(ROOT, "scripts/ensure-browser.js"), ...browsers],
      { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 }, (error, _stdout, stderr) => {
        if (!error) return resolve();
        reject(new Error(stderr.trim() || `ensure-browser failed: ${error.message}`));
      });
    child.stdout?.pipe(process.stdout);   // what it installs, as it goes
  });
}

/** Builds the programs page.html runs into `dir`, as the tests name them under /build/:
 *  browser_sum.wasm, browser_io.wasm, browser_mn.wasm (N:1), browser_mn_shared.wasm and
 *  sync_cond_shared.wasm (shared memory, for M:N and 1:1), host_slice.wasm (page.html's ?frames=),
 *  process_fork.wasm and process_fork_shared.wasm (fork). */
export async function buildPrograms(dir: string): Promise<void> {
  const program = (name: string, shared = false, more = {}) => buildModule(path.join(ROOT, `tests/programs/${name}.ts`),
    { ...(shared ? { shared } : {}), ...more, outFile: path.join(dir, `${name}${shared ? "_shared" : ""}.wasm`) });
  await program("browser_sum");
  await program("browser_io");
  await program("browser_mn");
  await program("browser_mn", true);
  await program("sync_cond", true);
  await program("host_slice", false, { syncImports: ["app.stopped"] });
  await program("process_fork");
  await program("process_fork", true);
}

/** What page.html publishes (window.__weftResult, and the `result` of its report). */
export interface PageResult {
  status: string;
  exitCode?: number;
  stdout?: string;
  threads?: unknown[];
  error?: string;
  lines?: string[];
  crossOriginIsolated?: boolean;
  /** M:N refused, and the N:1 fallback ran instead (page.html's ?fallback=). */
  refused?: { name: string; message: string };
  /** Turns of a 4 ms interval on the page's main thread while runShared ran. */
  ticks?: number;
  /** ?frames=: animation frames the page drew while run() ran, and the run's ms. */
  frames?: number;
  runMs?: number;
  /** M:N: the Workers the (first) run started, those kept after it, and ?runs='s later runs. */
  started?: number;
  kept?: { processors: number; tickers: number };
  reruns?: { status: string; exitCode?: number; lines: string[]; started: number; kept: { processors: number; tickers: number }; ms: number }[];
}

/** The `key=value` lines a program printed, as an object. */
export function valuesOf(result: PageResult): Record<string, string> {
  return Object.fromEntries((result.lines ?? []).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** What tests/programs/browser_mn.ts prints on `processors` processors when every sum is right. */
export const mnAnswer = (processors: number) => ({
  counter: "160000", counter_expected: "160000", channel_sum: "8004000", channel_expected: "8004000",
  processors: String(processors), ran_on: Array.from({ length: processors }, (_, i) => i).join(","),
});

/** One scenario: what page.html is asked to run (its query), on which server (plain, or cross-origin
 *  isolated), and what the result must say (`log` goes into every failure message). Both browser test
 *  files run every one; each also checks that the page raised no error of its own. */
export interface Scenario {
  name: string;
  query: Record<string, string | number>;
  on: "plain" | "isolated";
  check(result: PageResult, log: string): void;
}

const exited = (result: PageResult, log: string, exitCode?: number) =>
  expect({ status: result.status, error: result.error ?? null, ...(exitCode === undefined ? {} : { exitCode: result.exitCode }) }, log)
    .toEqual({ status: "exited", error: null, ...(exitCode === undefined ? {} : { exitCode }) });

export const SCENARIOS: Scenario[] = [
  {
    name: "runs 8 yielding threads summing 1..100000 and exits with total % 251",
    query: { wasm: "/build/browser_sum.wasm" }, on: "plain",
    check(result, log) {
      exited(result, log);
      expect(result.stdout, log).toContain("5000050000");
      expect(result.lines, log).toContain("total 5000050000");
      expect(result.exitCode, log).toBe(Number(5000050000n % 251n)); // 233
    },
  },
  {
    name: "keeps drawing while 8 threads compute with run() on the page's main thread (the host slice's turns)",
    query: { wasm: "/build/host_slice.wasm", frames: 10 }, on: "plain",
    check(result, log) {
      exited(result, log);
      // the threads stop only once the page has drawn 10 frames since the run began: it drew while they computed
      expect(result.lines, log).toEqual(["threads=8 gave_up=0"]);
      expect(result.frames, log).toBeGreaterThanOrEqual(10);
    },
  },
  {
    name: "reads a granted URL as a file while other threads run, and refuses what the page cannot do",
    query: { wasm: "/build/browser_io.wasm", fetch: "/tests/browser/" }, on: "plain",
    check(result, log) {
      exited(result, log);
      const values = valuesOf(result);
      const fixture = readFileSync(path.join(ROOT, "tests/browser/fixture.txt"), "utf8");
      expect(values, log).toMatchObject({
        bytes: String(Buffer.byteLength(fixture)), first: fixture.split("\n")[0],
        ungranted: "EACCES", missing: "ENOENT", stat: "ENOTSUP", blocking: "ENOTSUP",
      });
      expect(Number(values.counted), log).toBeGreaterThan(0);   // the counter ran while the reads waited
    },
  },
  ...[2, 4].map((processors): Scenario => ({
    name: `runs a threaded program on ${processors} Web Workers of a cross-origin isolated page, on every one, while the page stays responsive`,
    query: { wasm: "/build/browser_mn_shared.wasm", processors }, on: "isolated",
    check(result, log) {
      expect(result.crossOriginIsolated, log).toBe(true);
      exited(result, log, 0);
      expect(valuesOf(result), log).toEqual(mnAnswer(processors));
      expect(result.ticks, log).toBeGreaterThan(2);   // the main thread ran its timers during the run
    },
  })),
  {
    name: "keeps its Workers for the page's next run: three more runs on 2 Web Workers start none and print the same",
    query: { wasm: "/build/browser_mn_shared.wasm", processors: 2, runs: 4 }, on: "isolated",
    check(result, log) {
      exited(result, log, 0);
      expect(valuesOf(result), log).toEqual(mnAnswer(2));
      const kept = { processors: 2, tickers: 1 };
      expect({ started: result.started, kept: result.kept }, log).toEqual({ started: 3, kept });   // 2 processors and the ticker
      expect(result.reruns?.map((r) => ({ ...r, values: valuesOf(r) })), log).toEqual(Array.from({ length: 3 }, () =>
        expect.objectContaining({ status: "exited", exitCode: 0, values: mnAnswer(2), started: 0, kept })));
    },
  },
  {
    name: "runs 1:1 (a Web Worker per thread) on a cross-origin isolated page: a Cond program's answer",
    query: { wasm: "/build/sync_cond_shared.wasm", processors: 1, model: "1:1" }, on: "isolated",
    check(result, log) {
      exited(result, log, 0);
      // sync_cond prints the same in every model (tests/mn.test.ts compares it with N:1 in Node).
      expect(valuesOf(result), log).toMatchObject({ waiting: "4", after_signal: "1", after_broadcast: "4", owner_errors: "0", wait_errors: "0" });
    },
  },
  {
    name: "forks with run() on the page's main thread: the child is an instance beside the parent",
    query: { wasm: "/build/process_fork.wasm" }, on: "plain",
    check(result, log) {
      exited(result, log, 0);
      expect(valuesOf(result), log).toEqual(FORK_VALUES);
    },
  },
  {
    name: "forks on 2 Web Workers of a cross-origin isolated page: the child is a run of its own, on Workers of its own",
    query: { wasm: "/build/process_fork_shared.wasm", processors: 2 }, on: "isolated",
    check(result, log) {
      exited(result, log, 0);
      expect(valuesOf(result), log).toEqual(FORK_VALUES);
    },
  },
  {
    name: "refuses M:N on a page that is not cross-origin isolated, with the reason, and runs N:1 there",
    query: { wasm: "/build/browser_mn_shared.wasm", processors: 2, fallback: "/build/browser_mn.wasm" }, on: "plain",
    check(result, log) {
      expect(result.crossOriginIsolated, log).toBe(false);
      expect(result.refused?.name, log).toBe("WeftError");
      expect(result.refused?.message, log).toContain("M:N needs a cross-origin isolated page (COOP/COEP headers)");
      exited(result, log, 0);
      expect(valuesOf(result), log).toEqual(mnAnswer(1));
    },
  },
];
