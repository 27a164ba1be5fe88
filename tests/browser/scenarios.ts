// What the browser tests share, whichever browser runs the page (tests/browser.test.ts: chromium through
// playwright-core; tests/browser-firefox.test.ts: firefox-esr as a plain child process): getting the
// browser, the programs the page runs, the shape of what the page publishes, and the answers expected.

import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildModule } from "../harness";

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
 *  sync_cond_shared.wasm (shared memory, for M:N and 1:1), host_slice.wasm (page.html's ?frames=). */
export async function buildPrograms(dir: string): Promise<void> {
  const program = (name: string, shared = false, more = {}) => buildModule(path.join(ROOT, `tests/programs/${name}.ts`),
    { ...(shared ? { shared } : {}), ...more, outFile: path.join(dir, `${name}${shared ? "_shared" : ""}.wasm`) });
  await program("browser_sum");
  await program("browser_io");
  await program("browser_mn");
  await program("browser_mn", true);
  await program("sync_cond", true);
  await program("host_slice", false, { syncImports: ["app.stopped"] });
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
