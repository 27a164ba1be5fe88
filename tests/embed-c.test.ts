// The native host (examples/embed-c): a weft module turned into C by wasm2c and linked with a C kernel
// (weft_host.c) by build.sh runs as a native program, and prints what weft's own host prints: the same
// stdout and exit code for threads, sync and channels, the same deadlock report with exit code 3, a trap
// that ends only its thread, stdin and stdout through io_submit, delays completed through the core's
// completion ring; and it refuses a module of another ABI version. Compiling and running happen in child processes, off this file's event loop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, buildProgram, runNode, runProgram, type ChildResult } from "./harness";
import { ABI_VERSION } from "../host/abi";

const BUILD_SH = path.join(ROOT, "examples", "embed-c", "build.sh");

let scratch = "";
beforeAll(async () => {
  scratch = realpathSync(mkdtempSync(path.join(tmpdir(), "weft-embed-c-")));
  // Installs Debian's wabt (or gcc) once if missing, before builds run side by side.
  const ensured = await runNode([path.join(ROOT, "scripts", "ensure-wabt.js")], { timeoutMs: 280_000 });
  expect(ensured.status, ensured.stderr).toBe(0);
}, 300_000);
afterAll(() => { if (scratch) rmSync(scratch, { recursive: true, force: true }); });

/** Runs `command args` in a child process and collects its output; `input` goes to its stdin. A child
 *  still running after `timeoutMs` is killed (its status is then null). */
function runChild(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ChildResult> {
  const { input = "", timeoutMs = 240_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => {});
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    child.on("close", (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
}

/** Builds `file` (as buildProgram takes it) with weft, then natively with build.sh (`flags` go to the C
 *  compiler); returns the binary's path and the module's. */
async function native(file: string, flags: string[] = []): Promise<{ binary: string; wasm: string }> {
  const name = path.basename(file, ".ts") + (flags.length ? "-flags" : "");
  const wasm = path.join(scratch, `${name}.wasm`);
  writeFileSync(wasm, await buildProgram(file));
  const binary = path.join(scratch, name);
  const built = await runChild("bash", [BUILD_SH, wasm, binary, ...flags]);
  expect({ status: built.status, stderr: built.stderr }).toEqual({ status: 0, stderr: "" });
  return { binary, wasm };
}

const example = (name: string) => path.join(ROOT, "examples", `${name}.ts`);

/** weft's own host adds backtraces to deaths and deadlocks (host/kernel/backtrace.ts); a native host has
 *  no stack traces to take them from, and prints the same reports without them. */
const withoutFrames = (text: string) => text.split("\n").filter((l) => !/^    \S+ .*wasm-function\[\d+\]:0x[0-9a-f]+$/.test(l)).join("\n");

describe("examples/embed-c: a weft module as a native program", () => {
  it("hello and philosophers print what weft's host prints, with the same exit code", async () => {
    const outputs: string[] = [];
    // The philosophers finish in an order their sleeps and the machine decide: the same lines, in any order.
    const lines = (out: string, ordered: boolean) => ordered ? out : out.split("\n").sort().join("\n");
    for (const [file, ordered] of [[example("hello"), true], [example("philosophers"), false]] as const) {
      const [{ binary }, weft] = await Promise.all([native(file), runProgram(file)]);
      const run = await runChild(binary, []);
      expect(weft.status).toBe("exited");
      expect({ status: run.status, stdout: lines(run.stdout, ordered), stderr: run.stderr })
        .toEqual({ status: weft.exitCode, stdout: lines(weft.stdout, ordered), stderr: "" });
      outputs.push(run.stdout);
    }
    // what the lines say, so that two wrong runs cannot agree
    expect(outputs[0]).toContain("total 10000 (joined threads say 10000)\n");
    expect(outputs[1]).toContain("meals eaten: 15\n");
  }, 300_000);

  it("channels: chan_roundtrip's checksum is the same (its timing line aside)", async () => {
    const [{ binary }, weft] = await Promise.all([native("chan_roundtrip.ts"), runProgram("chan_roundtrip.ts")]);
    const run = await runChild(binary, []);
    const steady = (out: string) => out.split("\n").filter((l) => !l.startsWith("ns_per_round_trip=")).join("\n");
    expect([run.status, run.stderr]).toEqual([weft.exitCode, ""]);
    expect(steady(run.stdout)).toBe(steady(weft.stdout));
    expect(run.stdout).toMatch(/ns_per_round_trip=\d+/);
  }, 300_000);

  it("a deadlock is reported as weft run reports it, naming the same threads, with exit code 3", async () => {
    const [{ binary }, weft] = await Promise.all([native("core_deadlock.ts"), runProgram("core_deadlock.ts")]);
    const run = await runChild(binary, []);
    expect(weft.status).toBe("deadlock");
    expect(run.status).toBe(3);
    expect(run.stdout).toBe(weft.stdout);
    expect(run.stderr).toBe(`weft: ${withoutFrames(weft.error!)}\n`);
    expect(run.stderr).toContain(`  thread 1 "main": blocked on join of thread 2\n  thread 2 "stuck-one": blocked on futex at 0x`);
  }, 300_000);

  it("a trap ends only its thread: one line names it, and the program goes on", async () => {
    const [{ binary }, weft] = await Promise.all([native("core_trap.ts"), runProgram("core_trap.ts")]);
    const run = await runChild(binary, []);
    expect(weft.status).toBe("exited");
    expect(run.status).toBe(weft.exitCode);
    expect(run.stdout).toBe(weft.stdout);
    expect(run.stdout).toContain("good=55,110\nafter=165\n");
    // weft's host collects the same lines without the CLI's `weft: ` in front
    expect(run.stderr).toBe(withoutFrames(weft.stderr).split("\n").filter((l) => l).map((l) => `weft: ${l}\n`).join(""));
    expect(run.stderr).toMatch(new RegExp([
      `^weft: thread 3 "bad-unreachable" died: unreachable\n`,
      `weft: thread 4 "bad-index" died: Index out of range \\(~lib/array\\.ts:\\d+:\\d+\\)\n`,
      `weft: thread 5 "bad-divide" died: divide by zero\n$`,
    ].join("")));
  }, 300_000);

  it("reads stdin and writes through io_submit as weft run does", async () => {
    const input = "first line\nsecond, a little longer\n\nlast without newline ✓";
    const { binary, wasm } = await native("io_stdin.ts");
    for (const text of [input, ""]) {
      const [run, weft] = await Promise.all([
        runChild(binary, [], { input: text }),
        runNode([path.join(ROOT, "dist", "host", "cli.js"), "run", wasm], { input: text }),
      ]);
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
      expect(run.stdout).toBe(`text=${text.replaceAll("\n", "|")}\nend=0\nreads_enough=1\nagain=0\n`);
      expect(run.stdout).toBe(weft.stdout);
    }
  }, 300_000);

  it("holds delays and completes them through the ring: 2,000 threads in ioDelay(30) wait together", async () => {
    const run = await runChild((await native("io_many.ts")).binary, []);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    expect(run.stdout).toMatch(/^threads=2000\nok=2000\nms=\d+\n$/);
    // one after another they would take a minute; together, about one delay (a loaded machine: slack)
    expect(Number(/ms=(\d+)/.exec(run.stdout)![1])).toBeLessThan(5_000);
  }, 300_000);

  it("a host of another ABI version refuses the module with one line and exit code 1", async () => {
    const { binary } = await native(example("hello"), ["-DWEFT_HOST_ABI_VERSION=10"]);
    const run = await runChild(binary, []);
    expect(run).toMatchObject({
      status: 1,
      stdout: "",
      stderr: `weft ABI mismatch: the module speaks version ${ABI_VERSION}, this host 10; rebuild it\n`,
    });
  }, 300_000);
});
