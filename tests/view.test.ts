// Lasting views of a module's memory (host/io/view.ts): what a request's path reads through them stays
// right when the memory grows, shared or not, and an address past the end throws as a fresh view would.
import { describe, expect, it } from "vitest";
import { MemoryView } from "../dist/host/io/view.js";
import { decodeRequest, writeResult, pushCompletions } from "../dist/host/kernel/requests.js";
import { REQUEST, RING, OP } from "../dist/host/io/abi.js";
import { THREAD } from "../dist/host/abi.js";

const PAGE = 65536;

describe("MemoryView", () => {
  for (const shared of [false, true]) {
    it(`${shared ? "a shared" : "a non-shared"} memory: reads and writes past the old end after it grew`, () => {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared } as WebAssembly.MemoryDescriptor);
      const view = new MemoryView(memory);
      new Int32Array(memory.buffer)[10] = 7;
      expect(view.i32At(40)).toBe(7);
      expect(() => view.u32At(PAGE)).toThrow(RangeError);
      memory.grow(1);                                  // a non-shared buffer is detached now
      new Uint32Array(memory.buffer)[PAGE >> 2] = 0xfffffffe;
      expect(view.u32At(PAGE)).toBe(0xfffffffe);
      expect(view.i32At(PAGE)).toBe(-2);
      expect(view.i32At(40)).toBe(7);
      view.bytes(PAGE + 8, 3).set([1, 2, 3]);
      expect([...new Uint8Array(memory.buffer, PAGE + 8, 3)]).toEqual([1, 2, 3]);
      new Float64Array(memory.buffer)[(PAGE + 16) >> 3] = 2.5;
      expect(view.f64At(PAGE + 16)).toBe(2.5);
      expect(() => view.bytes(2 * PAGE - 2, 3)).toThrow(RangeError);
      expect(() => view.bytes(-1, 1)).toThrow(RangeError);
    });
  }

  it("a request record and a completion ring in the grown part, through requests.ts", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const view = new MemoryView(memory);
    view.u32At(0);                                     // views made over one page
    memory.grow(1);
    const addr = PAGE + 64, ring = PAGE + 1024, thread = PAGE + 2048;
    const words = new Int32Array(memory.buffer);
    words[(addr + REQUEST.op) >> 2] = OP.read;
    words[(addr + REQUEST.fd) >> 2] = 5;
    words[(addr + REQUEST.len) >> 2] = 100;
    words[(addr + REQUEST.thread) >> 2] = thread;
    words[(thread + THREAD.id) >> 2] = 9;
    new Float64Array(memory.buffer)[(addr + REQUEST.arg) >> 3] = 1.5;
    const req = decodeRequest(view, addr, "async");
    expect({ op: req.op, fd: req.fd, len: req.len, arg: req.arg, mode: req.mode, thread: req.thread })
      .toEqual({ op: "read", fd: 5, len: 100, arg: 1.5, mode: "async", thread: 9 });
    writeResult(view, addr, -11);
    expect(words[(addr + REQUEST.result) >> 2]).toBe(-11);
    words[(ring + RING.capacity) >> 2] = 4;
    const backlog = [addr, addr + 64, addr + 128, addr + 192, addr + 256];
    expect(pushCompletions(view, ring, backlog)).toBe(4);
    expect(backlog).toEqual([addr + 256]);
    expect(words[(ring + RING.tail) >> 2]).toBe(4);
    expect([...new Uint32Array(memory.buffer, ring + RING.entries, 4)]).toEqual([addr, addr + 64, addr + 128, addr + 192]);
  });
});
