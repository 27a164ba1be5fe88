// Host functions (assembly/sys/call.ts, host/kernel/calls.ts, host/compiler/passes/calls.ts): a program's
// own imports, given by the run. Every value type both ways, strings and bytes each way, a Promise that
// parks only its caller, fifty calls in flight, and failures the caller sees — in N:1, M:N on 2
// processors and 1:1 — plus imports built to be called directly (syncImports), and the refusals. The
// functions live in tests/host-calls-run.mjs, run in a child process (they cannot go to a worker).
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, buildModule, runNode } from "./harness";
import { CALLS_SECTION } from "../host/abi";
import type { BuildOptions } from "../host/compiler/build";

const dir = mkdtempSync(path.join(tmpdir(), "weft-calls-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function wasmFile(name: string, options: BuildOptions = {}): Promise<string> {
  const file = path.join(dir, `${name}-${Math.random().toString(36).slice(2)}.wasm`);
  writeFileSync(file, (await buildModule(`${name}.ts`, options)).wasm);
  return file;
}

type Outcome = { status?: string; exitCode?: number; stdout?: string; stderr?: string; error?: string | null; thrown?: string; message?: string };
async function runWith(file: string, model: "N:1" | "M:N" | "1:1", imports = "all"): Promise<Outcome> {
  const r = await runNode([path.join(ROOT, "tests", "host-calls-run.mjs"), file, model, imports]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Outcome;
}

const EXPECTED = [
  "add=42", "scale=6.0", "wide=12884901889", "nothing_errno=0", "others_ran=yes later=42", "in_flight_sum=2450",
  "fresh_text=null", "greet=14:hello, wëft ✓!", "checksum=135", "pattern=5:0,1,4,9,16",
  "throws=0 errno=EIO why=app.throws threw: no such user",
  "rejects=0 errno=EIO why=app.rejects rejected: the service is down",
  "bad=0 why=app.bad returned object, which a host call cannot carry", "after=2",
];

describe("host functions", () => {
  it("a module lists them in its call table and imports none of them; a program without any is built as before", async () => {
    const { wasm, calls } = await buildModule("host_calls.ts");
    const mod = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.imports(mod).filter((i) => i.module === "app")).toEqual([]);
    const table = JSON.parse(new TextDecoder().decode(WebAssembly.Module.customSections(mod, CALLS_SECTION)[0]));
    expect(table).toEqual(calls);
    expect(table.find((c: { name: string }) => c.name === "scale")).toEqual({ module: "app", name: "scale", params: ["f64", "f32"], results: ["f64"] });
    expect(table.find((c: { name: string }) => c.name === "nothing")).toEqual({ module: "app", name: "nothing", params: [], results: [] });
    const hello = new WebAssembly.Module((await buildModule(path.join(ROOT, "examples", "hello.ts"))).wasm as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.customSections(hello, CALLS_SECTION)).toEqual([]);
    expect(WebAssembly.Module.exports(hello).map((e) => e.name)).not.toContain("__weft_call");
  }, 300_000);

  it("N:1: numbers, strings and bytes both ways; a Promise parks only its caller; failures reach the caller as EIO with the reason", async () => {
    const r = await runWith(await wasmFile("host_calls"), "N:1");
    expect({ status: r.status, error: r.error, stderr: r.stderr }).toEqual({ status: "exited", error: null, stderr: "" });
    expect(r.stdout!.trim().split("\n")).toEqual(EXPECTED);
  }, 300_000);

  for (const model of ["M:N", "1:1"] as const) {
    it(`${model}: the same, served by the thread that called runShared`, async () => {
      const r = await runWith(await wasmFile("host_calls", { shared: true }), model);
      expect({ status: r.status, error: r.error }).toEqual({ status: "exited", error: null });
      expect(r.stdout!.trim().split("\n")).toEqual(EXPECTED);
    }, 300_000);
  }

  it("a host function with more arguments than a call carries is refused at build, naming it", async () => {
    await expect(buildModule("host_many_args.ts")).rejects.toThrow(/^weft build: host function app\.wide takes 17 arguments; at most 16$/);
  }, 300_000);

  it("a run not given a host function the program calls is refused, naming it", async () => {
    const n1 = await runWith(await wasmFile("host_calls"), "N:1", "none");
    expect(n1.thrown).toBe("WeftError");
    expect(n1.message).toMatch(/^the program calls host functions app\.add, .*app\.bad, which the run was not given \(options\.imports\)$/);
    const mn = await runWith(await wasmFile("host_calls", { shared: true }), "M:N", "none");
    expect([mn.thrown, mn.message]).toEqual(["WeftError", n1.message]);
  }, 300_000);

  it("weft run --imports gives them from a JavaScript module; weft build --sync-imports keeps the named ones direct", async () => {
    const cli = path.join(ROOT, "dist", "host", "cli.js");
    const host = path.join(dir, "host.mjs");
    writeFileSync(host, `export default { app: {
      add: (a, b) => a + b, promise: () => Promise.resolve(1), throws: () => { throw new Error("no such user"); },
    } };\n`);
    const direct = path.join(dir, "host_sync_cli.wasm");
    const built = await runNode([cli, "build", path.join(ROOT, "tests", "programs", "host_sync.ts"), "-o", direct, "--sync-imports", "app.add,app.promise,app.throws"]);
    expect(built.status, built.stderr).toBe(0);
    const r = await runNode([cli, "run", direct, "--imports", host]);
    expect(r.stdout).toBe("add=499500\npromise_died=yes throws_died=yes\nafter=3\n");
    expect(r.status).toBe(0);
    const bad = await runNode([cli, "build", "x.ts", "--sync-imports", "add"]);
    expect([bad.status, bad.stderr.trim()]).toEqual([2, `weft: --sync-imports takes module.name[,module.name...], got "add"`]);
  }, 300_000);

  it("syncImports stay Wasm imports, called directly: a Promise or a throw kills only the calling thread", async () => {
    const options = { syncImports: ["app.*"] };
    const { wasm } = await buildModule("host_sync.ts", options);
    const mod = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.imports(mod).filter((i) => i.module === "app").map((i) => i.name).sort()).toEqual(["add", "promise", "throws"]);
    expect(WebAssembly.Module.customSections(mod, CALLS_SECTION)).toEqual([]);
    const r = await runWith(await wasmFile("host_sync", options), "N:1");
    expect(r.status).toBe("exited");
    expect(r.stdout).toBe("add=499500\npromise_died=yes throws_died=yes\nafter=3\n");
    expect(r.stderr).toContain(`thread 2 "promiser" died: host function app.promise returned a Promise, but it was built as a sync import`);
    expect(r.stderr).toContain(`"thrower" died: host function app.throws threw: no such user`);
    // a shared run's processors cannot have them
    const shared = await runWith(await wasmFile("host_sync", { ...options, shared: true }), "M:N");
    expect(shared.thrown).toBe("WeftError");
    expect(shared.message).toMatch(/imports app\.\w+ as a sync import; in a shared run host functions run on the thread that called runShared/);
  }, 300_000);
});
