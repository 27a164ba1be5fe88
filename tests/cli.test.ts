// The weft CLI (host/cli.ts), run as a user runs it, in a child process. Building a .ts file is checked
// once for each kind of build (run, build, run --processors, build --shared); the other cases run a
// module the build server made (tests/harness.ts, wasmFile), so that the cases do not each build again.
import { describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT, buildProgram, runNode } from "./harness";
import { scratchDir } from "./scratch";

const cli = path.join(ROOT, "dist", "host", "cli.js");
const weft = (...args: string[]) => runNode([cli, ...args]);
/** For a case that builds through the CLI, which loads the compiler afresh: a minute or two on a machine
 *  whose cores are all busy. */
const CLI_BUILD_TIMEOUT = 300_000;

/** tests/programs/<name>.ts built (cached), written to a file of its own for the CLI to run. */
async function wasmFile(name: string): Promise<string> {
  const out = path.join(scratchDir("weft-cli-"), `${name}.wasm`);
  writeFileSync(out, await buildProgram(`${name}.ts`));
  return out;
}

describe("weft CLI", () => {
  it("--help explains the commands and exits 0; no command is a usage error", async () => {
    const help = await weft("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/weft run <app\.ts\|app\.wasm>/);
    expect((await weft()).status).toBe(2);
  });

  it("run builds a .ts program, prints its output and exits with main's value", async () => {
    const r = await weft("run", "tests/programs/pingpong.ts");
    expect(r.stdout).toBe("a=10 b=100\n");
    expect(r.status).toBe(110);
  }, CLI_BUILD_TIMEOUT);

  it("run reports each thread that died once on stderr (weft: ...), and --quiet leaves only the program's output", async () => {
    const program = await wasmFile("core_trap");
    const r = await weft("run", program);
    expect(r.status).toBe(0);
    // Each death, then its backtrace (indented): the function that trapped comes first, or the one that
    // aborted under it.
    const lines = r.stderr.trim().split("\n");
    const deaths = lines.filter((l) => !l.startsWith("    "));
    expect(deaths).toEqual([
      'weft: thread 3 "bad-unreachable" died: unreachable',
      expect.stringMatching(/^weft: thread 4 "bad-index" died: Index out of range/),
      'weft: thread 5 "bad-divide" died: divide by zero',
    ]);
    const framesAfter = (death: number) => lines.slice(lines.indexOf(deaths[death]) + 1).findIndex((l) => !l.startsWith("    "));
    expect(lines[lines.indexOf(deaths[0]) + 1]).toMatch(/^    hitsUnreachable +core_trap\.ts +wasm-function\[\d+\]:0x[0-9a-f]+$/);
    expect(lines.slice(lines.indexOf(deaths[1]) + 1).find((l) => / core_trap\.ts /.test(l))).toMatch(/^    indexesOutOfBounds /);
    expect(lines[lines.indexOf(deaths[2]) + 1]).toMatch(/^    dividesByZero +core_trap\.ts /);
    expect([0, 1].map(framesAfter).every((n) => n >= 1)).toBe(true);
    expect(r.stdout).toMatch(/^good=55,110$/m);
    const quiet = await weft("run", "--quiet", program);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toBe(r.stdout);
  });

  it("build writes a module that run accepts", async () => {
    const out = path.join(scratchDir("weft-cli-"), "p.wasm");
    const b = await weft("build", "tests/programs/pingpong.ts", "-o", out);
    expect(b.status).toBe(0);
    expect(b.stdout).toMatch(/built .*p\.wasm/);
    const r = await weft("run", out);
    expect(r.stdout).toBe("a=10 b=100\n");
  }, CLI_BUILD_TIMEOUT);

  it("wrong arguments and bad modules give one clear line and a non-zero exit", async () => {
    const dir = scratchDir("weft-cli-");
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
      const r = await weft(...args);
      expect({ args, status: r.status }).toEqual({ args, status });
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("run grants nothing but stdio by default; --dir grants a directory, --io sets the default mode", async () => {
    const dir = scratchDir("weft-cli-io-");
    mkdirSync(path.join(dir, "data"));
    writeFileSync(path.join(dir, "data", "note.txt"), "granted");
    const program = await wasmFile("cli_io");
    const inDir = (...args: string[]) => runNode([cli, ...args], { cwd: dir });
    const values = (out: string) => Object.fromEntries(out.trim().split("\n").map((l) => l.split("=")));

    const none = await inDir("run", program);
    expect(none.status).toBe(0);
    expect(values(none.stdout)).toMatchObject({ open: "EACCES" });
    const granted = values((await inDir("run", "--dir", "data", program)).stdout);
    expect(granted).toMatchObject({ open: "OK", text: "granted" });
    expect(Number(granted.during)).toBeGreaterThan(100);              // async by default: others ran
    const blocking = values((await inDir("run", "--dir", "data", "--io", "blocking", program)).stdout);
    expect(blocking).toMatchObject({ open: "OK", text: "granted", during: "0" });   // everyone stalled
    const offload = values((await inDir("run", "--dir", "data", "--io", "offload", "--helpers", "1", program)).stdout);
    expect(offload).toMatchObject({ open: "OK", text: "granted" });
    expect(Number(offload.during)).toBeGreaterThan(100);
  }, 120_000);

  it("grant and mode flags refuse bad values with one line and exit 2", async () => {
    for (const [args, message] of [
      [["--io", "sometimes"], /--io takes async, blocking or offload/],
      [["--dir", "/no/such/dir"], /--dir \/no\/such\/dir: no such directory/],
      [["--allow-listen", "8080"], /--allow-listen needs an address host:port/],
      [["--allow-connect"], /--allow-connect needs an address host:port/],
      [["--helpers", "0"], /--helpers takes 1 to 256/],
    ] as [string[], RegExp][]) {
      const r = await weft("run", ...args, "tests/programs/pingpong.ts");
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it("run --processors N builds a shared module and runs it on N Workers; a shared module needs --processors", async () => {
    const r = await weft("run", "--processors", "2", "tests/programs/pingpong.ts");
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 110, stdout: "a=10 b=100\n" });
    const out = path.join(scratchDir("weft-cli-"), "shared.wasm");
    expect((await weft("build", "--shared", "tests/programs/pingpong.ts", "-o", out)).status).toBe(0);
    expect((await weft("run", "--processors", "4", out)).stdout).toBe("a=10 b=100\n");
    const alone = await weft("run", out);
    expect(alone.status).toBe(1);
    expect(alone.stderr).toMatch(/a shared weft module .* runs on processors/);
    // --one-to-one builds a .ts file as --processors does (above): the module built there will do.
    const oneToOne = await weft("run", "--one-to-one", out);
    expect({ status: oneToOne.status, stdout: oneToOne.stdout }).toEqual({ status: 110, stdout: "a=10 b=100\n" });
    const bad = await weft("run", "--processors", "65", "tests/programs/pingpong.ts");
    expect({ status: bad.status, stderr: bad.stderr.trim() }).toEqual({ status: 2, stderr: "weft: --processors takes 1 to 64, got 65" });
    const both = await weft("run", "--one-to-one", "--processors", "2", "tests/programs/pingpong.ts");
    expect({ status: both.status, stderr: both.stderr.trim() }).toEqual({ status: 2, stderr: "weft: --one-to-one makes a Worker per thread: drop --processors" });
    // Grants and --io reach every processor (host/kernel/shared-io.ts); a bad mode is refused by name.
    const io = await weft("run", "--processors", "2", "--io", "offload", "--dir", ".", out);
    expect({ status: io.status, stdout: io.stdout }).toEqual({ status: 110, stdout: "a=10 b=100\n" });
    const badMode = await weft("run", "--processors", "2", "--io", "sideways", out);
    expect({ status: badMode.status, stderr: badMode.stderr.trim() }).toEqual({ status: 2, stderr: 'weft: --io takes async, blocking or offload, got "sideways"' });
  }, CLI_BUILD_TIMEOUT);
});
