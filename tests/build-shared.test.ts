// weft build --shared (host/compiler/passes/shared.ts): the module K processors run over one shared memory.
import { beforeAll, describe, expect, it } from "vitest";
import binaryen from "../host/compiler/binaryen.js";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { BuildError } from "../host/compiler/errors.js";
import type { BuildResult } from "../host/compiler/build.js";
import { SHARED_EXPORTS, SHARED_GLOBALS_BYTES, shareModule } from "../host/compiler/passes/shared.js";
import { REQUIRED_EXPORTS, RUN_AGAIN, RUN_EXITED, SHARED_MEMORY_INITIAL, SHARED_MEMORY_MAXIMUM } from "../host/abi.js";
import { ROOT, buildModule as build } from "./harness";

const program = (name: string) => path.join(ROOT, "tests", "programs", name);
const FEATURES = binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.SignExt |
  binaryen.Features.NontrappingFPToInt | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt |
  binaryen.Features.Atomics;

/** A module's text, to look for instructions and sections in it. */
function wat(wasm: Uint8Array): string {
  const mod = binaryen.readBinary(wasm);
  try { return mod.emitText(); } finally { mod.dispose(); }
}
const exportNames = (wasm: Uint8Array) =>
  WebAssembly.Module.exports(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>)).map((e) => e.name);

describe("build --shared", () => {
  let n1: BuildResult, shared: BuildResult;
  beforeAll(async () => {
    n1 = await build(program("sync_mutex.ts"));
    shared = await build(program("sync_mutex.ts"), { shared: true });
  });

  it("imports a shared env.memory, exports the init functions, and uses real atomics where N:1 has none", () => {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(shared.wasm as Uint8Array<ArrayBuffer>));
    expect(imports).toContainEqual({ module: "env", name: "memory", kind: "memory" });
    expect(exportNames(shared.wasm)).toEqual(expect.arrayContaining([...REQUIRED_EXPORTS, ...SHARED_EXPORTS]));
    expect(exportNames(shared.wasm)).not.toContain("weft_shared_globals");
    expect(shared.shared).toMatchObject({ initialPages: SHARED_MEMORY_INITIAL, maximumPages: SHARED_MEMORY_MAXIMUM });
    const text = wat(shared.wasm);
    expect(text).toContain(`(import "env" "memory" (memory $`);
    expect(text).toMatch(new RegExp(`\\(memory \\$\\S+ ${SHARED_MEMORY_INITIAL} ${SHARED_MEMORY_MAXIMUM} shared\\)`));
    expect(text).toContain("i32.atomic.rmw.cmpxchg");       // WEFT_SHARED_MEMORY reached atomics.ts
    expect(text).not.toMatch(/^ \(start /m);                 // the initialisers run once, as weft_init
    expect(text).not.toMatch(/^ \(data \$\S+ \(i32\.const/m); // no active segment: instantiation writes nothing
    expect(text).toMatch(/^ \(data \$\S+ "/m);
    expect(text).not.toContain("(global.get $sync_mutex/");  // the program's globals live in memory
    expect(Object.keys(shared.shared!.globals)).toContain("sync_mutex/counter");
    expect(Object.keys(shared.shared!.globals)).not.toContain("~lib/weft/assembly/core/scheduler/currentThread");
    expect(wat(n1.wasm)).not.toContain("atomic.rmw.cmpxchg");
    expect(shared.size).toBeLessThan(n1.size * 1.25);        // the zeros of memory.data blocks are not carried
  });

  it("leaves the N:1 build as it was", async () => {
    const again = await build(program("sync_mutex.ts"), { shared: false });
    expect(Buffer.compare(again.wasm, n1.wasm)).toBe(0);
    expect(n1.shared).toBeUndefined();
    const names = exportNames(n1.wasm);
    for (const name of [...SHARED_EXPORTS, "weft_shared_globals"]) expect(names).not.toContain(name);
    const text = wat(n1.wasm);
    expect(text).toMatch(/^ \(start /m);
    expect(text).toMatch(/^ \(data \$\S+ \(i32\.const/m);
    expect(text).toContain("(global.get $sync_mutex/");
    expect(WebAssembly.Module.imports(new WebAssembly.Module(n1.wasm as Uint8Array<ArrayBuffer>)).map((i) => i.name)).not.toContain("memory");
  });

  // Instance 1 initialises the memory and spawns main; instance 2, instantiated after that, runs main, which
  // reads what instance 1 left in the program's globals and static data and writes the counter back.
  it.each([true, false])("shares the program's globals and static data between two instances (optimize: %s)", async (optimize) => {
    const r = await build(program("shared_globals.ts"), { shared: true, optimize });
    const memory = new WebAssembly.Memory({ initial: r.shared!.initialPages, maximum: r.shared!.maximumPages, shared: true });
    const module = new WebAssembly.Module(r.wasm as Uint8Array<ArrayBuffer>);
    const lines: string[][] = [[], []];
    const imports = (k: number): WebAssembly.Imports => ({
      weft: {
        now: () => performance.now(), wall: () => Date.now(),
        write: (_fd: number, ptr: number, units: number) => {
          lines[k].push(String.fromCharCode(...new Uint16Array(memory.buffer, ptr, units)));
        },
        died: () => { throw new Error("a thread died"); },
        io_submit: () => { throw new Error("no I/O here"); },
        processor_start: () => { throw new Error("not 1:1"); },
        frames: () => { throw new Error("no backtraces here"); },
      },
      env: { memory, abort: () => { throw new Error("abort"); } },
    });
    const counter = () => new Int32Array(memory.buffer, r.shared!.globals["shared_globals/counter"], 1)[0];

    const one = new WebAssembly.Instance(module, imports(0)).exports as Record<string, CallableFunction>;
    for (const init of SHARED_EXPORTS) one[init]();
    expect(one.weft_processors_init(2)).toBe(0);
    expect(one.weft_processor_enter(0)).toBe(0);
    expect(one.weft_start()).toBe(1);
    expect(counter()).toBe(41);

    const before = new Uint8Array(memory.buffer).slice();
    const two = new WebAssembly.Instance(module, imports(1)).exports as Record<string, CallableFunction>;
    expect(Buffer.compare(new Uint8Array(memory.buffer), before)).toBe(0); // instantiation changed nothing
    expect(two.weft_processor_enter(1)).toBe(0);
    let reason: number;
    do reason = two.weft_run(); while (reason === RUN_AGAIN);

    expect(reason).toBe(RUN_EXITED);
    expect(lines[0]).toEqual([]);
    expect(lines[1]).toEqual([
      "counter=42", "wide=4294967299", "ratio=0.5", "small=2.5", "made=3", "hello from 41", "a string literal",
    ]);
    expect(one.weft_main_value()).toBe(42);                  // written by instance 2, read by instance 1
    expect(counter()).toBe(42);
  });

  // assembly/core/atomics.ts, atomicWait: Node 20's baseline compiler zeroes the stack slot before a
  // wait's address, so every wait has a frame of its own with nothing read after it.
  it("waits on shared memory in atomicWait alone, never inlined, at every optimisation level", async () => {
    const full = await build(program("sync_mutex.ts"), { shared: true, optimize: true });
    for (const built of [shared, full]) {
      const functions = wat(built.wasm).split(/\n \(func /).slice(1);
      const waiting = functions.filter((f) => f.includes("memory.atomic.wait32"));
      expect(waiting.map((f) => f.slice(0, f.indexOf(" ")))).toEqual(["$~lib/weft/assembly/core/atomics/atomicWait"]);
      expect(functions.filter((f) => f.includes("(call $~lib/weft/assembly/core/atomics/atomicWait")).length).toBeGreaterThan(2);
    }
  });

  it("keeps a caller's local across a call that waits, in the engine's baseline tier", () => {
    // The pattern atomicWait relies on: the caller's last local is live across the call; the wait, in a
    // function of its own, is at the address's slot. (Inlined, Node 20 returns 0 here.)
    const mod = binaryen.parseText(`(module
      (memory 1 1 shared)
      (func $sync)
      (func $wait (param $addr i32) (param $ns i64) (result i32)
        (memory.atomic.wait32 (local.get $addr) (i32.const 1) (local.get $ns)))
      (func (export "f") (param $addr i32) (param $ns i64) (result i32)
        (local $keep i32)
        (local.set $keep (i32.add (local.get $addr) (i32.const 1000)))
        (call $sync)
        (drop (call $wait (local.get $addr) (local.get $ns)))
        (local.get $keep)))`);
    mod.setFeatures(FEATURES);
    const bytes = Buffer.from(mod.emitBinary()).toString("base64");
    mod.dispose();
    const script = `const m = new WebAssembly.Module(Buffer.from(process.argv[1], "base64"));
      process.stdout.write(String(new WebAssembly.Instance(m).exports.f(8, 0n)));`;
    const child = spawnSync(process.execPath, ["--liftoff-only", "-e", script, bytes], { encoding: "utf8" });
    expect(child.stderr).toBe("");
    expect(child.stdout).toBe("1008");
  });
});

describe("shareModule", () => {
  // A module as asc would leave it, small enough to read: a global whose name needs quotes in the text
  // format, one per-processor global the start function sets to a constant, and a data segment.
  const source = (start: string, extra = "") => `(module
    (import "env" "memory" (memory $m 1 16 shared))
    (export "memory" (memory $m))
    (global $"odd name, (quoted)" (mut i64) (i64.const 5))
    (global $~lib/weft/assembly/core/stack/stackLimit (mut i32) (i32.const 0))
    ${extra}
    (data (i32.const 64) "data!")
    (func $block (export "weft_shared_globals") (result i32) (i32.const 1024))
    (func $get (export "get") (result i64) (global.get $"odd name, (quoted)"))
    (func $set (export "set") (param i64) (global.set $"odd name, (quoted)" (local.get 0)))
    (func $add (export "add") (param i64) (result i64)
      (global.set $"odd name, (quoted)" (i64.add (global.get $"odd name, (quoted)") (local.get 0)))
      (global.get $"odd name, (quoted)"))
    (func $limit (export "limit") (result i32) (global.get $~lib/weft/assembly/core/stack/stackLimit))
    ${start})`;
  const share = (text: string) => {
    const mod = binaryen.parseText(text);
    mod.setFeatures(FEATURES);
    try {
      const layout = shareModule(mod, true);
      expect(mod.validate()).toBeTruthy();
      return { wasm: mod.emitBinary(), layout };
    } finally { mod.dispose(); }
  };
  const instantiate = (wasm: Uint8Array, memory: WebAssembly.Memory) =>
    new WebAssembly.Instance(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), { env: { memory } }).exports as Record<string, CallableFunction>;

  it("moves a global with a quoted name, applies data once, and gives every instance the start's constants", () => {
    const { wasm, layout } = share(source(`(func $start (global.set $~lib/weft/assembly/core/stack/stackLimit (i32.const 4096)) (global.set $"odd name, (quoted)" (i64.const 6))) (start $start)`));
    expect(layout.globals).toEqual({ "odd name, (quoted)": 1024 });
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    const one = instantiate(wasm, memory);
    for (const init of SHARED_EXPORTS) one[init]();
    expect(new TextDecoder().decode(new Uint8Array(memory.buffer).slice(64, 69))).toBe("data!");
    expect(one.get()).toBe(6n);                              // the start function ran, through memory
    one.set(7n);
    const two = instantiate(wasm, memory);
    expect(two.get()).toBe(7n);
    expect(new BigInt64Array(memory.buffer, 1024, 1)[0]).toBe(7n);
    expect(two.add(3n)).toBe(10n);                          // a set whose value reads the global
    expect(one.get()).toBe(10n);
    expect(two.limit()).toBe(4096);                          // per processor, and yet set on instance 2
  });

  it("exports an empty weft_init when there is no start function", () => {
    const { wasm } = share(source(""));
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16, shared: true });
    const one = instantiate(wasm, memory);
    for (const init of SHARED_EXPORTS) one[init]();
    expect(one.get()).toBe(5n);
  });

  it("refuses what it cannot share, in one line", () => {
    const refusal = (text: string) => { try { share(text); } catch (e) { return e; } return null; };
    const computed = refusal(source(`(func $start (global.set $~lib/weft/assembly/core/stack/stackLimit (i32.add (i32.const 1) (call $limit)))) (start $start)`));
    expect(computed).toBeInstanceOf(BuildError);
    expect((computed as Error).message).toMatch(/sets the per-processor global ~lib\/weft\/assembly\/core\/stack\/stackLimit to a computed value/);
    const twice = refusal(source(`(func $start (global.set $~lib/weft/assembly/core/stack/stackLimit (i32.const 1)) (if (call $limit) (then (global.set $~lib/weft/assembly/core/stack/stackLimit (i32.const 2))))) (start $start)`));
    expect((twice as Error).message).toMatch(/sets the per-processor global ~lib\/weft\/assembly\/core\/stack\/stackLimit/);
    const scratch = `(global $~lib/util/number/_K (mut i32) (i32.const 0))`;     // the standard library's: scratch
    expect(refusal(source(`(func $start (global.set $~lib/util/number/_K (call $limit))) (start $start)`, scratch))).toBeNull();
    const exported = refusal(source("", `(global $shown (mut i32) (i32.const 0)) (export "shown" (global $shown))`));
    expect((exported as Error).message).toMatch(/global shown is exported/);
    const unknown = refusal(source("", `(global $~lib/weft/assembly/core/scheduler/newThing (mut i32) (i32.const 0))`));
    expect((unknown as Error).message).toMatch(/scheduler\/newThing is neither per processor nor shared/);
    for (const file of ["savearea", "inspect", "idle"]) {                 // the loop's other files (shared.ts)
      const unknownThere = refusal(source("", `(global $~lib/weft/assembly/core/${file}/newThing (mut i32) (i32.const 0))`));
      expect((unknownThere as Error).message).toMatch(new RegExp(`${file}/newThing is neither per processor nor shared`));
    }
    const many = SHARED_GLOBALS_BYTES / 8 + 1;
    const tooMany = refusal(source("", Array.from({ length: many }, (_, i) => `(global $g${i} (mut i32) (i32.const ${i}))`).join(" ")));
    expect(tooMany).toBeInstanceOf(BuildError);
    expect((tooMany as Error).message).toMatch(new RegExp(`^weft build --shared: ${many + 1} shared globals do not fit in SHARED_GLOBALS_BYTES \\(${many - 1} at most`));
    expect((tooMany as Error).message.split("\n")).toHaveLength(1);
  });
});
