// Accepts ahead (host/io/ahead.ts): the owner's rings of accepted connections and a processor's accept
// that takes from them, with a fake request record; tests/mn-io.test.ts runs servers on processors whose
// accepts take from the rings (RunResult.io.acceptsAhead), and a listener closed with connections left
// in its ring.
import { describe, expect, it } from "vitest";
import { makeDirectTable, DirectSends, ACCEPT_AHEAD, ACCEPT_RINGS, acceptRingAt } from "../dist/host/io/direct.js";
import { AcceptRings, tryAccept } from "../dist/host/io/ahead.js";
import { MemoryView } from "../dist/host/io/view.js";
import { REQUEST, OP, MODE_ASYNC, MODE_BLOCKING, MODE_OFFLOAD } from "../dist/host/io/abi.js";

const ADDR = 64;

/** A memory holding one request record at ADDR: an accept on listener `fd` unless said otherwise. */
function request(fd: number, fields: { op?: number; mode?: number } = {}) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const words = new Int32Array(memory.buffer, ADDR, REQUEST.size >> 2);
  words[REQUEST.op >> 2] = fields.op ?? OP.accept;
  words[REQUEST.mode >> 2] = fields.mode ?? MODE_ASYNC;
  words[REQUEST.fd >> 2] = fd;
  return new MemoryView(memory);
}

function rings() {
  const sends = new DirectSends(makeDirectTable(16));
  const takenBack: string[] = [];
  return { sends, rings: new AcceptRings(sends, () => takenBack.push("all")), takenBack };
}

describe("accept rings", () => {
  it("a processor's accept takes the listener's connections in the order the owner put them, then leaves the call to the owner", () => {
    const { sends, rings: r } = rings();
    expect(r.claim(3)).toBe(true);
    expect(r.room(3)).toBe(ACCEPT_AHEAD);
    r.put(3, 10); r.put(3, 11);
    expect(r.room(3)).toBe(ACCEPT_AHEAD - 2);
    const memory = request(3);
    expect(tryAccept(sends.table, memory, ADDR, false)).toBe(10);
    expect(tryAccept(sends.table, memory, ADDR, false)).toBe(11);
    expect(tryAccept(sends.table, memory, ADDR, false)).toBe(-1);          // empty: to the owner
    expect(sends.acceptedAhead).toBe(2);
    expect(r.room(3)).toBe(ACCEPT_AHEAD);
  });

  it("holds ACCEPT_AHEAD connections and wraps around", () => {
    const { sends, rings: r } = rings();
    r.claim(5);
    const memory = request(5);
    let next = 100, expected = 100;
    for (let round = 0; round < 3; round++) {
      while (r.room(5) > 0) r.put(5, next++);
      expect(next - expected).toBe(ACCEPT_AHEAD);
      for (let i = 0; i < ACCEPT_AHEAD / 2; i++) expect(tryAccept(sends.table, memory, ADDR, false)).toBe(expected++);
    }
    expect(r.take(5)).toBe(expected++);                                     // the owner's own accept, in order
  });

  it("leaves alone other calls, blocking mode (a run's too), listeners without a ring and another listener's connections", () => {
    const { sends, rings: r } = rings();
    r.claim(3);
    r.put(3, 10);
    expect(tryAccept(sends.table, request(3, { op: OP.read }), ADDR, false)).toBe(-1);
    expect(tryAccept(sends.table, request(3, { mode: MODE_BLOCKING }), ADDR, false)).toBe(-1);
    expect(tryAccept(sends.table, request(3, { mode: 0 }), ADDR, true)).toBe(-1);
    expect(tryAccept(sends.table, request(3 + ACCEPT_RINGS), ADDR, false)).toBe(-1);   // same ring, not its own
    expect(tryAccept(sends.table, request(4), ADDR, false)).toBe(-1);
    expect(tryAccept(sends.table, request(-1), ADDR, false)).toBe(-1);
    expect(sends.acceptedAhead).toBe(0);
    expect(tryAccept(sends.table, request(3, { mode: MODE_OFFLOAD }), ADDR, false)).toBe(10);
  });

  it("a ring is one listener's at a time: another with the same ring gets none until the first is taken back", () => {
    const { rings: r } = rings();
    expect(r.claim(2)).toBe(true);
    expect(r.claim(2 + ACCEPT_RINGS)).toBe(false);
    expect(r.has(2 + ACCEPT_RINGS)).toBe(false);
    expect(r.room(2 + ACCEPT_RINGS)).toBe(0);
    expect(r.take(2 + ACCEPT_RINGS)).toBe(-1);
    r.put(2, 7); r.put(2, 8);
    expect(r.takeBack(2)).toEqual([7, 8]);
    expect(r.has(2)).toBe(false);
    expect(r.claim(2 + ACCEPT_RINGS)).toBe(true);
    expect(r.take(2 + ACCEPT_RINGS)).toBe(-1);                              // nothing of the old listener's
  });

  it("an entry left from a ring's earlier listener is never taken for the new one", () => {
    const { sends, rings: r } = rings();
    r.claim(1);
    r.put(1, 20);
    // The owner frees the ring without emptying it (it never does: takeBack empties first), and another
    // listener claims it: the leftover names listener 1, so an accept on 9 does not take it.
    Atomics.store(sends.table, acceptRingAt(sends.table, 1), -1);          // the ring's listener word
    expect(r.claim(1 + ACCEPT_RINGS)).toBe(true);
    expect(tryAccept(sends.table, request(1 + ACCEPT_RINGS), ADDR, false)).toBe(-1);
  });

  it("once the table closes (the first fork) the rings are taken back first, and none is claimed or filled again", () => {
    const { sends, rings: r, takenBack } = rings();
    r.claim(3);
    sends.close();
    expect(takenBack).toEqual(["all"]);
    expect(r.room(3)).toBe(0);
    expect(r.claim(4)).toBe(false);
  });
});
