// ensure-browser: makes sure the browser tests can run here, before they start.
//
//   node scripts/ensure-browser.js            the Chromium test's needs (as `chromium`)
//   node scripts/ensure-browser.js chromium   the same
//   node scripts/ensure-browser.js firefox    the Firefox test's needs
//   node scripts/ensure-browser.js chromium firefox   both
//
// chromium: the browser tests (tests/browser.test.ts) drive Debian's chromium through playwright-core,
// so two things must be present:
//   1. /usr/bin/chromium (the Debian package chromium);
//   2. the npm package playwright-core (a devDependency), importable from the project root. This script
//      only checks it; `npm install` is what provides it.
// firefox: tests/browser-firefox.test.ts starts Debian's firefox-esr itself, with no driver (the page
// reports its result to the test's server), so only /usr/bin/firefox-esr (the package firefox-esr) is
// needed.
//
// A missing browser is installed when we are root on a Debian-like system (apt-get update, then
// apt-get install -y --no-install-recommends PACKAGE, non-interactive; scripts/apt.js, which makes the
// project's installs take turns: the other browser's test may be installing it at the same moment), and
// the script says so. Not root, or no apt-get: it fails.
// When everything is present it prints nothing and exits 0 at once, so the tests can call it every time.
// On failure it prints one line, `ensure-browser: what went wrong`, and exits 1.
//
// Override the browser paths with WEFT_CHROMIUM and WEFT_FIREFOX (then nothing is installed; the path
// must exist).

import { existsSync } from "node:fs";
import { aptInstall } from "./apt.js";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The browsers this script knows: where Debian puts each, its package, and the variable that overrides it. */
const BROWSERS = {
  chromium: { binary: "/usr/bin/chromium", pkg: "chromium", override: "WEFT_CHROMIUM" },
  firefox: { binary: "/usr/bin/firefox-esr", pkg: "firefox-esr", override: "WEFT_FIREFOX" },
};

function fail(message) {
  console.error(`ensure-browser: ${message}`);
  process.exit(1);
}

/** Makes sure the browser named `name` (a key of BROWSERS) is installed, installing its package if need be. */
function ensureBinary(name) {
  const { binary, pkg, override } = BROWSERS[name];
  const overridden = process.env[override];
  if (overridden) {
    if (!existsSync(overridden)) fail(`${override}=${overridden} does not exist`);
    return;
  }
  if (existsSync(binary)) return;
  if (process.platform !== "linux" || !existsSync("/usr/bin/apt-get")) {
    fail(`${binary} is missing and there is no apt-get to install it (set ${override})`);
  }
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    fail(`${binary} is missing; install it as root: apt-get install -y ${pkg}`);
  }
  console.log(`ensure-browser: ${binary} is missing; installing the Debian package ${pkg}`);
  const failure = aptInstall([pkg]);
  if (failure) fail(failure);
  if (!existsSync(binary)) fail(`apt-get installed ${pkg} but ${binary} is still missing`);
  console.log(`ensure-browser: installed ${binary}`);
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

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in BROWSERS)) fail(`unknown browser ${name} (known: ${Object.keys(BROWSERS).join(", ")})`);
}
if (wanted.length === 0) wanted.push("chromium");
for (const name of wanted) {
  ensureBinary(name);
  if (name === "chromium") await ensurePlaywright();
}
