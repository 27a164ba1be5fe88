// Starts Debian's firefox-esr for the browser tests, with no driver: a plain child process,
//   firefox-esr --headless --no-remote --profile <fresh temp folder> <url>
// The page reports its own result to the test's server (page.html ?report=, tests/browser/server.ts), so
// nothing has to reach into the browser. (playwright-core drives only Playwright's own patched Firefox,
// which Debian's is not.)
//
// Each launch gets a fresh profile with a user.js (FIREFOX_PREFS) that skips the first-run pages, the
// default-browser check and telemetry, turns off the background services that would otherwise knock on
// the closed network, and copies the page's console messages to Firefox's stdout
// (devtools.console.stdout.content). Firefox's stdout and stderr are kept, line by line, as the transcript.
//
// Firefox runs in a process group of its own (its content processes join it), and close() kills the
// whole group, then removes the profile. A launch that is never closed is killed when the test process
// exits.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** Debian's firefox-esr; WEFT_FIREFOX overrides it (scripts/ensure-browser.js honours the same variable). */
export const FIREFOX_PATH = process.env.WEFT_FIREFOX || "/usr/bin/firefox-esr";

/** The preferences every launch's profile starts with (written to its user.js). */
export const FIREFOX_PREFS: Record<string, boolean | number | string> = {
  // No first-run or what's-new pages, no default-browser question, no session restore after a kill.
  "browser.shell.checkDefaultBrowser": false,
  "browser.aboutwelcome.enabled": false,
  "browser.startup.homepage_override.mstone": "ignore",
  "browser.startup.page": 0,
  "browser.sessionstore.resume_from_crash": false,
  "toolkit.startup.max_resumed_crashes": -1,
  // No telemetry or data reporting.
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.healthreport.uploadEnabled": false,
  "toolkit.telemetry.reportingpolicy.firstRun": false,
  "toolkit.telemetry.enabled": false,
  // No background network: updates, add-ons, remote settings, safe browsing, captive portal and
  // connectivity checks, push, media plugin downloads, the new tab page.
  "app.update.auto": false,
  "app.normandy.enabled": false,
  "extensions.update.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "extensions.blocklist.enabled": false,
  "services.settings.server": "data:,#remote-settings-dummy/v1",
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "browser.safebrowsing.blockedURIs.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "dom.push.connection.enabled": false,
  "media.gmp-manager.updateEnabled": false,
  "browser.newtabpage.enabled": false,
  "browser.region.network.url": "",
  // The page's console messages on stdout (`console.log: "..."`): the transcript.
  "devtools.console.stdout.content": true,
};

export interface Firefox {
  /** Firefox's stdout and stderr lines, in order (the page's console messages among them). */
  log: string[];
  /** `log` as one block of text for an assertion message. */
  transcript(): string;
  /** Settles when the Firefox process has exited, with how it ended. */
  exited: Promise<string>;
  /** Kills Firefox's whole process group, waits for the process to be gone, removes the profile. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Also copy each line Firefox prints to the test's stderr. Default: WEFT_BROWSER_VERBOSE set. */
  echo?: boolean;
}

/** The user.js line that sets `name` to `value`. */
function prefLine(name: string, value: boolean | number | string): string {
  return `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});`;
}

/** Kills the process group `pid` leads, if it is still there. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Starts Firefox headless on a fresh profile, opening `url`. Throws `launch: ...` if it cannot be started. */
export async function launchFirefox(url: string, options: LaunchOptions = {}): Promise<Firefox> {
  const echo = options.echo ?? Boolean(process.env.WEFT_BROWSER_VERBOSE);
  const profile = await mkdtemp(path.join(tmpdir(), "weft-firefox-"));
  await writeFile(path.join(profile, "user.js"),
    Object.entries(FIREFOX_PREFS).map(([name, value]) => prefLine(name, value)).join("\n") + "\n");

  const log: string[] = [];
  const note = (line: string) => {
    log.push(line);
    if (echo) process.stderr.write(`[firefox] ${line}\n`);
  };

  let child: ChildProcess;
  try {
    child = spawn(FIREFOX_PATH, ["--headless", "--no-remote", "--profile", profile, url], {
      // A process group of its own, so close() reaches the content processes too.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, MOZ_HEADLESS: "1", MOZ_CRASHREPORTER_DISABLE: "1", DISPLAY: "" },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`launch: cannot start ${FIREFOX_PATH} (run node scripts/ensure-browser.js firefox): ${
      error instanceof Error ? error.message : error}`);
  }

  // Lines, however the output is cut into chunks.
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) note(line);
    });
    stream.on("end", () => { if (partial.trim()) note(partial); });
  }

  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => resolve(`could not be started: ${error.message}`));
    child.once("exit", (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with ${code}`));
  });
  // If the test process ends without close() (a crash, an interrupted run), Firefox goes with it.
  const killOnExit = () => { if (child.pid) killGroup(child.pid); };
  process.once("exit", killOnExit);

  let closed: Promise<void> | undefined;
  return {
    log,
    transcript: () => (log.length ? log.join("\n") : "(firefox printed nothing)"),
    exited,
    close() {
      closed ??= (async () => {
        process.removeListener("exit", killOnExit);
        if (child.pid) killGroup(child.pid);
        await exited;
        await rm(profile, { recursive: true, force: true, maxRetries: 3 });
      })();
      return closed;
    },
  };
}
