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
import { tmpdir } from "node:os";
import path from "node:path";
import http from "node:http";
import { serve, type Server } from "./browser/server";
import { launchPage, type BrowserPage } from "./browser/launch";
import { ROOT, SCENARIOS, buildPrograms, ensureBrowser, type PageResult } from "./browser/scenarios";

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

  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      const result = await runInPage(scenario.query, scenario.on);
      const log = `page log:\n${browser!.transcript()}`;
      scenario.check(result, log);
      expect(browser!.errors, log).toEqual([]);
    }, RUN_TIMEOUT + 10_000);
  }
});
