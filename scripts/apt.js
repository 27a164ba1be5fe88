// apt: installs Debian packages for the project's scripts (ensure-wabt.js, ensure-browser.js, and wrk for
// bench/http.js), one install at a time.
//
// Design note
// -----------
// On a fresh machine the test files that need a package start at once: Chromium's, Firefox's and the C
// embedding's each ran `apt-get update` and `apt-get install` side by side, and apt lets one of them hold
// its locks; the others failed ("Could not get lock /var/lib/dpkg/lock-frontend", and for `update`
// /var/lib/apt/lists/lock, which `-o DPkg::Lock::Timeout` does not cover). So:
//   1. aptInstall runs this file again under flock(1) on one lock file (LOCK): the installs of this
//      project take turns, whatever process asks, and a crashed holder's lock goes with its process;
//   2. under the lock, packages that dpkg says are installed by now (another turn installed them) are
//      not installed again: a second asker waits, and finds them there;
//   3. apt-get waits for apt's own locks where something else holds them (an apt outside this project):
//      `install` through DPkg::Lock::Timeout, `update` by trying again while its error is the lock's.
// Without flock (not util-linux) the turns are not taken: step 3 still waits for the dpkg lock.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);
const LOCK = path.join(tmpdir(), "weft-apt.lock");
/** How long an install waits for its turn, and apt-get for apt's locks (s): well beyond the longest turn
 *  seen, a browser's install (about a minute here); a caller that cannot wait so long stops it sooner
 *  (tests/embed-c.test.ts gives ensure-wabt 280 s). Not configurable. */
const WAIT_S = 600;
/** How often `apt-get update` is tried again while apt's lists lock is held elsewhere (s): an update
 *  takes seconds. Not configurable. */
const UPDATE_RETRY_S = 2;
/** flock's exit status when the turn did not come within WAIT_S (the locked part exits 0, 2 or 3). */
const TURN_TIMED_OUT = 75;

/** Why this machine cannot install Debian packages here, or null when it can (Linux, apt-get, root). */
export function cannotInstall() {
  if (process.platform !== "linux" || !existsSync("/usr/bin/apt-get")) return "there is no apt-get";
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "not root";
  return null;
}

/** Installs `packages` (Debian names) with apt-get update, then apt-get install -y
 *  --no-install-recommends, taking turns with every other install of this project (design note).
 *  apt-get's output goes to `stdio` (as spawnSync's: "inherit", or [ignore, 2, 2] for stderr only).
 *  Returns null on success, else what went wrong (one line). */
export function aptInstall(packages, stdio = "inherit") {
  const cannot = cannotInstall();
  if (cannot) return `cannot install ${packages.join(" ")}: ${cannot}`;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const locked = existsSync("/usr/bin/flock")
    ? spawnSync("/usr/bin/flock", ["-w", String(WAIT_S), "-E", String(TURN_TIMED_OUT), LOCK, process.execPath, SELF, ...packages], { stdio, env })
    : spawnSync(process.execPath, [SELF, ...packages], { stdio, env });
  if (locked.error) return `apt-get install ${packages.join(" ")} failed: ${locked.error.message}`;
  if (locked.status === TURN_TIMED_OUT) return `apt-get install ${packages.join(" ")}: another install held ${LOCK} for ${WAIT_S} s`;
  if (locked.status !== 0) return `apt-get install ${packages.join(" ")} failed: exited with ${locked.status ?? locked.signal}`;
  return null;
}

/** Whether dpkg has every one of `packages` installed. */
function isInstalled(packages) {
  const r = spawnSync("dpkg-query", ["-W", "-f", "${Status}\n", ...packages], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim().split("\n").every((line) => line.endsWith(" installed"));
}

/** One apt-get command, its output passed on; its exit status and whether it failed on a lock. */
function aptGet(args) {
  const r = spawnSync("apt-get", ["-o", `DPkg::Lock::Timeout=${WAIT_S}`, ...args], { stdio: ["ignore", "inherit", "pipe"], encoding: "utf8" });
  process.stderr.write(r.stderr ?? "");
  return { status: r.status ?? 2, onLock: /Could not get lock|Unable to lock/.test(r.stderr ?? "") };
}

/** The locked part (step 2 and 3): exits 0 when the packages are installed, 2 or more when not. */
function installLocked(packages) {
  if (isInstalled(packages)) return 0;
  console.error(`apt: running apt-get update`);
  for (let waited = 0; ; waited += UPDATE_RETRY_S) {
    const update = aptGet(["update"]);
    if (update.status === 0) break;
    if (!update.onLock || waited >= WAIT_S) return 2;
    spawnSync("sleep", [String(UPDATE_RETRY_S)]);
  }
  console.error(`apt: running apt-get install -y --no-install-recommends ${packages.join(" ")}`);
  return aptGet(["install", "-y", "--no-install-recommends", ...packages]).status === 0 ? 0 : 3;
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  const packages = process.argv.slice(2);
  process.exit(packages.length ? installLocked(packages) : 2);
}
