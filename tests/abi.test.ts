// The core (assembly/sys/abi.ts, layout.ts) and the host (host/abi.ts) describe one ABI; these check they agree.
import { describe, expect, it } from "vitest";
import { buildProgram } from "./harness";
import {
  ABI_VERSION, HOST_IMPORTS, IMPORT_MODULE, REQUIRED_EXPORTS, THREAD, THREAD_FIELDS, GC_STATS, GC_STATS_FIELDS,
  IDLE_WORD, IDLE_ASLEEP, IDLE_COUNT, IDLE_TURN, SHARED_MEMORY_INITIAL,
} from "../host/abi.js";
import { REQUEST, REQUEST_FIELDS, RING } from "../host/io/abi.js";
import { WeftProgram } from "../host/kernel/runner.js";

describe("ABI", () => {
  it("core and host agree on the version, the thread record's offsets and size", async () => {
    const program = await WeftProgram.load(await buildProgram("pingpong.ts") as Uint8Array<ArrayBuffer>);
    expect(program.raw.weft_abi_version()).toBe(ABI_VERSION);
    THREAD_FIELDS.forEach((field, i) => {
      expect({ field, offset: program.raw.weft_layout(i) }).toEqual({ field, offset: THREAD[field] });
    });
    expect(program.raw.weft_layout(THREAD_FIELDS.length)).toBe(-1);
    // Preemption's fields (ABI 7) are among those checked.
    expect(THREAD_FIELDS).toEqual(expect.arrayContaining(["cpu", "stats", "group", "weight", "basePriority"]));
  });

  it("core and host agree on the I/O request's offsets and size, and on the completion ring", async () => {
    const program = await WeftProgram.load(await buildProgram("pingpong.ts"));
    REQUEST_FIELDS.forEach((field, i) => {
      expect({ field, offset: program.raw.weft_io_layout(i) }).toEqual({ field, offset: REQUEST[field] });
    });
    expect(program.raw.weft_io_layout(REQUEST_FIELDS.length)).toBe(-1);
    const ring = program.raw.weft_io_ring();
    expect(ring).toBeGreaterThan(0);
    const header = new Uint32Array(program.raw.memory.buffer, ring, 4);
    const capacity = header[RING.capacity / 4];
    expect(capacity & (capacity - 1)).toBe(0);             // a power of two: the host masks with it
    expect([header[RING.head / 4], header[RING.tail / 4]]).toEqual([0, 0]);
    expect(program.raw.weft_io_ring()).toBe(ring);         // made once
  });

  it("core and host agree on the collector's statistics record, which the host reads after a run", async () => {
    const program = await WeftProgram.load(await buildProgram("pingpong.ts"));
    GC_STATS_FIELDS.forEach((field, i) => {
      expect({ field, offset: program.raw.weft_gc_layout(i) }).toEqual({ field, offset: GC_STATS[field] });
    });
    expect(program.raw.weft_gc_layout(GC_STATS_FIELDS.length)).toBe(GC_STATS.size);
    expect(program.raw.weft_gc_layout(GC_STATS_FIELDS.length + 1)).toBe(-1);
    const result = await program.run();
    expect(result.gc).toMatchObject({ gcPercent: 100, collections: 0 });   // pingpong allocates < 4 MiB
  });

  it("a built module imports only what the host provides and exports what the host needs", async () => {
    const module = new WebAssembly.Module(await buildProgram("pingpong.ts") as Uint8Array<ArrayBuffer>);
    const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`).sort();
    const allowed = [...HOST_IMPORTS.map((n) => `${IMPORT_MODULE}.${n}`), "env.abort"];
    for (const i of imports) expect(allowed).toContain(i);
    expect(imports).toContain(`${IMPORT_MODULE}.now`);
    const exports = WebAssembly.Module.exports(module).map((e) => e.name);
    for (const e of REQUIRED_EXPORTS) expect(exports).toContain(e);
  });

  it("an I/O host on another kernel thread finds each processor's wake word, asleep flag and the idle count (ABI 10 on)", async () => {
    const memory = new WebAssembly.Memory({ initial: SHARED_MEMORY_INITIAL, maximum: SHARED_MEMORY_INITIAL * 4, shared: true });
    const program = await WeftProgram.load(await buildProgram("pingpong.ts", { shared: true }), {
      processor: { memory, index: 0, count: 4, t0: performance.timeOrigin + performance.now() },
    });
    const ex = program.raw;
    expect(ex.weft_processor_idle(IDLE_WORD, 0)).toBe(0);          // nothing before the records exist
    ex.weft_init_memory();
    ex.weft_init_globals();
    ex.weft_init();
    expect(ex.weft_processors_init(4, 0)).toBe(0);
    const words = [0, 1, 2, 3].map((i) => ex.weft_processor_idle(IDLE_WORD, i));
    const flags = [0, 1, 2, 3].map((i) => ex.weft_processor_idle(IDLE_ASLEEP, i));
    const turns = [0, 1, 2, 3].map((i) => ex.weft_processor_idle(IDLE_TURN, i));
    for (const list of [words, flags, turns]) list.forEach((a, i) => expect(a).toBe(list[0] + 4 * i));   // one i32 each
    const count = ex.weft_processor_idle(IDLE_COUNT, 0);
    expect(new Set([...words, ...flags, ...turns, count]).size).toBe(13);
    expect(count).toBeGreaterThan(0);
    expect(ex.weft_processor_idle(4, 0)).toBe(0);
    expect(ex.weft_processor_idle(IDLE_WORD, -1)).toBe(0);
    const view = new Int32Array(memory.buffer);
    expect([...words, ...flags, ...turns, count].map((a) => view[a >> 2])).toEqual(new Array(13).fill(0));   // all awake, none asked
  });
});
