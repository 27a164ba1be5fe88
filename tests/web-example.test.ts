// examples/web/ (`npm run web`) in the suite's chromium: the page runs examples/web/app.ts and draws a
// lane per thread while it runs. Served by the example's own server (examples/web/serve.mjs, startServer)
// with modules built through the suite's build server, in two runs of the page:
//   N:1 on a plain server (no isolation headers: run() needs none), and the page there offers no M:N;
//   M:N on 2 processors on a cross-origin isolated one (runShared, SharedRunOptions.onStart).
// Each asserts on the page's model (window.weftExample, examples/web/page.js) and on its lanes' DOM
// attributes, never on pixels or on a rate:
//   - it draws: a lane for every thread the program has, each read and drawn while the program ran (two
//     or more stretches of history), whose colours changed over time (blocked on a channel, on a join,
//     running or runnable, exited at the end);
//   - it stays live: at least MIN_FRAMES animation frames while the program ran (a run of ~0.5 s at
//     60 frames a second draws ~30; a page whose run held the main thread would draw one or two), and
//     the table was read more than once while the program ran;
//   - the result is exact: the checksum the program printed is CHECKSUM_160, worked out once with a
//     plain JavaScript loop (below), and the page's own JavaScript sum agrees.
// Chromium and playwright-core come as for tests/browser.test.ts (scripts/ensure-browser.js); a setup
// that fails fails each test with its reason, nothing is skipped.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { launchPage, type BrowserPage } from "./browser/launch";
import { ROOT, ensureBrowser } from "./browser/scenarios";
import { buildModule } from "./harness";
// @ts-ignore: a plain ES module of the example, without types
import { startServer } from "../examples/web/serve.mjs";

const JOBS = 160;
/** What app.ts prints for 160 jobs: the Collatz steps of every number in [10000, 1610000), summed —
 *  `for (n = 1..160) for (x = n * 10000; x < (n + 1) * 10000; x++) sum += steps(x)` in plain JavaScript. */
const CHECKSUM_160 = 218_601_369;
const THREADS = ["main", "sink", "worker 1", "worker 2", "worker 3", "worker 4", "source"];
const MIN_FRAMES = 5;
const SETUP_TIMEOUT = 180_000;  // a cold build of both modules, a chromium start
const RUN_TIMEOUT = 30_000;     // the page's run takes about half a second; far more on a busy machine

type Server = { url: string; close(): Promise<void> };
interface Lane {
  id: number; name: string; state: string; key: string; seen: string[]; changes: number;
  stretches: number; firstReadAt: number; readAt: number[]; ranMs: number;
}
interface Model {
  isolated: boolean; mode: string; status: string; error: string | null; framesWhileRunning: number; samples: number;
  endedAt: number; lanes: Lane[]; output: string[]; expected: number;
  result: { status: string; exitCode: number; checksum: number } | null;
}
interface Row { id: string; name: string; state: string; key: string }

describe("examples/web in chromium", () => {
  let plain: Server | undefined, isolated: Server | undefined;
  let browser: BrowserPage | undefined;
  let setupError: unknown;

  beforeAll(async () => {
    try {
      await ensureBrowser();
      const entry = path.join(ROOT, "examples/web/app.ts");
      const [n1, shared] = await Promise.all([buildModule(entry), buildModule(entry, { shared: true })]);
      const wasm = { plain: n1.wasm, shared: shared.wasm };
      plain = await startServer({ wasm, port: 0, isolated: false });
      isolated = await startServer({ wasm, port: 0, isolated: true });
      browser = await launchPage();
    } catch (error) {
      setupError = error;
    }
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    await plain?.close();
    await isolated?.close();
  });

  /** Opens the page at `url` with `query`, waits for its run to end, and returns its model (lanes
   *  summarised) and its lanes' DOM rows. */
  async function runPage(url: string, query: string): Promise<{ model: Model; rows: Row[]; log: string }> {
    if (setupError) throw setupError;
    const { page } = browser!;
    await page.goto(`${url}?${query}`, { waitUntil: "load" });
    const log = () => `page log:\n${browser!.transcript()}`;
    try {
      await page.waitForFunction(() => ["done", "error"].includes((window as any).weftExample?.status), null, { timeout: RUN_TIMEOUT });
    } catch {
      throw new Error(`the page's run did not end within ${RUN_TIMEOUT} ms; ${log()}`);
    }
    const found = await page.evaluate(() => {
      const m = (window as any).weftExample;
      const lanes = m.lanes.map((l: any) => ({
        id: l.id, name: l.name, state: l.state, key: l.key, seen: l.seen, changes: l.changes, stretches: l.history.length,
        firstReadAt: l.history[0]?.to ?? Infinity, readAt: l.history.map((s: any) => s.to),
        ranMs: l.history.reduce((sum: number, s: any) => sum + s.running * (s.to - s.from), 0),
      }));
      const rows = [...document.querySelectorAll<HTMLElement>("#lanes .lane")].map((r) =>
        ({ id: r.dataset.thread, name: r.dataset.name, state: r.dataset.state, key: r.dataset.key }));
      return { model: { ...m, lanes }, rows };
    });
    return { ...(found as { model: Model; rows: Row[] }), log: log() };
  }

  /** What both modes must show (see the top of this file). */
  function checkRun(model: Model, rows: Row[], log: string) {
    expect(model.status, log).toBe("done");
    // The result, exact.
    expect(model.result, log).toMatchObject({ status: "exited", exitCode: 0, checksum: CHECKSUM_160 });
    expect(model.expected, log).toBe(CHECKSUM_160);
    expect(model.output, log).toContain(`jobs ${JOBS}`);
    // Live: frames kept coming, and the table was read in them.
    expect(model.framesWhileRunning, log).toBeGreaterThanOrEqual(MIN_FRAMES);
    expect(model.samples, log).toBeGreaterThanOrEqual(3);
    // main is in the table throughout: it was read while the program ran, more than once (when in the run
    // the readings fall is the machine's to decide: on processors the Workers' start takes a while).
    const readAt = model.lanes.find((l) => l.name === "main")!.readAt;
    expect(readAt.filter((t) => t < model.endedAt).length, `readings while the program ran; ${log}`).toBeGreaterThanOrEqual(2);
    // A lane per thread, in the model and in the DOM, each read and drawn while the program ran.
    expect(model.lanes.map((l) => l.name).sort(), log).toEqual([...THREADS].sort());
    expect(rows.map((r) => r.name).sort(), log).toEqual([...THREADS].sort());
    for (const lane of model.lanes) {
      expect(lane.stretches, `${lane.name}; ${log}`).toBeGreaterThanOrEqual(2);
      expect(lane.firstReadAt, `${lane.name}; ${log}`).toBeLessThan(model.endedAt);
      expect(lane.state, `${lane.name} at the end; ${log}`).toBe("exited");
    }
    for (const row of rows) expect(row, log).toMatchObject({ state: "exited", key: "exited" });
    // States changed over time: waits the records name, work, the end.
    const seen = new Set(model.lanes.flatMap((l) => l.seen));
    for (const key of ["blocked: channel", "blocked: join", "exited"]) expect([...seen], `${key}; ${log}`).toContain(key);
    expect(seen.has("running") || seen.has("runnable"), log).toBe(true);
    expect(model.lanes.find((l) => l.name === "main")!.seen, log).toContain("blocked: join");
    const workers = model.lanes.filter((l) => l.name.startsWith("worker"));
    for (const w of workers) expect(w.changes, `${w.name}; ${log}`).toBeGreaterThanOrEqual(1);
    expect(workers.reduce((sum, w) => sum + w.ranMs, 0), `the workers' running time drawn; ${log}`).toBeGreaterThan(0);
  }

  it("N:1 on the page's main thread (a plain page, which offers no processors)", async () => {
    const { model, rows, log } = await runPage(plain!.url, `run=n1&jobs=${JOBS}`);
    expect(model.isolated, log).toBe(false);
    expect(await browser!.page.locator("#run-mn").isDisabled(), log).toBe(true);
    checkRun(model, rows, log);
    expect(browser!.errors, log).toEqual([]);
  }, RUN_TIMEOUT + 10_000);

  it("M:N on 2 processors (a cross-origin isolated page)", async () => {
    const { model, rows, log } = await runPage(isolated!.url, `run=mn&jobs=${JOBS}`);
    expect(model.isolated, log).toBe(true);
    expect(model.mode, log).toBe("mn");
    checkRun(model, rows, log);
    expect(browser!.errors, log).toEqual([]);
  }, RUN_TIMEOUT + 10_000);
});
