import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./harness";

const cli = path.join(ROOT, "dist", "host", "cli.js");
const weft = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: ROOT, encoding: "utf8" });

describe("weft CLI", () => {
  it("--help explains the commands and exits 0; no command is a usage error", () => {
    const help = weft("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/weft run <app\.ts\|app\.wasm>/);
    expect(weft().status).toBe(2);
  });

  it("run builds a .ts program, prints its output and exits with main's value", () => {
    const r = weft("run", "tests/programs/pingpong.ts");
    expect(r.stdout).toBe("a=10 b=100\n");
    expect(r.status).toBe(110);
  });

  it("run reports each thread that died once on stderr (weft: ...), and --quiet leaves only the program's output", () => {
    const r = weft("run", "tests/programs/core_trap.ts");
    expect(r.status).toBe(0);
    const deaths = r.stderr.trim().split("\n");
    expect(deaths).toEqual([
      'weft: thread 3 "bad-unreachable" died: unreachable',
      expect.stringMatching(/^weft: thread 4 "bad-index" died: Index out of range/),
      'weft: thread 5 "bad-divide" died: divide by zero',
    ]);
    expect(r.stdout).toMatch(/^good=55,110$/m);
    const quiet = weft("run", "--quiet", "tests/programs/core_trap.ts");
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toBe(r.stdout);
  });

  it("build writes a module that run accepts", () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "weft-cli-")), "p.wasm");
    const b = weft("build", "tests/programs/pingpong.ts", "-o", out);
    expect(b.status).toBe(0);
    expect(b.stdout).toMatch(/built .*p\.wasm/);
    const r = weft("run", out);
    expect(r.stdout).toBe("a=10 b=100\n");
  });

  it("wrong arguments and bad modules give one clear line and a non-zero exit", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "weft-cli-"));
    const junk = path.join(dir, "junk.wasm");
    writeFileSync(junk, Buffer.from("this is not wasm"));
    const foreign = path.join(dir, "foreign.wasm");
    writeFileSync(foreign, Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]));
    const cases: [string[], number, RegExp][] = [
      [["frobnicate"], 2, /unknown command "frobnicate"/],
      [["run"], 2, /run needs a program/],
      [["run", "x.txt"], 2, /run takes a \.ts or \.wasm file/],
      [["run", "tests/programs/pingpong.ts", "--save-area", "lots"], 2, /--save-area needs a number/],
      [["run", "missing.wasm"], 1, /no such file: missing\.wasm/],
      [["run", junk], 1, /not a valid WebAssembly module/],
      [["run", foreign], 1, /not a weft module: missing exports/],
      [["build"], 2, /build needs an entry file/],
    ];
    for (const [args, status, message] of cases) {
      const r = weft(...args);
      expect({ args, status: r.status }).toEqual({ args, status });
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("run grants nothing but stdio by default; --dir grants a directory, --io sets the default mode", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "weft-cli-io-"));
    mkdirSync(path.join(dir, "data"));
    writeFileSync(path.join(dir, "data", "note.txt"), "granted");
    const program = path.join(ROOT, "tests/programs/cli_io.ts");
    const inDir = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8" });
    const values = (out: string) => Object.fromEntries(out.trim().split("\n").map((l) => l.split("=")));

    const none = inDir("run", program);
    expect(none.status).toBe(0);
    expect(values(none.stdout)).toMatchObject({ open: "EACCES" });
    const granted = values(inDir("run", "--dir", "data", program).stdout);
    expect(granted).toMatchObject({ open: "OK", text: "granted" });
    expect(Number(granted.during)).toBeGreaterThan(100);              // async by default: others ran
    const blocking = values(inDir("run", "--dir", "data", "--io", "blocking", program).stdout);
    expect(blocking).toMatchObject({ open: "OK", text: "granted", during: "0" });   // everyone stalled
    const offload = values(inDir("run", "--dir", "data", "--io", "offload", "--helpers", "1", program).stdout);
    expect(offload).toMatchObject({ open: "OK", text: "granted" });
    expect(Number(offload.during)).toBeGreaterThan(100);
  }, 120_000);

  it("grant and mode flags refuse bad values with one line and exit 2", () => {
    for (const [args, message] of [
      [["--io", "sometimes"], /--io takes async, blocking or offload/],
      [["--dir", "/no/such/dir"], /--dir \/no\/such\/dir: no such directory/],
      [["--allow-listen", "8080"], /--allow-listen needs an address host:port/],
      [["--allow-connect"], /--allow-connect needs an address host:port/],
      [["--helpers", "0"], /--helpers takes 1 to 256/],
    ] as [string[], RegExp][]) {
      const r = weft("run", ...args, "tests/programs/pingpong.ts");
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it("run --processors N builds a shared module and runs it on N Workers; a shared module needs --processors", () => {
    const r = weft("run", "--processors", "2", "tests/programs/pingpong.ts");
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 110, stdout: "a=10 b=100\n" });
    const out = path.join(mkdtempSync(path.join(tmpdir(), "weft-cli-")), "shared.wasm");
    expect(weft("build", "--shared", "tests/programs/pingpong.ts", "-o", out).status).toBe(0);
    expect(weft("run", "--processors", "4", out).stdout).toBe("a=10 b=100\n");
    const alone = weft("run", out);
    expect(alone.status).toBe(1);
    expect(alone.stderr).toMatch(/a shared weft module .* runs on processors/);
    const oneToOne = weft("run", "--one-to-one", "tests/programs/pingpong.ts");
    expect({ status: oneToOne.status, stdout: oneToOne.stdout }).toEqual({ status: 110, stdout: "a=10 b=100\n" });
    const bad = weft("run", "--processors", "65", "tests/programs/pingpong.ts");
    expect({ status: bad.status, stderr: bad.stderr.trim() }).toEqual({ status: 2, stderr: "weft: --processors takes 1 to 64, got 65" });
    const both = weft("run", "--one-to-one", "--processors", "2", "tests/programs/pingpong.ts");
    expect({ status: both.status, stderr: both.stderr.trim() }).toEqual({ status: 2, stderr: "weft: --one-to-one makes a Worker per thread: drop --processors" });
    const io = weft("run", "--processors", "2", "--dir", ".", "tests/programs/pingpong.ts");
    expect({ status: io.status, stderr: io.stderr.trim() }).toEqual({ status: 2, stderr: "weft: --processors runs without file or network I/O for now: drop --dir, --allow-*, --io" });
  }, 120_000);
});
