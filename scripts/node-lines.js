#!/usr/bin/env node
// The Node lines weft supports (issue 20, part 5): the bundled examples and a smoke subset of the tests on
// every maintained Node line, beside the full suite on the machine's Node (scripts/test.js runs this after
// it in CI; `npm run test:node-lines` runs it alone).
//
// Design note
// -----------
// Node 20 reached its end of life in April 2026; 22, 24 and 26 are maintained (package.json, engines).
// Each line's binary comes from the npm registry through npm itself (`npm pack node-<os>-<arch>@<line>`,
// the registry npm is configured with), is unpacked once into node_modules/.cache/weft/node-lines/<line>/
// and kept there (delete the folder for the line's newest release). On each line, one after another
// (each run already keeps both cores busy):
//   1. the examples: `node dist/host/cli.js start --no-bench` (npm start without the benchmark summary);
//   2. the smoke subset, SMOKE: one test file per model and issue 20's tests, through vitest's own CLI run
//      by that line's node, with WEFT_SMOKE set (tests/mn.test.ts then runs 2 processors, not 1, 2 and 4)
//      and the main suite's config: its build server answers from the cache the
//      main suite just filled (tests/build-server.ts: the key does not depend on the Node that builds), so
//      nothing is compiled again.
// Everything a line prints is kept in a log beside its binary and shown only when it fails; each line
// ends with one summary line. A line whose binary cannot be fetched (offline, no such package for this
// platform) fails the step in CI and is skipped with a message elsewhere.
//
// Environment: WEFT_NODE_LINES, the lines to run ("22,26"; default LINES).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The maintained Node lines (nodejs.org's release schedule, December 2026). */
export const LINES = ["22", "24", "26"];
/** One test file per model, and issue 20's tests that run in Node. */
export const SMOKE = [
  "tests/core.test.ts",          // N:1
  "tests/mn.test.ts",            // M:N on 2 processors (WEFT_SMOKE), and 1:1
  "tests/host-calls.test.ts",    // issue 20, part 1: host functions, in N:1, M:N and 1:1
  "tests/serve.test.ts",         // issue 20, part 2: JavaScript calls in (start, call, close), every model
  "tests/host-slice.test.ts",    // issue 20, part 3: the host's event loop keeps turning
  "tests/heap-limit.test.ts",    // issue 20, part 5: the heap under a limit on every processor
  "tests/sockets.test.ts",       // a connection's chunks taken at the socket's push, under its stream
  "tests/build-cache.test.ts",   // the CLI's case only (WEFT_SMOKE): Node 22 and later add V8's compile cache
  "tests/engine.test.ts",        // V8 13 (Node 24): the dead Wasm code collector off (host/engine.ts)
];
const CACHE = path.join(root, "node_modules", ".cache", "weft", "node-lines");
const PACKAGE = `node-${process.platform}-${process.arch}`;

/** npm itself: the one that runs `npm test` (npm_execpath), else the npm on PATH. */
function npm(args, options) {
  const cli = process.env.npm_execpath;
  return cli && /\.[cm]?js$/.test(cli)
    ? spawnSync(process.execPath, [cli, ...args], options)
    : spawnSync("npm", args, { ...options, shell: process.platform === "win32" });
}

/** The node binary of `line`, fetched and unpacked on first use; or { error } saying why there is none. */
function nodeOf(line) {
  const dir = path.join(CACHE, line);
  const node = path.join(dir, "bin", "node");
  if (existsSync(node)) return { node };
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(path.join(CACHE, `.${line}-`));
  try {
    const pack = npm(["pack", `${PACKAGE}@${line}`, "--pack-destination", work, "--loglevel=error"], { encoding: "utf8", cwd: work });
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    if (pack.status !== 0 || !tarball) {
      const why = (pack.stderr || pack.error?.message || "").trim().split("\n").filter((l) => l && !/complete log of this run/.test(l))
        .slice(0, 2).join(" / ");
      return { error: `npm pack ${PACKAGE}@${line} failed${why ? `: ${why}` : ""}` };
    }
    const tar = spawnSync("tar", ["-xzf", tarball, "package/bin/node"], { cwd: work, encoding: "utf8" });
    if (tar.status !== 0) return { error: `unpacking ${tarball} failed: ${(tar.stderr || tar.error?.message || "").trim()}` };
    rmSync(dir, { recursive: true, force: true });
    renameSync(path.join(work, "package"), dir);
    return { node };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs `args` with `node`, its output appended to `log`; returns the exit status and the seconds it took. */
function runLogged(node, args, log) {
  const started = performance.now();
  const r = spawnSync(node, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 28, env: { ...process.env, FORCE_COLOR: "0", WEFT_SMOKE: "1" } });
  writeFileSync(log, `$ ${path.basename(node)} ${args.join(" ")}\n${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) + "\n" : ""}\n`, { flag: "a" });
  return { status: r.status ?? 1, seconds: (performance.now() - started) / 1000 };
}

/** Steps 1 and 2 on one line. True when both passed. */
function checkLine(line, node) {
  const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout?.trim() || "?";
  const log = path.join(CACHE, `${line}.log`);
  writeFileSync(log, "");
  const examples = runLogged(node, ["dist/host/cli.js", "start", "--no-bench"], log);
  const report = path.join(mkdtempSync(path.join(CACHE, ".report-")), "report.json");
  const smoke = runLogged(node, [path.join("node_modules", "vitest", "vitest.mjs"), "run", "--reporter=dot", "--reporter=json",
    `--outputFile.json=${report}`, ...SMOKE], log);
  let counts = "no report";
  try {
    const r = JSON.parse(readFileSync(report, "utf8"));
    counts = `${r.numPassedTests} passed, ${r.numFailedTests} failed`;
    const files = r.testResults.map((t) => `  ${path.relative(root, t.name)} ${((t.endTime - t.startTime) / 1000).toFixed(1)} s ${t.status}`);
    writeFileSync(log, `smoke files:\n${files.join("\n")}\n`, { flag: "a" });
    if (r.numTotalTests === 0) smoke.status ||= 1;
  } catch { smoke.status ||= 1; }
  rmSync(path.dirname(report), { recursive: true, force: true });
  const ok = examples.status === 0 && smoke.status === 0;
  if (!ok) process.stdout.write(readFileSync(log, "utf8"));
  console.log(`node-lines: Node ${version}: examples ${examples.status === 0 ? "ok" : "FAILED"} (${examples.seconds.toFixed(1)} s), ` +
    `smoke ${counts} (${smoke.seconds.toFixed(1)} s)${ok ? "" : `; the log is ${path.relative(root, log)}`}`);
  return ok;
}

/** Every line in `lines`; returns the exit status (0: every line passed, or was skipped outside CI). */
export function checkLines(lines = (process.env.WEFT_NODE_LINES ?? LINES.join(",")).split(",").map((l) => l.trim()).filter(Boolean)) {
  const ci = !!process.env.CI;
  const started = performance.now();
  let failed = 0, skipped = 0;
  console.log(`\nnode-lines: the examples and ${SMOKE.length} test files on Node ${lines.join(", ")} (scripts/node-lines.js)`);
  for (const line of lines) {
    const { node, error } = nodeOf(line);
    if (!node) {
      console.log(`node-lines: Node ${line}: ${ci ? "FAILED" : "skipped"}: no binary: ${error}`);
      if (ci) failed++; else skipped++;
      continue;
    }
    if (!checkLine(line, node)) failed++;
  }
  const passed = lines.length - failed - skipped;
  console.log(`node-lines: ${passed} of ${lines.length} lines passed${failed ? `, ${failed} failed` : ""}${skipped ? `, ${skipped} skipped` : ""} ` +
    `in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  process.exit(checkLines(args.length ? args : undefined));
}
