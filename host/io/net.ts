// TCP for Node's I/O host: listen, accept, connect, read, write, shutdown, close and address, in the three
// modes (assembly/sys/io.ts). assembly/sys/net.ts is the program's side.
//
// Design note
// -----------
// Where a socket lives. Node has no blocking socket calls: a socket belongs to the event loop that made it.
// Sockets made by listen or connect in async mode live on this thread, in Node's net module. Made in
// blocking or offload mode they live in the net helper (net-worker.ts): one Worker whose own event loop
// owns those sockets and performs each call it is sent. An accepted connection lives with its listener.
//
// How a call is done, by its mode and where its socket lives:
//                 socket on this thread               socket in the helper
//   async         here; the caller parks              posted to the helper; the caller parks
//   offload       here, as async                      posted to the helper; the caller parks
//   blocking      ENOTSUP for accept, read and write  posted; this kernel thread waits until the helper
//                                                     answers: every weft thread stalls
// A blocking accept, read or write on a socket of this thread cannot be done: the event loop that would
// complete it is the one that would be blocked. It fails with ENOTSUP. shutdown, close and address never
// wait, so they work on any socket in any mode.
//
// Blocking protocol (HelperLink.call):
//   1. clear the answer flag (an Int32 in a SharedArrayBuffer the helper also holds);
//   2. post the call to the helper;
//   3. Atomics.wait on the flag: this thread sleeps, no weft thread and no callback of this thread runs;
//   4. the helper performs the call on its loop, posts the answer on the blocking port, then sets the flag
//      and notifies — in this order, so the answer is in the port when this thread wakes;
//   5. take the answer with receiveMessageOnPort, which needs no event loop.
// Offload answers come as 'message' events of the Worker. The Worker is ref'd only while offload calls
// are out, so an idle helper never keeps the process alive.
//
// Receiving (Conn). Node pushes (each chunk its socket reads: sockets.ts, "Reading under the stream"), a
// read pulls: chunks queue in the Conn until read. A read that finds bytes queued is answered
// at once; otherwise the caller parks and the next chunk fills its buffer and completes it. Beyond PAUSE_AT
// unread bytes the socket stops reading (TCP's window then holds the peer back) until reads bring it below
// again.
// Sending. In a shared run a processor writes to this thread's connections itself while their kernel
// buffers have room (direct.ts); what reaches this thread is the rest: a write the kernel would not take
// whole, text, blocking mode, sockets of the helper. NetOps tells `sends` of its own writes and closes.
// socket.write that takes the data (returns true) answers at once; otherwise the caller parks
// until 'drain'. A failure Node reports later (EPIPE, ECONNRESET) is kept in Conn.error and answers the
// next call on that socket, as the kernel does with a pending socket error.
// Memory. Linear memory may grow while a call is pending, which detaches every view of memory that is not
// shared: a write copies its bytes out when it starts; a read keeps a view of its buffer and takes a new
// one when it completes if growth detached the first.
// Half-close. Sockets allow half-open connections: the peer's FIN is end-of-stream for reads (0), and
// writing goes on, as with POSIX sockets. close sends FIN once what was written has been flushed.

import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { ERRNO, FLAG_UTF16 } from "./abi.js";
import { PENDING, completeCall, type Answer, type IoContext, type IoRequest, type Waiter } from "./host.js";
import type { NodeServices } from "./services.js";
import { Conn, Listener, openListener, openConnection, type Reader, type Registry, type HelperAnswer, type HelperCall } from "./sockets.js";
import type { DirectSends } from "./direct.js";
import { AcceptRings } from "./ahead.js";

/** shutdown's `how` that leaves writing open. */
const SHUT_RD = 0, SHUT_WR = 1;

/** A call as NetOps makes it; HelperLink numbers it. */
type HelperCallOf = Omit<HelperCall, "id" | "blocking">;

/** This thread's end of the net helper (net-worker.ts). */
class HelperLink {
  private readonly worker: Worker;
  /** 1: the answer to the blocking call out is in blockingAnswers. Shared with the helper; only touched
   *  through Atomics (this thread clears it, the helper sets it). */
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly blockingAnswers: MessagePort;
  /** Offload calls out, by id: what to do with each answer. */
  private readonly waiting = new Map<number, (a: HelperAnswer) => void>();
  private nextId = 1;
  /** False once the helper died or was stopped: calls then fail with EIO instead of waiting forever. */
  alive = true;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.blockingAnswers = port1;
    this.worker = new Worker(new URL("./net-worker.js", import.meta.url), {
      workerData: { flag: this.flag, port: port2 }, transferList: [port2],
    });
    this.worker.unref();
    this.worker.on("message", (a: HelperAnswer) => {
      const answer = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      if (this.waiting.size === 0) this.worker.unref();
      answer?.(a);
    });
    const died = () => {                         // every call out fails
      this.alive = false;
      for (const [id, answer] of this.waiting) answer({ id, result: -ERRNO.EIO });
      this.waiting.clear();
    };
    this.worker.on("error", died);
    this.worker.on("exit", died);
  }

  /** Offload: posts the call; `answer` runs when the helper answers. */
  send(call: HelperCallOf, answer: (a: HelperAnswer) => void, transfer: ArrayBuffer[] = []): void {
    const id = this.nextId++;
    if (this.waiting.size === 0) this.worker.ref();
    this.waiting.set(id, answer);
    this.worker.postMessage({ ...call, id, blocking: false }, transfer);
  }

  /** Blocking: posts the call and stalls this thread until the answer (steps 1-5 of the protocol). */
  call(call: HelperCallOf, transfer: ArrayBuffer[] = []): HelperAnswer {
    Atomics.store(this.flag, 0, 0);
    this.worker.postMessage({ ...call, id: this.nextId++, blocking: true }, transfer);
    for (;;) {
      Atomics.wait(this.flag, 0, 0);
      const m = receiveMessageOnPort(this.blockingAnswers);
      if (m) return m.message as HelperAnswer;
    }
  }

  /** No answer wanted. */
  post(call: HelperCallOf): void { this.worker.postMessage({ ...call, id: 0, blocking: false }); }

  async close(): Promise<void> {
    this.alive = false;
    this.waiting.clear();                        // the run ended: nobody is answered any more
    this.blockingAnswers.close();
    await this.worker.terminate();
  }
}

/** What a socket descriptor holds: a socket of this thread, or the helper's number for one of its own. */
type NetResource =
  | { kind: "socket"; where: "here"; conn: Conn }
  | { kind: "server"; where: "here"; listener: Listener }
  | { kind: "socket" | "server"; where: "helper"; id: number; address: string };
type HelperResource = Extract<NetResource, { where: "helper" }>;

export class NetOps {
  private readonly registry: Registry = new Set();
  private helperLink: HelperLink | null = null;
  /** In a shared run: where this thread's connections are offered to processors (direct.ts), and where
   *  its listeners' connections wait accepted ahead (ahead.ts), by listener. */
  private sends: DirectSends | null = null;
  private rings: AcceptRings | null = null;
  private readonly ahead = new Map<number, Listener>();

  constructor(readonly io: NodeServices) {}

  private get helper(): HelperLink { return (this.helperLink ??= new HelperLink()); }

  /** A shared run's direct-send table: from now on sockets of this thread are offered to processors. */
  offer(sends: DirectSends): void {
    this.sends = sends;
    this.rings = new AcceptRings(sends, () => this.takeBackAll());
  }

  submit(req: IoRequest, ctx: IoContext): Answer {
    if (req.op === "listen" || req.op === "connect") return this.open(req, ctx);
    const found = this.io.table.get(req.fd);
    if (!found) return -ERRNO.EBADF;
    if (found.kind !== "socket" && found.kind !== "server") return -ERRNO.ENOTSUP;
    const r = found as NetResource;
    if (r.where === "helper") return this.viaHelper(r, req, ctx);
    switch (req.op) {
      case "close":
        this.io.table.remove(req.fd);
        if (r.kind === "socket") { this.sends?.withdraw(req.fd, r.conn.socket, true); r.conn.close(); return 0; }
        for (const c of this.takeBack(req.fd)) c.destroy();   // accepted ahead, never taken
        r.listener.close();
        return 0;
      case "address": return putAddress(req, ctx, r.kind === "socket" ? r.conn.address : r.listener.address);
      case "accept":
        if (r.kind !== "server") return -ERRNO.EINVAL;
        return req.mode === "blocking" ? -ERRNO.ENOTSUP : this.accept(r.listener, req, ctx);
    }
    if (r.kind !== "socket") return -ERRNO.ENOTCONN;     // read, write or shutdown on a listener
    const failed = this.sends?.failure(req.fd);
    if (failed) r.conn.fail(failed);                     // a processor's read or send got it (direct.ts)
    if (req.op === "shutdown") {
      if (req.flags !== SHUT_RD) this.sends?.shut(req.fd);
      if (req.flags !== SHUT_WR) this.sends?.ownerReads(req.fd);
      return r.conn.shutdown(req.flags);
    }
    if (req.mode === "blocking") return -ERRNO.ENOTSUP;
    if (req.op === "read") return this.read(r.conn, req, ctx);
    if (req.op === "write") return this.write(r.conn, req, ctx);
    return -ERRNO.ENOTSUP;
  }

  /** listen and connect: checked against the grants, then made here (async) or in the helper. */
  private open(req: IoRequest, ctx: IoContext): Answer {
    const text = ctx.text(req.ptr, req.len);
    const listening = req.op === "listen";
    const at = listening ? this.io.grants.listen(text) : this.io.grants.connect(text);
    if (typeof at === "number") return at;
    const backlog = req.flags | 0;
    if (req.mode === "async") {
      const done = (x: Conn | Listener | number) => ctx.complete(req.addr, typeof x === "number" ? x : this.add(x));
      if (listening) openListener(at.host, at.port, backlog, this.registry, done, this.sends !== null);
      else openConnection(at.host, at.port, this.registry, done);
      return PENDING;
    }
    const kind = listening ? "server" : "socket";
    return this.callHelper(req, ctx, { op: req.op, host: at.host, port: at.port, backlog }, (a) => this.addHelper(kind, a));
  }

  private accept(listener: Listener, req: IoRequest, ctx: IoContext): Answer {
    const ahead = this.rings?.take(req.fd) ?? -1;
    if (ahead >= 0) { this.fill(req.fd, listener); return ahead; }
    const c = listener.accept();
    if (c !== null) {
      if (typeof c === "number") return c;
      const fd = this.add(c);
      this.fill(req.fd, listener);
      return fd;
    }
    const acceptor = (x: Conn | number) => completeCall(req, ctx, typeof x === "number" ? x : this.add(x));
    listener.whenConnected(acceptor);
    ctx.cancels?.add(req.addr, { stop: () => listener.forget(acceptor) });
    return PENDING;
  }

  private read(conn: Conn, req: IoRequest, ctx: IoContext): Answer {
    if (!conn.reading) { this.sends?.ownerReads(req.fd); conn.startReading(); }
    const reader = new SocketRead(conn, req, ctx);   // a bad buffer fails here (EIO, from the runner)
    const now = conn.read(req.len, reader);
    if (now !== null) return now;
    conn.whenReadable(reader);
    ctx.cancels?.add(req.addr, reader);
    return PENDING;
  }

  private write(conn: Conn, req: IoRequest, ctx: IoContext): Answer {
    const data = outgoing(req, ctx);
    const sends = this.sends, fd = req.fd, socket = conn.socket;
    const now = conn.write(data, sends?.ownerWrite(fd) ? () => sends.flushed(fd, socket) : undefined);
    if (now !== null) return now;
    conn.whenDrained((failure) => ctx.complete(req.addr, failure || data.length));
    return PENDING;
  }

  /** A call on a socket of the helper. */
  private viaHelper(r: HelperResource, req: IoRequest, ctx: IoContext): Answer {
    const socket = r.id;
    switch (req.op) {
      case "close": this.io.table.remove(req.fd); this.helper.post({ op: "close", socket }); return 0;
      case "address": return putAddress(req, ctx, r.address);
      case "accept":
        if (r.kind !== "server") return -ERRNO.EINVAL;
        return this.callHelper(req, ctx, { op: "accept", socket }, (a) => this.addHelper("socket", a));
    }
    if (r.kind === "server") return -ERRNO.ENOTCONN;
    switch (req.op) {
      case "read":
        ctx.bytes(req.ptr, req.len);   // a bad buffer fails here, not when the answer comes
        return this.callHelper(req, ctx, { op: "read", socket, len: req.len }, (a) => {
          // copied in only now: memory may have grown while the call was out
          if (a.result > 0 && a.data) ctx.bytes(req.ptr, a.result).set(a.data.subarray(0, a.result));
          return a.result;
        });
      case "write": {
        const data = outgoing(req, ctx, true);
        return this.callHelper(req, ctx, { op: "write", socket, data }, (a) => a.result, [data.buffer as ArrayBuffer]);
      }
      case "shutdown": return this.callHelper(req, ctx, { op: "shutdown", socket, how: req.flags }, (a) => a.result);
    }
    return -ERRNO.ENOTSUP;
  }

  /** Posts `call` to the helper: waits for the answer in blocking mode, else parks the caller until it comes.
   *  `then` turns the answer into the result. */
  private callHelper(req: IoRequest, ctx: IoContext, call: HelperCallOf, then: (a: HelperAnswer) => number,
    transfer: ArrayBuffer[] = []): Answer {
    if (!this.helper.alive) return -ERRNO.EIO;
    if (req.mode === "blocking") return then(this.helper.call(call, transfer));
    this.helper.send(call, (a) => ctx.complete(req.addr, then(a)), transfer);
    return PENDING;
  }

  private add(x: Conn | Listener): number {
    const r: NetResource = x instanceof Conn
      ? { kind: "socket", where: "here", conn: x }
      : { kind: "server", where: "here", listener: x };
    const fd = this.io.table.add(r);
    if (x instanceof Conn && this.sends) this.sends.offer(fd, x.socket, osFdOf(x.socket), x, !x.reading);
    if (x instanceof Listener && this.rings?.claim(fd)) {
      this.ahead.set(fd, x);
      x.onQueued = () => this.fill(fd, x);
    }
    return fd;
  }

  /** Accepts ahead: moves connections from the head of `listener`'s list to its ring while there is room. */
  private fill(fd: number, listener: Listener): void {
    const rings = this.rings;
    if (!rings || this.ahead.get(fd) !== listener) return;
    for (let room = rings.room(fd); room > 0; room--) {
      const c = listener.accept();
      if (c === null || typeof c === "number") return;
      rings.put(fd, this.add(c));
    }
  }

  /** Empties listener `fd`'s ring: its connections, their descriptors freed. */
  private takeBack(fd: number): Conn[] {
    const listener = this.ahead.get(fd);
    if (!listener || !this.rings) return [];
    this.ahead.delete(fd);
    listener.onQueued = null;
    const conns: Conn[] = [];
    for (const n of this.rings.takeBack(fd)) {
      const r = this.io.table.get(n) as NetResource | undefined;
      if (r?.kind !== "socket" || r.where !== "here") continue;
      this.io.table.remove(n);
      this.sends?.withdraw(n, r.conn.socket, true);
      conns.push(r.conn);
    }
    return conns;
  }

  /** The table goes out of use (the first fork): every ring's connections go back to their lists. */
  private takeBackAll(): void {
    for (const [fd, listener] of [...this.ahead]) listener.giveBack(this.takeBack(fd));
  }

  private addHelper(kind: "socket" | "server", a: HelperAnswer): number {
    if (a.result < 0) return a.result;
    if (a.socket === undefined) return -ERRNO.EIO;
    return this.io.table.add({ kind, where: "helper", id: a.socket, address: a.address ?? "" });
  }

  /** The run ended: every socket and server is destroyed, the helper stopped (its sockets go with it). */
  async close(): Promise<void> {
    for (const [fd, r] of this.io.table.entries()) {
      if (r.kind === "socket" || r.kind === "server") this.io.table.remove(fd);
    }
    for (const x of [...this.registry]) x.destroy();
    this.registry.clear();
    const link = this.helperLink;
    this.helperLink = null;
    await link?.close();
  }
}

/** A read of a connection of this thread: what the Conn copies into and retries, and what a signal stops
 *  (one object for the three, where a server parks a read for every request). */
class SocketRead implements Reader, Waiter {
  /** The caller's buffer, taken at once so that a bad one fails the call, not an event handler later. */
  private view: Uint8Array;

  constructor(private readonly conn: Conn, private readonly req: IoRequest, private readonly ctx: IoContext) {
    this.view = ctx.bytes(req.ptr, req.len);
  }

  /** The buffer again, unless memory grew meanwhile and took it away (a view of memory that is not shared
   *  is detached by growth; a shared one stays good for the bytes it covers). */
  into(): Uint8Array {
    if (this.view.byteLength === 0) this.view = this.ctx.bytes(this.req.ptr, this.req.len);
    return this.view;
  }

  retry(): boolean {
    const result = this.conn.read(this.req.len, this);
    if (result === null) return false;
    completeCall(this.req, this.ctx, result);
    return true;
  }

  stop(): void { this.conn.forget(this); }
}

/** The file descriptor under a Node socket (-1 where it has none, e.g. not on Unix). */
function osFdOf(socket: unknown): number {
  const fd = (socket as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === "number" ? fd : -1;
}

/** The bytes a write sends, copied out of linear memory (FLAG_UTF16: text, sent as UTF-8). `own`: in an
 *  ArrayBuffer of their own, to be transferred. */
function outgoing(req: IoRequest, ctx: IoContext, own = false): Uint8Array {
  if (req.flags & FLAG_UTF16) {
    const text = ctx.text(req.ptr, req.len);
    return own ? new TextEncoder().encode(text) : Buffer.from(text, "utf8");
  }
  const view = ctx.bytes(req.ptr, req.len);
  return own ? view.slice() : Buffer.from(view);
}

/** address: "host:port" as UTF-8 at ptr2, cut to len2; the result is its full length in bytes. */
function putAddress(req: IoRequest, ctx: IoContext, address: string): number {
  if (!address) return -ERRNO.ENOTCONN;
  const bytes = Buffer.from(address, "utf8");
  ctx.bytes(req.ptr2, Math.min(bytes.length, req.len2)).set(bytes.subarray(0, req.len2));
  return bytes.length;
}
