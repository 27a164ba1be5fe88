// Direct sends (host/io/direct.ts), both halves of the protocol, with a fake system call and fake
// sockets: what a processor sends itself and what it leaves to the owner, when the gate shuts and opens,
// that a socket's file descriptor is not closed while a processor sends on it, quiet reads (when a
// read may be queued without ringing, and that the owner looks at the queues whenever that ends), and
// direct reads (what a processor reads itself, and when that ends). tests/mn-io.test.ts runs the real
// thing (floods, text and bytes mixed, errors, 1,000 echoing connections) on processors.
import { describe, expect, it } from "vitest";
import { makeDirectTable, trySend, tryRead, quietWord, DirectSends, type SendableSocket } from "../dist/host/io/direct.js";
import { MemoryView } from "../dist/host/io/view.js";
import { REQUEST, OP, MODE_ASYNC, MODE_BLOCKING, MODE_OFFLOAD, FLAG_UTF16, ERRNO } from "../dist/host/io/abi.js";

const ADDR = 64, DATA = 256;
const OS_FD = (fd: number) => 4 + 4 * fd, GATE = (fd: number) => OS_FD(fd) + 1, QUIET = (fd: number) => OS_FD(fd) + 2;
const OPEN = 1 << 30, READS = 1 << 29;

/** A memory holding one request record at ADDR for a write of `len` bytes (0, 1, 2 ...) at DATA. */
function request(fields: { op?: number; mode?: number; fd?: number; flags?: number; len?: number } = {}) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const words = new Int32Array(memory.buffer, ADDR, REQUEST.size >> 2);
  words[REQUEST.op >> 2] = fields.op ?? OP.write;
  words[REQUEST.mode >> 2] = fields.mode ?? MODE_ASYNC;
  words[REQUEST.fd >> 2] = fields.fd ?? 3;
  words[REQUEST.flags >> 2] = fields.flags ?? 0;
  words[REQUEST.ptr >> 2] = DATA;
  words[REQUEST.len >> 2] = fields.len ?? 10;
  const bytes = new Uint8Array(memory.buffer, DATA, 64);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i;
  return new MemoryView(memory);
}

/** A socket as DirectSends sees it; `destroyed` counts the original _destroy's calls. */
function fakeSocket() {
  const socket = {
    writableLength: 0, destroyed: false, destroys: 0,
    _destroy(_e: Error | null, callback: (e?: Error | null) => void) { socket.destroys++; socket.destroyed = true; callback(); },
  };
  return socket as typeof socket & SendableSocket;
}

/** A system call that takes up to `take` bytes each time (or fails with `errno`), recording what it got. */
function fakeSend(take: number, errno = 0) {
  const calls: { osFd: number; bytes: number[] }[] = [];
  const sendTo = (osFd: number, memory: Uint8Array, offset: number, length: number) => {
    calls.push({ osFd, bytes: [...memory.subarray(offset, offset + length)] });
    return errno ? -errno : Math.min(take, length);
  };
  return { calls, sendTo };
}

function offered(fd = 3, osFd = 41) {
  const table = makeDirectTable(8);
  const sends = new DirectSends(table);
  const socket = fakeSocket();
  sends.offer(fd, socket, osFd);
  return { table, sends, socket };
}

describe("a processor's send (trySend)", () => {
  it("a write the kernel takes whole is answered with its length, sent to the socket's file descriptor", () => {
    const { table, sends } = offered();
    const send = fakeSend(1 << 20);
    expect(trySend(table, request(), ADDR, send.sendTo, false)).toEqual({ answer: 10 });
    expect(send.calls).toEqual([{ osFd: 41, bytes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }]);
    expect(sends.sent).toBe(1);
    expect(Atomics.load(table, GATE(3))).toBe(OPEN);                   // open, nobody sending
  });

  it("a partial send leaves the rest to the owner and shuts the gate: the next write is not sent", () => {
    const { table } = offered();
    const send = fakeSend(4);
    expect(trySend(table, request(), ADDR, send.sendTo, false)).toEqual({ sent: 4 });
    expect(Atomics.load(table, GATE(3)) & OPEN).toBe(0);
    expect(trySend(table, request(), ADDR, send.sendTo, false)).toEqual({ sent: 0 });
    expect(send.calls.length).toBe(1);
  });

  it("EAGAIN (the kernel's buffer is full) leaves the whole write to the owner and shuts the gate", () => {
    const { table } = offered();
    const send = fakeSend(0, ERRNO.EAGAIN);
    expect(trySend(table, request(), ADDR, send.sendTo, false)).toEqual({ sent: 0 });
    expect(Atomics.load(table, GATE(3)) & OPEN).toBe(0);
  });

  it("an error of the system call is the answer, and the answer of every later call: kept for the owner, the gate open", () => {
    const { table, sends } = offered();
    expect(trySend(table, request(), ADDR, fakeSend(0, ERRNO.ECONNRESET).sendTo, false)).toEqual({ answer: -ERRNO.ECONNRESET });
    expect(Atomics.load(table, GATE(3))).toBe(OPEN);
    expect(sends.failure(3)).toBe(-ERRNO.ECONNRESET);                  // for the owner to give the connection
    const later = fakeSend(1 << 20);                                    // the kernel tells a reset once
    expect(trySend(table, request(), ADDR, later.sendTo, false)).toEqual({ answer: -ERRNO.ECONNRESET });
    expect(later.calls).toEqual([]);
  });

  it("leaves alone what it must not send: other calls, blocking mode, text, empty writes, descriptors not offered or past the table", () => {
    const { table } = offered();
    const send = fakeSend(1 << 20);
    const cases = [
      request({ op: OP.read }), request({ mode: MODE_BLOCKING }), request({ flags: FLAG_UTF16 }), request({ len: 0 }),
      request({ fd: 4 }), request({ fd: 8 }), request({ fd: -1 }),
    ];
    for (const memory of cases) expect(trySend(table, memory, ADDR, send.sendTo, false)).toEqual({ sent: 0 });
    // mode 0 takes the run's: blocking there is blocking here
    expect(trySend(table, request({ mode: 0 }), ADDR, send.sendTo, true)).toEqual({ sent: 0 });
    expect(send.calls).toEqual([]);
    expect(trySend(table, request({ mode: MODE_OFFLOAD }), ADDR, send.sendTo, true)).toEqual({ answer: 10 });
    expect(trySend(table, request({ mode: 0 }), ADDR, send.sendTo, false)).toEqual({ answer: 10 });
  });
});

describe("the owner's side (DirectSends)", () => {
  it("an owner write shuts the gate until every owner write has flushed and Node holds no bytes", () => {
    const { table, sends, socket } = offered();
    expect(sends.ownerWrite(3)).toBe(true);
    expect(sends.ownerWrite(3)).toBe(true);
    expect(Atomics.load(table, GATE(3)) & OPEN).toBe(0);
    sends.flushed(3, socket);
    expect(Atomics.load(table, GATE(3)) & OPEN).toBe(0);                // one owner write still out
    socket.writableLength = 5;
    sends.flushed(3, socket);
    expect(Atomics.load(table, GATE(3)) & OPEN).toBe(0);                // Node still holds bytes
    expect(sends.ownerWrite(3)).toBe(true);
    socket.writableLength = 0;
    sends.flushed(3, socket);
    expect(Atomics.load(table, GATE(3)) & OPEN).toBe(OPEN);
    expect(sends.ownerWrite(5)).toBe(false);                           // not offered
  });

  it("after shutdown the gate stays shut", () => {
    const { table, sends, socket } = offered();
    sends.ownerWrite(3);
    sends.shut(3);
    sends.flushed(3, socket);
    expect(Atomics.load(table, GATE(3)) & OPEN).toBe(0);
  });

  it("a flush of a socket that left its descriptor does not open the gate of the one that took the number", () => {
    const { table, sends, socket } = offered();
    sends.ownerWrite(3);
    sends.withdraw(3, socket);
    const next = fakeSocket();
    sends.offer(3, next, 42);
    sends.ownerWrite(3);
    sends.flushed(3, socket);                                          // the old socket's write
    expect(Atomics.load(table, GATE(3)) & OPEN).toBe(0);
    expect(Atomics.load(table, OS_FD(3))).toBe(42);
  });

  it("a socket is not destroyed (its file descriptor closed) while a processor sends on it", async () => {
    const { table, socket } = offered();
    Atomics.add(table, GATE(3), 1);                                     // a processor in the middle of a send
    const closed = new Promise<void>((resolve) => socket._destroy(null, () => resolve()));
    expect(Atomics.load(table, GATE(3)) & OPEN).toBe(0);                // no new sends
    expect(Atomics.load(table, OS_FD(3))).toBe(-1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(socket.destroys).toBe(0);
    Atomics.sub(table, GATE(3), 1);                                     // its send is over
    await closed;
    expect(socket.destroys).toBe(1);
  });

  it("a socket destroyed while a processor sends stops reading at once; one destroyed with nobody sending is destroyed at once", () => {
    const { table, socket } = offered();
    const reads: string[] = [];
    socket._handle = { reading: true, readStop: () => { reads.push("stop"); return 0; } };
    Atomics.add(table, GATE(3), 1);
    socket._destroy(null, () => {});
    expect({ reads, reading: socket._handle?.reading, destroys: socket.destroys }).toEqual({ reads: ["stop"], reading: false, destroys: 0 });
    Atomics.sub(table, GATE(3), 1);
    const other = offered();
    other.socket._handle = { reading: true, readStop: () => { reads.push("other stop"); return 0; } };
    other.socket._destroy(null, () => {});
    expect({ reads, destroys: other.socket.destroys }).toEqual({ reads: ["stop"], destroys: 1 });   // Node's own _destroy closes it
  });

  it("once the run ended, destroys wait for nobody", () => {
    const { table, sends, socket } = offered();
    Atomics.add(table, GATE(3), 1);                                     // a processor that was stopped mid-send
    sends.close();
    let done = false;
    socket._destroy(null, () => { done = true; });
    expect(done).toBe(true);
  });
});

describe("quiet reads", () => {
  /** A connection's quiet state as the owner is told it (sockets.ts, Conn.watchQuiet). */
  function source() {
    const told: { tell: (quiet: boolean) => void } = { tell: () => {} };
    return { told, watchQuiet(tell: (quiet: boolean) => void) { told.tell = tell; tell(true); } };
  }
  function watched() {
    let looks = 0;
    const table = makeDirectTable(8);
    const sends = new DirectSends(table, () => { looks++; });
    const socket = fakeSocket(), reads = source();
    sends.offer(3, socket, 41, reads);
    return { table, sends, socket, tell: (q: boolean) => reads.told.tell(q), looks: () => looks };
  }

  it("a read of a slot that could wait has its quiet word to look at; nothing else has", () => {
    const table = makeDirectTable(8);
    expect(quietWord(table, request({ op: OP.read }), ADDR)).toBe(QUIET(3));
    expect(quietWord(table, request({ op: OP.read, fd: 7 }), ADDR)).toBe(QUIET(7));
    const outside = request({ op: OP.read, len: 1 << 20 });         // a buffer past memory's end: EIO at once
    for (const memory of [request(), request({ op: OP.read, fd: 8 }), request({ op: OP.read, fd: -1 }), request({ op: OP.close }),
      request({ op: OP.read, len: 0 }), outside]) {
      expect(quietWord(table, memory, ADDR)).toBe(-1);
    }
  });

  it("the word follows the connection, and every end of quiet makes the owner look at the queues", () => {
    const { table, tell, looks } = watched();
    expect(Atomics.load(table, QUIET(3))).toBe(1);                      // told quiet when offered
    expect(looks()).toBe(0);
    tell(false);                                                       // data came
    expect(Atomics.load(table, QUIET(3))).toBe(0);
    expect(looks()).toBe(1);
    tell(false);
    expect(looks()).toBe(1);                                           // was not quiet: nothing queued quietly
    tell(true);
    expect(Atomics.load(table, QUIET(3))).toBe(1);
    expect(looks()).toBe(1);
  });

  it("a socket withdrawn, or the table closed, is no longer quiet, and the owner looks", () => {
    const w = watched();
    w.sends.withdraw(3, w.socket);
    expect(Atomics.load(w.table, QUIET(3))).toBe(0);
    expect(w.looks()).toBe(1);
    w.sends.offer(3, fakeSocket(), 42);                                // the number, reused by a socket not watched
    w.tell(true);                                                      // the old connection's word is not its
    expect(Atomics.load(w.table, QUIET(3))).toBe(0);
    const c = watched();
    c.sends.close();
    expect(Atomics.load(c.table, QUIET(3))).toBe(0);
    expect(c.looks()).toBe(1);
  });
});

describe("direct reads", () => {
  /** A system call that reads `give` bytes (7, 8, 9 ...) each time, or fails with `errno`; counts its calls. */
  function fakeRead(give: number, errno = 0) {
    const calls: number[] = [];
    const readFrom = (osFd: number, memory: Uint8Array, offset: number, length: number) => {
      calls.push(osFd);
      if (errno) return -errno;
      const n = Math.min(give, length);
      for (let i = 0; i < n; i++) memory[offset + i] = 7 + i;
      return n;
    };
    return { calls, readFrom };
  }
  function unread(fd = 3, osFd = 41) {
    const table = makeDirectTable(8);
    const sends = new DirectSends(table);
    const socket = fakeSocket();
    sends.offer(fd, socket, osFd, undefined, true);
    return { table, sends, socket };
  }
  const read = (fields: { mode?: number; fd?: number; len?: number } = {}) => request({ op: OP.read, ...fields });

  it("a socket Node does not read yet is read by the processor: its bytes, then the end of the stream, are the answers", () => {
    const { table, sends } = unread();
    const memory = read();
    const got = fakeRead(4);
    expect(tryRead(table, memory, ADDR, got.readFrom, false)).toBe(4);
    expect([...memory.u8.subarray(DATA, DATA + 5)]).toEqual([7, 8, 9, 10, 4]);   // 4 bytes read in, the 5th untouched
    expect(got.calls).toEqual([41]);
    expect(tryRead(table, memory, ADDR, fakeRead(0).readFrom, false)).toBe(0);
    expect(Atomics.load(table, GATE(3))).toBe(OPEN | READS);                     // nobody reading now
    expect(sends.read).toBe(2);
  });

  it("nothing there (EAGAIN) leaves the read to the owner, and so do all later ones; an error is the answer and ends them too", () => {
    const a = unread();
    expect(tryRead(a.table, read(), ADDR, fakeRead(0, ERRNO.EAGAIN).readFrom, false)).toBeNull();
    expect(Atomics.load(a.table, GATE(3)) & READS).toBe(0);
    const later = fakeRead(4);
    expect(tryRead(a.table, read(), ADDR, later.readFrom, false)).toBeNull();
    expect(later.calls).toEqual([]);
    expect(a.sends.failure(3)).toBe(0);
    const b = unread();
    expect(tryRead(b.table, read(), ADDR, fakeRead(0, ERRNO.ECONNRESET).readFrom, false)).toBe(-ERRNO.ECONNRESET);
    expect(Atomics.load(b.table, GATE(3)) & READS).toBe(0);
    expect(b.sends.failure(3)).toBe(-ERRNO.ECONNRESET);            // for the owner to give the connection
    const send = fakeSend(1 << 20);
    expect(trySend(b.table, request(), ADDR, send.sendTo, false)).toEqual({ answer: -ERRNO.ECONNRESET });
    expect(send.calls).toEqual([]);                                     // a write gets it too, not the kernel's EPIPE
    b.sends.withdraw(3, b.socket);                                      // Node destroyed the socket: still the program's
    expect(b.sends.failure(3)).toBe(-ERRNO.ECONNRESET);
    b.sends.withdraw(3, b.socket, true);                                // the program closed the descriptor
    expect(b.sends.failure(3)).toBe(0);
    const c = unread();
    expect(tryRead(c.table, read(), ADDR, fakeRead(0, ERRNO.ECONNRESET).readFrom, false)).toBe(-ERRNO.ECONNRESET);
    c.sends.offer(3, fakeSocket(), 42, undefined, true);                // the number's next socket starts clean
    expect(c.sends.failure(3)).toBe(0);
  });

  it("a send's error ends direct reads too: the next read goes to the owner, which gives the connection the error", () => {
    const { table, sends } = unread();
    expect(trySend(table, request(), ADDR, fakeSend(0, ERRNO.ECONNRESET).sendTo, false)).toEqual({ answer: -ERRNO.ECONNRESET });
    expect(Atomics.load(table, GATE(3)) & READS).toBe(0);
    const got = fakeRead(4);
    expect(tryRead(table, read(), ADDR, got.readFrom, false)).toBeNull();
    expect(got.calls).toEqual([]);
    expect(sends.failure(3)).toBe(-ERRNO.ECONNRESET);
  });

  it("leaves alone what it must not read: other calls, blocking mode, empty reads, buffers outside memory, sockets Node reads", () => {
    const { table } = unread();
    const got = fakeRead(4);
    for (const memory of [request(), read({ mode: MODE_BLOCKING }), read({ len: 0 }), read({ len: 1 << 20 }), read({ fd: 4 }),
      read({ fd: 8 }), read({ fd: -1 })]) {
      expect(tryRead(table, memory, ADDR, got.readFrom, false)).toBeNull();
    }
    expect(tryRead(table, read({ mode: 0 }), ADDR, got.readFrom, true)).toBeNull();   // the run's mode is blocking
    expect(got.calls).toEqual([]);
    expect(tryRead(table, read({ mode: MODE_OFFLOAD }), ADDR, got.readFrom, false)).toBe(4);
    const offered = makeDirectTable(8);                                               // offered for sends only
    new DirectSends(offered).offer(3, fakeSocket(), 41);
    expect(tryRead(offered, read(), ADDR, got.readFrom, false)).toBeNull();
  });

  it("the owner's reading, shutdown, withdrawal or the table's close end direct reads; a reader counts as a user of the descriptor", async () => {
    const ends = [(s: DirectSends) => s.ownerReads(3), (s: DirectSends, socket: SendableSocket) => s.withdraw(3, socket),
      (s: DirectSends) => s.close()];
    for (const end of ends) {
      const { table, sends, socket } = unread();
      end(sends, socket);
      expect(Atomics.load(table, GATE(3)) & READS).toBe(0);
    }
    // A socket destroyed while a processor is in its read(2) waits for the read to end.
    const { table, socket } = unread();
    let destroyedDuring = -1;
    const slow = (_osFd: number, memory: Uint8Array, offset: number) => {
      socket._destroy(null, () => {});
      destroyedDuring = socket.destroys;
      memory[offset] = 1;
      return 1;
    };
    expect(tryRead(table, read(), ADDR, slow, false)).toBe(1);
    expect(destroyedDuring).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(socket.destroys).toBe(1);
  });
});
