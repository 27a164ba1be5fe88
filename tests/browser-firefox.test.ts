// weft in Firefox (SpiderMonkey): Debian's firefox-esr runs the same page and programs as the chromium
// test (tests/browser.test.ts), with the same expectations: N:1 with run() on the page's main thread,
// M:N with runShared on Web Workers of a cross-origin isolated page, 1:1, and the refusal of M:N on a
// page that is not isolated (N:1 running there instead).
// Nothing here is skipped: without firefox-esr the suite fails with the reason.
//
// No driver: firefox-esr runs headless on a fresh profile as a plain child process (tests/browser/firefox.ts),
// started on the test server's /__next, where it waits for the page a test opens (tests/browser/server.ts,
// PageQueue). Each test opens tests/browser/page.html?...&report=/__report/NAME&then=/__next: the page
// POSTs { result, errors } to that path on its own server, the test takes it from there, and the page
// goes back to /__next for the next test's page. Each page is a new document (the last one's Workers
// and memory go with it); only Firefox's start, seconds of a test that runs milliseconds, is shared.
// A page that does not report (a timeout, a crash) ends that Firefox, its whole process group, and the
// next test starts a fresh one. Failure messages carry what the page reported and what Firefox printed
// while it ran, the page's console messages among it.
//
// Setup, in order:
//   1. scripts/ensure-browser.js firefox installs firefox-esr if it is missing (fast when it is there);
//   2. the tests/programs/browser_*.ts programs are built into a temp folder, served under /build/
//      (tests/browser/scenarios.ts, shared with the chromium test);
//   3. the repository root is served twice on 127.0.0.1: plainly, and cross-origin isolated (COOP/COEP).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { NEXT_PATH, PageQueue, REPORT_PATH, serve, type Server } from "./browser/server";
import { launchFirefox, FIREFOX_PATH, type Firefox } from "./browser/firefox";
import { ROOT, SCENARIOS, buildPrograms, ensureBrowser, type PageResult } from "./browser/scenarios";

const SETUP_TIMEOUT = 300_000;  // installing firefox-esr, if it is missing, and a cold build
/** From starting Firefox to the page's report: a fresh profile's start takes seconds (more on a machine
 *  whose cores are busy), the program itself milliseconds; runShared gives up after 20 s on its own. */
const REPORT_TIMEOUT = 90_000;
const TEST_TIMEOUT = REPORT_TIMEOUT + 20_000;

/** What page.html POSTs to /__report/NAME. */
interface Report {
  result: PageResult;
  /** The page's uncaught errors and unhandled rejections. */
  errors: string[];
}

/** The reports the servers take, by name, for the test waiting for each. */
class Reports {
  private waiting = new Map<string, (report: Report) => void>();
  private count = 0;

  /** A fresh name to report under, and the report under it when it comes. */
  expect(): { name: string; report: Promise<Report> } {
    const name = `run-${++this.count}`;
    return { name, report: new Promise((resolve) => this.waiting.set(name, resolve)) };
  }

  /** The servers' onReport: hands the report to whoever waits for it (a late or unknown one is dropped). */
  take = (name: string, report: unknown): void => {
    const resolve = this.waiting.get(name);
    this.waiting.delete(name);
    resolve?.(report as Report);
  };

  /** Stops waiting for `name`. */
  forget(name: string): void {
    this.waiting.delete(name);
  }
}

/** POSTs `body` to `urlPath` on the server at `base`; resolves with the status. */
async function post(base: string, urlPath: string, body: string): Promise<number> {
  const response = await fetch(base + urlPath, { method: "POST", body, headers: { "Content-Type": "application/json" } });
  await response.arrayBuffer();
  return response.status;
}

describe("page reports", () => {
  const reports = new Reports();
  let server: Server;
  let bare: Server;
  beforeAll(async () => {
    server = await serve(ROOT, { onReport: reports.take });
    bare = await serve(ROOT);
  });
  afterAll(async () => {
    await server?.close();
    await bare?.close();
  });

  it("hands a POSTed JSON report to the test that waits for it, and refuses other POSTs", async () => {
    const { name, report } = reports.expect();
    expect(await post(server.url, REPORT_PATH + name, JSON.stringify({ result: { status: "exited" }, errors: [] }))).toBe(204);
    expect(await report).toEqual({ result: { status: "exited" }, errors: [] });
    expect(await post(server.url, REPORT_PATH + "run-x", "not json")).toBe(400);
    expect(await post(server.url, "/tests/browser/page.html", "{}")).toBe(405);
    expect(await post(bare.url, REPORT_PATH + "run-x", "{}")).toBe(405);   // no onReport: no reports
  });

  it("sends a browser waiting at /__next to the pages opened, in order, on either server; one that left takes none", async () => {
    const pages = new PageQueue();
    const plain = await serve(ROOT, { next: pages });
    const other = await serve(ROOT, { crossOriginIsolated: true, next: pages });
    try {
      const next = (base: string, signal?: AbortSignal) =>
        fetch(base + NEXT_PATH, { redirect: "manual", signal }).then((r) => ({ status: r.status, location: r.headers.get("location") }));
      pages.open(`${other.url}/a`);                       // opened before anyone asks
      pages.open(`${plain.url}/b`);
      expect(await next(plain.url)).toEqual({ status: 303, location: `${other.url}/a` });
      expect(await next(other.url)).toEqual({ status: 303, location: `${plain.url}/b` });
      const gone = new AbortController();
      const left = next(plain.url, gone.signal).catch((error: Error) => error.name);
      const waiting = next(other.url);                    // asked before the page is opened
      await new Promise((resolve) => setTimeout(resolve, 50));
      gone.abort();
      expect(await left).toBe("AbortError");
      await new Promise((resolve) => setTimeout(resolve, 50));
      pages.open(`${plain.url}/c`);
      expect(await waiting).toEqual({ status: 303, location: `${plain.url}/c` });
      expect((await fetch(bare.url + NEXT_PATH)).status).toBe(404);   // no queue: a path like any other
    } finally {
      await plain.close();
      await other.close();
    }
  });
});

describe("weft in firefox", () => {
  let buildDir: string | undefined;
  let server: Server | undefined;       // no isolation headers: N:1 only
  let isolated: Server | undefined;     // COOP/COEP: SharedArrayBuffer, so M:N too
  const reports = new Reports();
  const pages = new PageQueue();
  let firefox: Firefox | undefined;     // kept from test to test while the pages report; closed after one that does not

  // A failing beforeAll makes vitest report the tests as skipped; keep the error and fail each test with it.
  let setupError: unknown;

  beforeAll(async () => {
    try {
      await ensureBrowser("firefox");
      buildDir = await mkdtemp(path.join(tmpdir(), "weft-browser-build-"));
      await buildPrograms(buildDir);
      const mounts = { "/build/": buildDir };
      server = await serve(ROOT, { mounts, onReport: reports.take, next: pages });
      isolated = await serve(ROOT, { crossOriginIsolated: true, mounts, onReport: reports.take, next: pages });
    } catch (error) {
      setupError = error;
    }
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    if (firefox) await closeFirefox(firefox);
    await server?.close();
    await isolated?.close();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
  });

  /** Opens page.html with `query` (page.html lists its parameters) on the plain server, or the isolated
   *  one, in the Firefox kept for the file (started if there is none), and returns what the page reported
   *  with what Firefox printed meanwhile, or throws with that output and closes that Firefox. */
  async function runInPage(query: Record<string, string | number>, on: "plain" | "isolated" = "plain"): Promise<Report & { log: string }> {
    if (setupError) throw setupError;
    const origin = (on === "isolated" ? isolated : server)!.url;
    const { name, report } = reports.expect();
    const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    search.set("report", REPORT_PATH + name);
    search.set("then", NEXT_PATH);
    const url = `${origin}/tests/browser/page.html?${search}`;
    if (firefox && firefoxGone) await closeFirefox(firefox);
    const browser = firefox ??= watch(await launchFirefox(server!.url + NEXT_PATH));
    const from = browser.log.length;
    const transcript = () => (browser.log.length > from ? browser.log.slice(from).join("\n") : "(firefox printed nothing)");
    pages.open(url);
    let timer: NodeJS.Timeout | undefined;
    let reported = false;
    try {
      const outcome = await Promise.race([
        report,
        browser.exited.then((how) => `${FIREFOX_PATH} ${how} before the page reported`),
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve(`the page reported nothing within ${REPORT_TIMEOUT} ms (Firefox never ` +
            `loaded it, or the run never returned: run() executes Wasm on the page's main thread)`), REPORT_TIMEOUT);
        }),
      ]);
      if (typeof outcome === "string") throw new Error(`${outcome}\n${url}\nfirefox output:\n${transcript()}`);
      reported = true;
      return { ...outcome, log: `page reported: ${JSON.stringify(outcome)}\nfirefox output:\n${transcript()}` };
    } finally {
      clearTimeout(timer);
      reports.forget(name);
      if (!reported) await closeFirefox(browser);
    }
  }

  /** Set when the kept Firefox has exited on its own (between tests): the next test starts another. */
  let firefoxGone = false;
  function watch(browser: Firefox): Firefox {
    firefoxGone = false;
    void browser.exited.then(() => { if (firefox === browser) firefoxGone = true; });
    return browser;
  }
  async function closeFirefox(browser: Firefox): Promise<void> {
    if (firefox === browser) firefox = undefined;
    pages.clear();
    await browser.close();
  }

  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      const { result, errors, log } = await runInPage(scenario.query, scenario.on);
      scenario.check(result, log);
      expect(errors, log).toEqual([]);
    }, TEST_TIMEOUT);
  }
});
