// weft in a real browser: Debian's chromium, driven by playwright-core, loads the ESM host build
// (/dist/host/index.js) from a static server over the repository and runs a prebuilt module in the page.
// Nothing here is skipped: without chromium or playwright-core the suite fails with the reason.
//
// Setup, in order:
//   1. scripts/ensure-browser.js makes sure chromium and playwright-core are present (fast when they are);
//   2. tests/programs/browser_sum.ts is built into a temp folder, served under /build/;
//   3. the repository root is served on 127.0.0.1, chromium opens tests/browser/page.html?wasm=...,
//      and the page publishes run()'s result as window.__weftResult.
// Every failure message carries the page's console transcript.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { build } from "../host/build";
import { serve, type Server } from "./browser/server";
import { launchPage, type BrowserPage } from "./browser/launch";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SETUP_TIMEOUT = 180_000; // a cold build takes a few seconds, a chromium start a few more
const RUN_TIMEOUT = 30_000; // the program itself runs in milliseconds

/** Runs scripts/ensure-browser.js; throws its one-line reason if the browser cannot be had. */
function ensureBrowser(): void {
  try {
    execFileSync(process.execPath, [path.join(ROOT, "scripts/ensure-browser.js")], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "pipe"],
      encoding: "utf8",
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(stderr || `ensure-browser failed: ${(error as Error).message}`);
  }
}

/** GET `urlPath` exactly as written (fetch would normalise away the `..`). */
function rawGet(base: string, urlPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http.get({ hostname, port, path: urlPath }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    }).on("error", reject);
  });
}

interface PageResult {
  status: string;
  exitCode?: number;
  stdout?: string;
  threads?: unknown[];
  error?: string;
  lines?: string[];
  crossOriginIsolated?: boolean;
}

describe("static server", () => {
  let server: Server;
  beforeAll(async () => { server = await serve(ROOT, { crossOriginIsolated: true }); });
  afterAll(async () => { await server?.close(); });

  it("serves files with their MIME type and the cross-origin isolation headers", async () => {
    const page = await rawGet(server.url, "/tests/browser/page.html");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(page.headers["cross-origin-embedder-policy"]).toBe("require-corp");
    const json = await rawGet(server.url, "/package.json");
    expect(json.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(json.body).name).toBe("weft");
  });

  it("refuses paths that escape the root", async () => {
    for (const escape of ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/tests/..%2f..%2f..%2fetc/passwd"]) {
      const response = await rawGet(server.url, escape);
      expect(response.body, escape).not.toMatch(/root:/);
      expect([403, 404], escape).toContain(response.status);
    }
  });
});

describe("weft in chromium", () => {
  let buildDir: string | undefined;
  let server: Server | undefined;
  let browser: BrowserPage | undefined;

  // A failing beforeAll makes vitest report the tests as skipped; keep the error and fail each test with it.
  let setupError: unknown;

  beforeAll(async () => {
    try {
      ensureBrowser();
      buildDir = await mkdtemp(path.join(tmpdir(), "weft-browser-build-"));
      await build(path.join(ROOT, "tests/programs/browser_sum.ts"), { outFile: path.join(buildDir, "browser_sum.wasm") });
      await build(path.join(ROOT, "tests/programs/browser_io.ts"), { outFile: path.join(buildDir, "browser_io.wasm") });
      server = await serve(ROOT, { mounts: { "/build/": buildDir } });
      browser = await launchPage();
    } catch (error) {
      setupError = error;
    }
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  /** Opens page.html on `wasm` and returns what it published, or throws with the page's transcript. */
  async function runInPage(wasm: string, fetchGrant?: string): Promise<PageResult> {
    if (setupError) throw setupError;
    const { page } = browser!;
    const url = `${server!.url}/tests/browser/page.html?wasm=${encodeURIComponent(wasm)}` +
      (fetchGrant ? `&fetch=${encodeURIComponent(fetchGrant)}` : "");
    await page.goto(url, { waitUntil: "load" });
    try {
      await page.waitForFunction(() => (window as { __weftResult?: unknown }).__weftResult !== undefined, null,
        { timeout: RUN_TIMEOUT });
    } catch {
      // run() executes Wasm on the page's main thread: a run that never returns blocks the page, and
      // nothing more can be logged. The transcript below is everything up to that point.
      throw new Error(`the page published no result within ${RUN_TIMEOUT} ms (run() never returned, or the ` +
        `page never loaded); page log:\n${browser!.transcript()}`);
    }
    return page.evaluate(() => (window as unknown as { __weftResult: PageResult }).__weftResult);
  }

  it("runs 8 yielding threads summing 1..100000 and exits with total % 251", async () => {
    const result = await runInPage("/build/browser_sum.wasm");
    const log = `page log:\n${browser!.transcript()}`;
    expect({ status: result.status, error: result.error ?? null }, log).toEqual({ status: "exited", error: null });
    expect(result.stdout, log).toContain("5000050000");
    expect(result.lines, log).toContain("total 5000050000");
    expect(result.exitCode, log).toBe(Number(5000050000n % 251n)); // 233
    expect(browser!.errors, log).toEqual([]);
  }, RUN_TIMEOUT + 10_000);

  it("reads a granted URL as a file while other threads run, and refuses what the page cannot do", async () => {
    const result = await runInPage("/build/browser_io.wasm", "/tests/browser/");
    const log = `page log:\n${browser!.transcript()}`;
    expect({ status: result.status, error: result.error ?? null }, log).toEqual({ status: "exited", error: null });
    const values = Object.fromEntries((result.lines ?? []).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    const fixture = readFileSync(path.join(ROOT, "tests/browser/fixture.txt"), "utf8");
    expect(values, log).toMatchObject({
      bytes: String(Buffer.byteLength(fixture)), first: fixture.split("\n")[0],
      ungranted: "EACCES", missing: "ENOENT", stat: "ENOTSUP", blocking: "ENOTSUP",
    });
    expect(Number(values.counted), log).toBeGreaterThan(0);   // the counter ran while the reads waited
    expect(browser!.errors, log).toEqual([]);
  }, RUN_TIMEOUT + 10_000);
});
