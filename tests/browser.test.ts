// weft in a real browser: Debian's chromium, driven by playwright-core, loads the ESM host build
// (/dist/host/index.js) from a static server over the repository and runs a prebuilt module in the page:
// N:1 with run() on the page's main thread, and M:N with runShared on Web Workers, which needs a
// cross-origin isolated page (host/mn/run.ts).
// Nothing here is skipped: without chromium or playwright-core the suite fails with the reason.
//
// Setup, in order:
//   1. scripts/ensure-browser.js makes sure chromium and playwright-core are present (fast when they are);
//   2. the tests/programs/browser_*.ts programs are built (tests/browser/scenarios.ts, shared with the
//      Firefox test, tests/browser-firefox.test.ts) into a temp folder, served under /build/
//      (browser_mn twice: shared for M:N, plain for N:1);
//   3. the repository root is served twice on 127.0.0.1: plainly, and cross-origin isolated (COOP/COEP);
//      chromium opens tests/browser/page.html?wasm=... on one of them, and the page publishes the run's
//      result as window.__weftResult.
// Every failure message carries the page's console transcript.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import http from "node:http";
import { serve, type Server } from "./browser/server";
import { launchPage, type BrowserPage } from "./browser/launch";
import { ROOT, buildPrograms, ensureBrowser, mnAnswer, valuesOf, type PageResult } from "./browser/scenarios";

const SETUP_TIMEOUT = 180_000; // a cold build takes a few seconds, a chromium start a few more
const RUN_TIMEOUT = 30_000; // the program itself runs in milliseconds

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
  let server: Server | undefined;       // no isolation headers: N:1 only
  let isolated: Server | undefined;     // COOP/COEP: SharedArrayBuffer, so M:N too
  let browser: BrowserPage | undefined;

  // A failing beforeAll makes vitest report the tests as skipped; keep the error and fail each test with it.
  let setupError: unknown;

  beforeAll(async () => {
    try {
      await ensureBrowser();
      buildDir = await mkdtemp(path.join(tmpdir(), "weft-browser-build-"));
      await buildPrograms(buildDir);
      const mounts = { "/build/": buildDir };
      server = await serve(ROOT, { mounts });
      isolated = await serve(ROOT, { crossOriginIsolated: true, mounts });
      browser = await launchPage();
    } catch (error) {
      setupError = error;
    }
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await isolated?.close();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  /** Opens page.html with `query` (page.html lists its parameters) on the plain server, or the isolated
   *  one, and returns what the page published, or throws with the page's transcript. */
  async function runInPage(query: Record<string, string | number>, on: "plain" | "isolated" = "plain"): Promise<PageResult> {
    if (setupError) throw setupError;
    const { page } = browser!;
    const origin = (on === "isolated" ? isolated : server)!.url;
    const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    await page.goto(`${origin}/tests/browser/page.html?${search}`, { waitUntil: "load" });
    try {
      await page.waitForFunction(() => (window as { __weftResult?: unknown }).__weftResult !== undefined, null,
        { timeout: RUN_TIMEOUT });
    } catch {
      // run() executes Wasm on the page's main thread: a run that never returns blocks the page, and
      // nothing more can be logged (runShared's own timeout, 20 s, publishes its error first). The
      // transcript below is everything up to that point.
      throw new Error(`the page published no result within ${RUN_TIMEOUT} ms (the run never returned, or the ` +
        `page never loaded); page log:\n${browser!.transcript()}`);
    }
    return page.evaluate(() => (window as unknown as { __weftResult: PageResult }).__weftResult);
  }

  it("runs 8 yielding threads summing 1..100000 and exits with total % 251", async () => {
    const result = await runInPage({ wasm: "/build/browser_sum.wasm" });
    const log = `page log:\n${browser!.transcript()}`;
    expect({ status: result.status, error: result.error ?? null }, log).toEqual({ status: "exited", error: null });
    expect(result.stdout, log).toContain("5000050000");
    expect(result.lines, log).toContain("total 5000050000");
    expect(result.exitCode, log).toBe(Number(5000050000n % 251n)); // 233
    expect(browser!.errors, log).toEqual([]);
  }, RUN_TIMEOUT + 10_000);

  it("keeps drawing while 8 threads compute with run() on the page's main thread (the host slice's turns)", async () => {
    const result = await runInPage({ wasm: "/build/host_slice.wasm", frames: 10 });
    const log = `page log:\n${browser!.transcript()}`;
    expect({ status: result.status, error: result.error ?? null }, log).toEqual({ status: "exited", error: null });
    // the threads stop only once the page has drawn 10 frames since the run began: it drew while they computed
    expect(result.lines, log).toEqual(["threads=8 gave_up=0"]);
    expect(result.frames, log).toBeGreaterThanOrEqual(10);
    console.log(`chromium: ${result.frames} frames in ${result.runMs?.toFixed(0)} ms of run() on the main thread`);
    expect(browser!.errors, log).toEqual([]);
  }, RUN_TIMEOUT + 10_000);

  it("reads a granted URL as a file while other threads run, and refuses what the page cannot do", async () => {
    const result = await runInPage({ wasm: "/build/browser_io.wasm", fetch: "/tests/browser/" });
    const log = `page log:\n${browser!.transcript()}`;
    expect({ status: result.status, error: result.error ?? null }, log).toEqual({ status: "exited", error: null });
    const values = valuesOf(result);
    const fixture = readFileSync(path.join(ROOT, "tests/browser/fixture.txt"), "utf8");
    expect(values, log).toMatchObject({
      bytes: String(Buffer.byteLength(fixture)), first: fixture.split("\n")[0],
      ungranted: "EACCES", missing: "ENOENT", stat: "ENOTSUP", blocking: "ENOTSUP",
    });
    expect(Number(values.counted), log).toBeGreaterThan(0);   // the counter ran while the reads waited
    expect(browser!.errors, log).toEqual([]);
  }, RUN_TIMEOUT + 10_000);

  for (const processors of [2, 4]) {
    it(`runs a threaded program on ${processors} Web Workers of a cross-origin isolated page, on every one, while the page stays responsive`, async () => {
      const result = await runInPage({ wasm: "/build/browser_mn_shared.wasm", processors }, "isolated");
      const log = `page log:\n${browser!.transcript()}`;
      expect(result.crossOriginIsolated, log).toBe(true);
      expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null }, log)
        .toEqual({ status: "exited", exitCode: 0, error: null });
      expect(valuesOf(result), log).toEqual(mnAnswer(processors));
      expect(result.ticks, log).toBeGreaterThan(2);   // the main thread ran its timers during the run
      expect(browser!.errors, log).toEqual([]);
    }, RUN_TIMEOUT + 10_000);
  }

  it("runs 1:1 (a Web Worker per thread) on a cross-origin isolated page: a Cond program's answer", async () => {
    const result = await runInPage({ wasm: "/build/sync_cond_shared.wasm", processors: 1, model: "1:1" }, "isolated");
    const log = `page log:\n${browser!.transcript()}`;
    expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null }, log)
      .toEqual({ status: "exited", exitCode: 0, error: null });
    // sync_cond prints the same in every model (tests/mn.test.ts compares it with N:1 in Node).
    expect(valuesOf(result), log).toMatchObject({ waiting: "4", after_signal: "1", after_broadcast: "4", owner_errors: "0", wait_errors: "0" });
    expect(browser!.errors, log).toEqual([]);
  }, RUN_TIMEOUT + 10_000);

  it("refuses M:N on a page that is not cross-origin isolated, with the reason, and runs N:1 there", async () => {
    const result = await runInPage(
      { wasm: "/build/browser_mn_shared.wasm", processors: 2, fallback: "/build/browser_mn.wasm" }, "plain");
    const log = `page log:\n${browser!.transcript()}`;
    expect(result.crossOriginIsolated, log).toBe(false);
    expect(result.refused?.name, log).toBe("WeftError");
    expect(result.refused?.message, log).toContain("M:N needs a cross-origin isolated page (COOP/COEP headers)");
    expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null }, log)
      .toEqual({ status: "exited", exitCode: 0, error: null });
    expect(valuesOf(result), log).toEqual(mnAnswer(1));
    expect(browser!.errors, log).toEqual([]);
  }, RUN_TIMEOUT + 10_000);
});
