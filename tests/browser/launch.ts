// Launches Debian's chromium for the browser tests, through playwright-core (no downloaded browsers).
//
// Flags (DESIGN.md, "Engines and tools reachable here"): headless, no sandbox (we run as root in a
// container), no GPU, and every background service off. Without the networking flags chromium floods the
// closed network with refused connections. Each launch gets a fresh --user-data-dir in the temp folder,
// removed again by close().
//
// Everything the page says is kept: console messages, uncaught page errors, failed requests, crashes.
// `transcript()` returns it as text, so a failing assertion can show what the page did.

import { chromium, type BrowserContext, type Page } from "playwright-core";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** Debian's chromium; WEFT_CHROMIUM overrides it (scripts/ensure-browser.js honours the same variable). */
export const CHROMIUM_PATH = process.env.WEFT_CHROMIUM || "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];

export interface BrowserPage {
  page: Page;
  /** Console messages (`[type] text`), page errors (`[pageerror] ...`), failed requests, crashes, in order. */
  log: string[];
  /** The uncaught errors alone. */
  errors: string[];
  /** `log` as one block of text for an assertion message. */
  transcript(): string;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Also copy each page message to the test's stderr as it arrives. Default: WEFT_BROWSER_VERBOSE set. */
  echo?: boolean;
}

/** Starts chromium with a fresh profile and opens one page. Throws `launch: ...` if chromium will not start. */
export async function launchPage(options: LaunchOptions = {}): Promise<BrowserPage> {
  const echo = options.echo ?? Boolean(process.env.WEFT_BROWSER_VERBOSE);
  const userDataDir = await mkdtemp(path.join(tmpdir(), "weft-chromium-"));
  let context: BrowserContext;
  try {
    // launchPersistentContext passes userDataDir as --user-data-dir; chromium.launch() refuses that flag.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      chromiumSandbox: false,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    const first = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new Error(`launch: cannot start ${CHROMIUM_PATH} (run node scripts/ensure-browser.js): ${first}`);
  }

  const log: string[] = [];
  const errors: string[] = [];
  const note = (line: string) => {
    log.push(line);
    if (echo) process.stderr.write(`[browser] ${line}\n`);
  };
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (message) => note(`[${message.type()}] ${message.text()}`));
  page.on("pageerror", (error) => {
    const text = error.stack || `${error.name}: ${error.message}`;
    errors.push(text);
    note(`[pageerror] ${text}`);
  });
  page.on("requestfailed", (request) =>
    note(`[requestfailed] ${request.url()}: ${request.failure()?.errorText ?? "unknown"}`));
  page.on("response", (response) => {
    if (response.status() >= 400) note(`[http ${response.status()}] ${response.url()}`);
  });
  page.on("crash", () => note("[crash] the page crashed"));

  let closed = false;
  return {
    page,
    log,
    errors,
    transcript: () => (log.length ? log.join("\n") : "(the page logged nothing)"),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
      }
    },
  };
}
