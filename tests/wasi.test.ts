// The WASI flavour (`weft build --target wasi`; assembly/sys/wasi.ts, host/compiler/passes/wasi.ts): the
// module imports only WASI functions, and the same program prints the same lines under weft's own host
// and under node:wasi with nothing of weft loaded (tests/wasi-run.mjs, in a child process): threads,
// sleep, 10,000 spawns, channels, sync, TLS, preemption by fuel and files. Deadlocks and traps are
// reported as weft's host reports them, with `weft run`'s exit codes.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, buildModule, buildProgram, runNode, runProgram } from "./harness";
import { BuildError } from "../host/compiler/errors";
import { WASI_IMPORTS, WASI_MODULE } from "../host/abi";
import type { RunResult } from "../host/kernel/runner";

const scratchDirs: string[] = [];
afterAll(() => { for (const d of scratchDirs) rmSync(d, { recursive: true, force: true }); });

function scratch(): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "weft-wasi-")));
  scratchDirs.push(dir);
  return dir;
}

/** tests/programs/<name>.ts built for WASI, in a file of its own. */
async function wasiFile(name: string): Promise<string> {
  const out = path.join(scratch(), `${name}.wasm`);
  writeFileSync(out, await buildProgram(`${name}.ts`, { target: "wasi" }));
  return out;
}

/** Runs a WASI module under node:wasi alone, in `cwd`, with `dirs` preopened. */
function underWasi(file: string, cwd = ROOT, dirs: string[] = []) {
  return runNode(["--no-warnings", path.join(ROOT, "tests", "wasi-run.mjs"), file, ...dirs], { cwd });
}

/** Runs tests/programs/<name>.ts under weft's own host with `cwd` as the working directory. */
async function underWeft(name: string, cwd: string, dirs: string[] = []): Promise<RunResult> {
  const back = process.cwd();
  process.chdir(cwd);
  try { return await runProgram(`${name}.ts`, { node: { dirs } }); }
  finally { process.chdir(back); }
}

describe("weft build --target wasi", () => {
  it("makes a module whose only imports are WASI preview 1 functions, that a runtime without the threads proposal accepts, and which exports _start and memory", async () => {
    for (const name of ["wasi_tour", "core_deadlock"]) {
      const mod = new WebAssembly.Module(await buildProgram(`${name}.ts`, { target: "wasi" }));
      const imports = WebAssembly.Module.imports(mod);
      expect(imports.length).toBeGreaterThan(0);
      for (const i of imports) {
        expect(i.module).toBe(WASI_MODULE);
        expect(i.kind).toBe("function");
        expect(WASI_IMPORTS as readonly string[]).toContain(i.name);
      }
      const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
      expect(exports).toEqual(expect.arrayContaining(["_start", "memory"]));
    }
    // no atomic instruction is left: wabt's validator, without the threads proposal, accepts the module
    const file = await wasiFile("wasi_tour");
    const validate = await runNode([path.join(ROOT, "node_modules", "wabt", "bin", "wasm-validate"), file]);
    expect([validate.status, validate.stderr]).toEqual([0, ""]);
    // the tour reads the clock, sleeps, writes, exits and uses files
    const tour = WebAssembly.Module.imports(new WebAssembly.Module(await buildProgram("wasi_tour.ts", { target: "wasi" }))).map((i) => i.name);
    expect(tour).toEqual(expect.arrayContaining(["clock_time_get", "poll_oneoff", "fd_write", "proc_exit", "path_open", "fd_read"]));
  }, 300_000);

  it("switches through the same functions as the same program built for weft's host (the twins of the imports never switch)", async () => {
    const file = path.join(ROOT, "bench", "programs", "yield.ts");
    const weft = await buildModule(file);
    const wasi = await buildModule(file, { target: "wasi" });
    expect(weft.resumable?.rebuilt.length).toBeGreaterThan(0);
    // abort's twin once closed a cycle through the stack check that got a safepoint: every function that
    // can fail a check became one that can switch (83 instead of 5), and the bench ran up to 19% slower
    expect([...wasi.resumable!.rebuilt].sort()).toEqual([...weft.resumable!.rebuilt].sort());
  }, 300_000);

  it("prints the same lines under weft's host and under node:wasi: sleep, 10,000 threads, channels, sync, TLS, preemption, files", async () => {
    const wasm = await wasiFile("wasi_tour");
    const [weftDir, wasiDir] = [scratch(), scratch()];
    const weft = await underWeft("wasi_tour", weftDir, ["."]);
    const wasi = await underWasi(wasm, wasiDir, ["."]);
    expect({ status: weft.status, exitCode: weft.exitCode, stderr: weft.stderr }).toEqual({ status: "exited", exitCode: 7, stderr: "" });
    expect(wasi.stderr).toBe("");
    expect(wasi.status).toBe(7);
    expect(wasi.stdout).toBe(weft.stdout);
    // what the lines say, so that two wrong runs cannot agree
    expect(wasi.stdout).toContain("sleepers_woke=100,200,300\n");
    expect(wasi.stdout).toContain("threads=10000 joined_sum=35000\n");
    expect(wasi.stdout).toContain("channel_sum=500500\ntls_kept=8\ncond=1\npreempted=yes\n");
    expect(wasi.stdout).toContain("file_read=weft ✓ files eof=0\nreaddir=note.txt\nunlink=0 missing=-2 errno=2\noutside=-13\n");
  }, 300_000);

  it("the hello example prints the same lines and exits 0", async () => {
    const wasm = path.join(scratch(), "hello.wasm");
    writeFileSync(wasm, await buildProgram(path.join(ROOT, "examples", "hello.ts"), { target: "wasi" }));
    const weft = await runProgram(path.join(ROOT, "examples", "hello.ts"));
    const wasi = await underWasi(wasm);
    expect([wasi.status, wasi.stderr]).toEqual([0, ""]);
    expect(wasi.stdout).toBe(weft.stdout);
    expect(wasi.stdout).toContain("total 10000");
  }, 300_000);

  it("a deadlock is reported as weft's host reports it, with weft run's exit status 3", async () => {
    const wasi = await underWasi(await wasiFile("core_deadlock"));
    const weft = await runProgram("core_deadlock.ts");
    expect(weft.status).toBe("deadlock");
    expect(wasi.status).toBe(3);
    expect(wasi.stdout).toBe(weft.stdout);
    // (weft's own host adds each thread's frames, host/kernel/backtrace.ts; a WASI runtime has none to give.)
    expect(wasi.stderr).toBe(weft.error!.split("\n").filter((l) => !/^    \S+ .*wasm-function\[\d+\]:0x[0-9a-f]+$/.test(l)).join("\n") + "\n");
  }, 300_000);

  it("a thread that fails a check ends a WASI program with exit code 1 and one line naming it", async () => {
    const wasi = await underWasi(await wasiFile("wasi_abort"));
    expect(wasi.status).toBe(1);
    expect(wasi.stdout).toBe("before\n");
    expect(wasi.stderr).toMatch(/^thread 2 "out-of-range" died: Index out of range \(~lib\/array\.ts:\d+:\d+\)\n/);
    // weft's own host ends only that thread
    const weft = await runProgram("wasi_abort.ts");
    expect(weft.stdout).toBe("before\nafter code=0\n");
  }, 300_000);

  it("weft run runs a WASI module through node:wasi; a trap names its thread", async () => {
    const cli = path.join(ROOT, "dist", "host", "cli.js");
    const trap = await runNode([cli, "run", await wasiFile("core_trap")]);
    expect(trap.status).toBe(1);
    expect(trap.stdout).toBe("ids=3,4,5\n");
    expect(trap.stderr).toBe(`weft: thread 3 "bad-unreachable" died: unreachable; a trap ends a WASI program\n`);
    const dir = scratch();
    const tour = await runNode([cli, "run", await wasiFile("wasi_tour"), "--dir", "."], { cwd: dir });
    expect(tour.status).toBe(7);
    expect(tour.stdout).toContain("file_write=15 close=0\n");
    const refused = await runNode([cli, "run", await wasiFile("wasi_tour"), "--processors", "2"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/a WASI module runs on one processor/);
  }, 300_000);

  it("refuses what WASI cannot host: a shared build, and a program's own imports (named)", async () => {
    await expect(buildModule("wasi_tour.ts", { target: "wasi", shared: true })).rejects.toThrow(/WASI preview 1 has no threads/);
    const foreign = buildModule("wasi_foreign.ts", { target: "wasi" });
    await expect(foreign).rejects.toThrow(BuildError);
    await expect(foreign).rejects.toThrow(/imports app\.lookup, which no WASI runtime supplies/);
  }, 300_000);
});
