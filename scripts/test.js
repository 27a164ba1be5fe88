#!/usr/bin/env node
// npm test: everything the tests need, then every test. Builds the host (tsc), makes sure Debian's
// chromium and firefox-esr are there for the browser tests, runs vitest over tests/ on this Node, then —
// in CI (CI set), or when asked (`npm test -- --node-lines`, WEFT_NODE_LINES) — the examples and a smoke
// subset on every maintained Node line (scripts/node-lines.js, about 30 s a line), and ends with one
// plain line:
// "tests: N passed, M failed".
// A plain `npm test` on a developer's machine skips the Node lines and says how to run them; so does a
// run that names its own test files.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkLines } from "./node-lines.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const node = (what, script, args) => {
  const r = spawnSync(process.execPath, [path.join(root, ...script), ...args], { cwd: root, stdio: "inherit" });
  if (r.status !== 0 && what) { console.error(`npm test: ${what} failed`); process.exit(r.status ?? 1); }
  return r.status ?? 1;
};

node("building the host (tsc)", ["node_modules", "typescript", "bin", "tsc"], ["-p", "tsconfig.json"]);
node("preparing the browsers", ["scripts", "ensure-browser.js"], ["chromium", "firefox"]);
const args = process.argv.slice(2).filter((a) => a !== "--node-lines");
const nodeLinesAsked = args.length < process.argv.length - 2 || !!process.env.WEFT_NODE_LINES;
const report = path.join(mkdtempSync(path.join(tmpdir(), "weft-test-")), "report.json");
const status = node(null, ["node_modules", "vitest", "vitest.mjs"],
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...args]);
let counts;
try {
  counts = JSON.parse(readFileSync(report, "utf8"));
} catch {
  console.error("npm test: vitest wrote no report");
  process.exit(status || 1);
} finally {
  rmSync(path.dirname(report), { recursive: true, force: true });
}
if (counts.numTotalTests === 0) { console.error("npm test: no test ran"); process.exit(1); }
// The Node lines: after the suite, whose build server filled the cache they build from.
let linesStatus = 0;
if (nodeLinesAsked || (process.env.CI && args.length === 0)) linesStatus = checkLines();
else console.log("\nnode-lines: skipped (CI runs them; npm test -- --node-lines, or npm run test:node-lines, here)");
console.log(`\ntests: ${counts.numPassedTests} passed, ${counts.numFailedTests} failed`);
process.exit(status || linesStatus);
