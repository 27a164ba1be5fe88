#!/usr/bin/env node
// npm test: everything the tests need, then every test. Builds the host if dist/ is missing or stale,
// makes sure Debian's chromium is there for the browser test, then runs vitest over tests/.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const step = (what, cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) { console.error(`npm test: ${what} failed`); process.exit(r.status ?? 1); }
};

step("building the host (tsc)", process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"]);
step("preparing the browser", process.execPath, [path.join(root, "scripts", "ensure-browser.js")]);
step("the tests", process.execPath, [path.join(root, "node_modules", "vitest", "vitest.mjs"), "run", ...process.argv.slice(2)]);
