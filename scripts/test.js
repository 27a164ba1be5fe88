#!/usr/bin/env node
// npm test: everything the tests need, then every test. Builds the host (tsc), makes sure Debian's
// chromium and firefox-esr are there for the browser tests, runs vitest over tests/, and ends with one
// plain line:
// "tests: N passed, M failed".
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const node = (what, script, args) => {
  const r = spawnSync(process.execPath, [path.join(root, ...script), ...args], { cwd: root, stdio: "inherit" });
  if (r.status !== 0 && what) { console.error(`npm test: ${what} failed`); process.exit(r.status ?? 1); }
  return r.status ?? 1;
};

node("building the host (tsc)", ["node_modules", "typescript", "bin", "tsc"], ["-p", "tsconfig.json"]);
node("preparing the browsers", ["scripts", "ensure-browser.js"], ["chromium", "firefox"]);
const report = path.join(mkdtempSync(path.join(tmpdir(), "weft-test-")), "report.json");
const status = node(null, ["node_modules", "vitest", "vitest.mjs"],
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)]);
try {
  const r = JSON.parse(readFileSync(report, "utf8"));
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  if (r.numTotalTests === 0) { console.error("npm test: no test ran"); process.exit(1); }
} catch {
  console.error("npm test: vitest wrote no report");
  process.exit(status || 1);
}
process.exit(status);
