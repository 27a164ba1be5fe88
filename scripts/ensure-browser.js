// ensure-browser: makes sure the browser tests can run here, before they start.
//
// The browser tests (tests/browser.test.ts) drive Debian's chromium through playwright-core, so two things
// must be present:
//   1. /usr/bin/chromium. If it is missing and we are root, this script installs the Debian package
//      (apt-get update, then apt-get install -y chromium, non-interactive) and says so. Not root: it fails.
//   2. the npm package playwright-core (a devDependency), importable from the project root. This script
//      only checks it; `npm install` is what provides it.
// When both are present it prints nothing and exits 0 at once, so the test script can call it every time.
// On failure it prints one line, `ensure-browser: what went wrong`, and exits 1.
//
// Override the browser path with WEFT_CHROMIUM (then nothing is installed; the path must exist).

import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DEBIAN_CHROMIUM = "/usr/bin/chromium";

function fail(message) {
  console.error(`ensure-browser: ${message}`);
  process.exit(1);
}

/** Runs a command with inherited output; fails the script with `what` if it does not succeed. */
function run(command, args, what) {
  console.log(`ensure-browser: running ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (result.error) fail(`${what}: ${result.error.message}`);
  if (result.status !== 0) fail(`${what}: ${command} exited with ${result.status ?? result.signal}`);
}

function ensureChromium() {
  const override = process.env.WEFT_CHROMIUM;
  if (override) {
    if (!existsSync(override)) fail(`WEFT_CHROMIUM=${override} does not exist`);
    return;
  }
  if (existsSync(DEBIAN_CHROMIUM)) return;
  if (process.platform !== "linux" || !existsSync("/usr/bin/apt-get")) {
    fail(`${DEBIAN_CHROMIUM} is missing and there is no apt-get to install it (set WEFT_CHROMIUM)`);
  }
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    fail(`${DEBIAN_CHROMIUM} is missing; install it as root: apt-get install -y chromium`);
  }
  console.log(`ensure-browser: ${DEBIAN_CHROMIUM} is missing; installing the Debian package chromium`);
  run("apt-get", ["update"], "apt-get update failed");
  run("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], "apt-get install chromium failed");
  if (!existsSync(DEBIAN_CHROMIUM)) fail(`apt-get installed chromium but ${DEBIAN_CHROMIUM} is still missing`);
  console.log(`ensure-browser: installed ${DEBIAN_CHROMIUM}`);
}

async function ensurePlaywright() {
  const require = createRequire(path.join(ROOT, "package.json"));
  let resolved;
  try {
    resolved = require.resolve("playwright-core");
  } catch {
    fail("the npm package playwright-core is not installed; run `npm install` (it is a devDependency)");
  }
  try {
    const module = await import(resolved.startsWith("/") ? "file://" + resolved : resolved);
    const chromium = module.chromium ?? module.default?.chromium;
    if (!chromium || typeof chromium.launch !== "function") fail("playwright-core loads but has no chromium.launch");
  } catch (error) {
    fail(`playwright-core is installed but does not load: ${error instanceof Error ? error.message : error}`);
  }
}

ensureChromium();
await ensurePlaywright();
