// Sockets for Node's I/O host, wherever they live: a connection (Conn) with its queue of unread data and
// its waiting calls, a listener (Listener) with its queue of connections, and the functions that open them.
// Used on the main thread by net.ts and in the net helper by net-worker.ts; net.ts's design note says how
// (Receiving, Sending, Memory, Half-close). Also the messages between net.ts and the helper.
//
// Reading under the stream. Node's read callback (its onStreamRead) hands each chunk a socket's handle read
// to the socket's `push`, which runs it through the socket's Readable state: 'data', and a
// process.nextTick per chunk, whose queue Node 20 drains with a new Map each time. A Conn takes the chunks
// at `push` instead (takeReads): the chunk goes to the Conn, and only the end of the stream (push(null))
// goes on to the Readable, so 'end' comes as before ('error' and 'close' never passed through push).
// `push`'s answer is whether to go on reading: false beyond PAUSE_AT unread bytes, and Node's callback
// then stops the handle; a read that brings the Conn below again starts it with the socket's `_read`.
// With the changes beside it (net.ts's SocketRead, host.ts's ByRequest), the I/O owner's JavaScript
// allocation in the HTTP server on processors went from ~2.6 KB to ~1 KB a request (README,
// http_mn_vs_node). The chunk Node hands over is a view of its own making: on
// Node 24 and later the buffer under it is a pool, read at an offset.
//
// One read buffer. Below that, Node 20 and 22 allocate each read's buffer anew (64 KiB from malloc, cut to
// what came, wrapped in an ArrayBuffer that V8 frees later): in perf of the HTTP server on processors, ~8% of
// the I/O owner's samples. Node's `onread` option (net.Socket's constructor: the handle reads into a buffer
// given once, and a callback gets the count) does without, but an accepted socket is constructed by Node's
// server, which takes no such option. So the Conn sets the same three fields the constructor sets for it
// (the socket's own symbols kBuffer, kBufferCb and kBufferGen, found by their description, each null on a
// socket made without it) and calls the handle's useUserBuffer, as the constructor then does — on every
// Node line from 20 to 26 (tests/sockets.test.ts asserts it on each); where any of it is missing, the Conn
// takes chunks at push as above. Every socket of a thread reads into the same buffer (reads are
// synchronous callbacks of one event loop): the view a Conn gets is lent, copied at once into the read
// that waits, and whatever is left unread is copied before the callback returns. The owner's CPU per
// request fell ~7% (bench/HISTORY.md, "HTTP on processors").

import net from "node:net";
import { ERRNO, errnoOf } from "./abi.js";
/** Unread bytes beyond which a connection is paused (bytes). 64 KiB: Node reads 64 KiB at a time, so at
 *  most one read's worth waits beyond it. Not configurable. */
const PAUSE_AT: number = 64 << 10;

const SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;

/** What close() must reach when the run ends: every socket and server made, open or opening. */
export type Registry = Set<{ destroy(): void }>;

/** A read of a Conn. `into(n)` is the view (n bytes or more) the first n bytes are copied into; a read
 *  that waits (whenReadable) is retried on every change of its Conn, and its retry returns true once it has
 *  answered its caller. */
export interface Reader {
  into(n: number): Uint8Array;
  retry(): boolean;
}

/** One connection: its unread data and the calls waiting on it (shared with the helper). A waiting write
 *  is answered on 'drain' or failure. */
export class Conn {
  /** A negated errno: the connection failed; every later call gets it. */
  error = 0;
  private chunks = new Queue<Uint8Array>();
  private offset = 0;                  // bytes of the first chunk already read
  private queued = 0;                  // unread bytes
  private ended = false;               // end of stream: the peer's FIN, or our SHUT_RD
  private writeShut = false;           // SHUT_WR or close: no more writes
  private closed = false;
  private paused = false;
  private readers = new Queue<Reader>();
  private writers: ((failure: number) => void)[] = [];
  /** Whether this Conn takes the socket's chunks at its push (file note, "Reading under the stream"). */
  readonly readsUnderStream: boolean;
  /** Whether the socket reads into the thread's one buffer (file note, "One read buffer"). */
  readonly readsIntoOneBuffer: boolean;
  /** Quiet reads (direct.ts): told whether a read would wait, at every change. */
  private quietWatcher: ((quiet: boolean) => void) | null = null;
  private toldQuiet = false;

  /** Whether Node reads the socket: from the start, or for a connection accepted paused (a shared run:
   *  processors read it themselves meanwhile, direct.ts "Direct reads") once startReading is called. */
  reading: boolean;

  constructor(readonly socket: net.Socket, private readonly registry: Registry, paused = false) {
    registry.add(this);
    this.reading = !paused;
    socket.setNoDelay(true);
    this.readsIntoOneBuffer = readIntoOne(socket, (chunk) => this.received(chunk, true));
    this.readsUnderStream = this.readsIntoOneBuffer || takeReads(socket, (chunk) => this.received(chunk));
    socket.on("data", (chunk: Buffer) => this.received(chunk));   // flowing, for 'end'; chunks only without takeReads
    socket.on("end", () => { this.ended = true; this.tellQuiet(); this.wakeReaders(); });
    socket.on("error", (e) => { this.error = errnoOf(e); this.tellQuiet(); this.wakeAll(); });
    socket.on("drain", () => this.wakeWriters());
    socket.on("close", () => {
      this.ended = true;
      this.writeShut = true;
      this.registry.delete(this);
      this.tellQuiet();
      this.wakeAll();
    });
  }

  /** "host:port" of this end. */
  get address(): string { return addressText(this.socket.localAddress, this.socket.localPort); }

  /** Up to `len` queued bytes, copied into the view `reader.into(n)` gives; 0 at end of stream; an error;
   *  or null: nothing yet (wait with whenReadable). */
  read(len: number, reader: Pick<Reader, "into">): number | null {
    if (this.queued > 0 && len > 0) return this.take(Math.min(len, this.queued), reader);
    if (this.closed) return -ERRNO.EBADF;
    if (this.error) return this.error;
    if (this.ended || len === 0) return 0;
    return null;
  }

  whenReadable(reader: Reader): void { this.readers.push(reader); }

  /** The connection failed with `errno` (negated), seen elsewhere (a processor's direct read): every
   *  later call gets it, as if the socket had said so. */
  fail(errno: number): void {
    if (this.error) return;
    this.error = errno;
    this.tellQuiet();
    this.wakeAll();
  }

  /** Has Node read the socket from now on (the owner cleared its direct reads first). */
  startReading(): void {
    if (this.reading) return;
    this.reading = true;
    if (!this.socket.destroyed) this.socket.resume();
    this.tellQuiet();
  }

  /** `tell` hears now and at every change whether a read would wait: nothing unread, no end of stream, no
   *  error, not closed (direct.ts, "Quiet reads"). */
  watchQuiet(tell: (quiet: boolean) => void): void {
    this.quietWatcher = tell;
    this.toldQuiet = false;
    this.tellQuiet();
  }
  /** A read that waits no more (a signal interrupted it: host.ts, Cancels). */
  forget(reader: Reader): void { this.readers.remove(reader); }

  /** Sends `data` (the Conn keeps it): its length if the socket took it, an error, or null: the socket
   *  holds more than its high-water mark (wait with whenDrained, then answer data.length). `flushed`, if
   *  given, runs once: when Node has handed the bytes to the kernel or failed, or at once if not sent. */
  write(data: Uint8Array, flushed?: () => void): number | null {
    const refused = this.closed ? -ERRNO.EBADF : this.error ? this.error : this.writeShut ? -ERRNO.EPIPE
      : data.length === 0 ? 0 : null;
    if (refused !== null) { flushed?.(); return refused; }
    return this.socket.write(data, flushed && (() => flushed())) ? data.length : null;
  }

  /** `answer` runs when the socket drained (failure 0) or failed (a negated errno). */
  whenDrained(answer: (failure: number) => void): void { this.writers.push(answer); }

  shutdown(how: number): number {
    if (this.closed) return -ERRNO.EBADF;
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return -ERRNO.EINVAL;
    if (how !== SHUT_WR) {                         // later data is dropped, reads see end of stream
      this.ended = true;
      this.startReading();
      this.drop();
      this.tellQuiet();
      this.wakeReaders();
    }
    if (how !== SHUT_RD && !this.writeShut) { this.writeShut = true; this.socket.end(); }
    return 0;
  }

  /** The program's close: waiting calls fail with EBADF; the FIN follows what was written. */
  close(): void {
    this.closed = true;
    this.writeShut = true;
    this.startReading();                           // what comes unread is dropped, not left to reset
    this.drop();
    this.tellQuiet();
    this.wakeAll();
    const s = this.socket;
    if (s.destroyed) return;
    s.end(() => s.destroy());
  }

  /** The run ended: the socket goes at once, and nobody is answered any more. */
  destroy(): void {
    this.closed = true;
    this.readers = new Queue();
    this.writers = [];
    this.socket.destroy();
  }

  /** A chunk the socket read (`lent`: a view of the one read buffer, copied if kept); false: stop reading
   *  (past PAUSE_AT: Node's read callback stops the handle). */
  private received(chunk: Uint8Array, lent = false): boolean {
    if (this.ended || this.closed) return true;    // after SHUT_RD or close: dropped
    this.chunks.push(chunk);
    this.queued += chunk.length;
    this.tellQuiet();
    this.wakeReaders();
    if (lent) this.chunks.replace(chunk, () => chunk.slice());
    if (this.queued <= PAUSE_AT || this.paused) return !this.paused;
    this.paused = true;
    if (!this.readsUnderStream) this.socket.pause();
    return false;
  }

  private take(n: number, reader: Pick<Reader, "into">): number {
    const dest = reader.into(n);
    let at = 0;
    while (at < n) {
      const chunk = this.chunks.first!;
      const part = Math.min(n - at, chunk.length - this.offset);
      dest.set(this.offset === 0 && part === chunk.length ? chunk : chunk.subarray(this.offset, this.offset + part), at);
      at += part;
      this.offset += part;
      if (this.offset === chunk.length) { this.chunks.shift(); this.offset = 0; }
    }
    this.queued -= n;
    if (this.paused && this.queued <= PAUSE_AT) this.resume();
    this.tellQuiet();
    return n;
  }

  /** Forgets unread data; the socket flows again, so what still comes is dropped as it arrives. */
  private drop(): void {
    this.chunks = new Queue();
    this.offset = 0;
    this.queued = 0;
    this.resume();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (!this.readsUnderStream) this.socket.resume();
    else if (!this.socket.destroyed) this.socket._read(PAUSE_AT);   // starts the handle unless it reads
  }

  private tellQuiet(): void {
    if (!this.quietWatcher) return;
    const quiet = this.reading && this.queued === 0 && !this.ended && !this.error && !this.closed;
    if (quiet === this.toldQuiet) return;
    this.toldQuiet = quiet;
    this.quietWatcher(quiet);
  }

  private wakeReaders(): void {
    while (this.readers.first?.retry()) this.readers.shift();
  }

  private wakeWriters(): void {
    const writers = this.writers;
    if (!writers.length) return;
    this.writers = [];
    const failure = this.closed ? -ERRNO.EBADF : this.error || (this.socket.destroyed ? -ERRNO.EPIPE : 0);
    for (const w of writers) w(failure);
  }

  private wakeAll(): void { this.wakeReaders(); this.wakeWriters(); }
}

/** A first-in first-out queue that nearly always holds one item or none (a connection's unread chunks, its
 *  waiting reads): the first item has a field of its own, so that a queue emptied and filled again for
 *  every request allocates nothing (an array emptied by shift gives up its storage, and the next push
 *  allocates it again). */
class Queue<T> {
  first: T | undefined = undefined;
  private rest: T[] = [];

  push(item: T): void {
    if (this.first === undefined) this.first = item; else this.rest.push(item);
  }

  shift(): void { this.first = this.rest.length ? this.rest.shift() : undefined; }

  /** Puts `make()` in the place of `item`, if the queue holds it (as its last). */
  replace(item: T, make: () => T): void {
    if (this.first === item) this.first = make();
    else if (this.rest.length && this.rest[this.rest.length - 1] === item) this.rest[this.rest.length - 1] = make();
  }

  remove(item: T): void {
    if (this.first === item) this.shift(); else this.rest = this.rest.filter((x) => x !== item);
  }
}

/** Has the chunks Node reads for `socket` go to `received`, whose answer says whether to go on reading
 *  (file note, "Reading under the stream"); false where the socket is not shaped so (it then reads 'data'). */
function takeReads(socket: net.Socket, received: (chunk: Uint8Array) => boolean): boolean {
  if (typeof socket._read !== "function" || typeof socket.push !== "function") return false;
  const push = socket.push;
  socket.push = function (chunk: unknown, encoding?: BufferEncoding): boolean {
    return chunk instanceof Uint8Array ? received(chunk) : push.call(this, chunk, encoding);
  };
  return true;
}

/** The one buffer every socket of this thread reads into (file note, "One read buffer"): made at the
 *  first connection. */
let readBuffer: Uint8Array | null = null;

/** Has the socket's handle read into readBuffer and hand each read's bytes, a view that is only lent, to
 *  `received` (whose answer says whether to go on reading); false where the socket is not shaped so. */
function readIntoOne(socket: net.Socket, received: (chunk: Uint8Array) => boolean): boolean {
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })._handle;
  if (typeof handle?.useUserBuffer !== "function") return false;
  const own = Object.getOwnPropertySymbols(socket);
  const [buffer, callback, generator] = ["kBuffer", "kBufferCb", "kBufferGen"].map((d) => own.find((s) => s.description === d));
  const fields = socket as unknown as Record<symbol, unknown>;
  if (!buffer || !callback || !generator || fields[buffer] !== null || fields[generator] !== null) return false;
  readBuffer ??= new Uint8Array(PAUSE_AT);
  fields[buffer] = readBuffer;
  fields[callback] = (n: number) => received(readBuffer!.subarray(0, n));
  handle.useUserBuffer(readBuffer);
  return true;
}

/** A listening socket and its connections not yet accepted (shared with the helper). Connections are
 *  wrapped as they arrive, so their data queues before accept. */
export class Listener {
  private ready: Conn[] = [];
  private acceptors: ((c: Conn | number) => void)[] = [];
  private closed = false;
  /** Called when a connection joins the list with no accept waiting (the accept ring fills: ahead.ts). */
  onQueued: (() => void) | null = null;

  /** `paused`: the server accepts connections paused (Conn `reading`). */
  constructor(readonly server: net.Server, private readonly registry: Registry, paused = false) {
    registry.add(this);
    server.on("connection", (socket: net.Socket) => {
      if (this.closed) { socket.destroy(); return; }
      const c = new Conn(socket, registry, paused);
      const acceptor = this.acceptors.shift();
      if (acceptor) acceptor(c); else { this.ready.push(c); this.onQueued?.(); }
    });
    server.on("error", () => { /* after listening: only per-connection failures, which the Conn sees */ });
  }

  get address(): string {
    const a = this.server.address() as net.AddressInfo | null;
    return a ? addressText(a.address, a.port) : "";
  }

  /** The next connection, or null: none yet (wait with whenConnected). */
  accept(): Conn | number | null {
    if (this.closed) return -ERRNO.EBADF;
    return this.ready.shift() ?? null;
  }

  whenConnected(answer: (c: Conn | number) => void): void { this.acceptors.push(answer); }
  /** Connections accepted ahead and not taken, back at the head of the list, in their order. */
  giveBack(conns: Conn[]): void {
    if (this.closed) { for (const c of conns) c.destroy(); return; }
    this.ready.unshift(...conns);
  }
  /** An accept that waits no more (a signal interrupted it). */
  forget(answer: (c: Conn | number) => void): void { this.acceptors = this.acceptors.filter((a) => a !== answer); }

  /** The program's close: waiting accepts fail with EBADF, connections not accepted are dropped. */
  close(): void {
    const acceptors = this.acceptors;
    this.destroy();
    for (const a of acceptors) a(-ERRNO.EBADF);
  }

  /** The run ended: nobody is answered any more. */
  destroy(): void {
    this.closed = true;
    this.acceptors = [];
    this.server.close();
    this.registry.delete(this);
    for (const c of this.ready) c.destroy();
    this.ready = [];
  }
}

/** Listens on host:port; answers a Listener or a negated errno (EADDRINUSE ...). */
export function openListener(host: string, port: number, backlog: number, registry: Registry,
  done: (l: Listener | number) => void, paused = false): void {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: paused });
  const handle = { destroy: () => server.close() };
  registry.add(handle);
  server.once("error", (e) => { registry.delete(handle); done(errnoOf(e)); });
  server.listen({ host, port, backlog: backlog > 0 ? backlog : 511 }, () => {
    registry.delete(handle);
    server.removeAllListeners("error");
    done(new Listener(server, registry, paused));
  });
}

/** Connects to host:port; answers a Conn or a negated errno (ECONNREFUSED ...). */
export function openConnection(host: string, port: number, registry: Registry, done: (c: Conn | number) => void): void {
  const socket = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
  registry.add(socket);
  const failed = (e: Error) => { registry.delete(socket); done(errnoOf(e)); };
  socket.once("error", failed);
  socket.once("connect", () => {
    registry.delete(socket);
    socket.off("error", failed);
    done(new Conn(socket, registry));
  });
}

function addressText(host: string | undefined, port: number | undefined): string {
  if (!host) return "";
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** What the helper answers a call: a result (>= 0 a value, < 0 a negated errno), with the bytes of a read,
 *  or the helper's socket number and its address for listen, accept and connect. */
export interface HelperAnswer { id: number; result: number; data?: Uint8Array; socket?: number; address?: string }
/** A call posted to the helper. id 0: no answer wanted (close). */
export interface HelperCall {
  id: number; blocking: boolean; op: string; socket?: number;
  host?: string; port?: number; backlog?: number; len?: number; how?: number; data?: Uint8Array;
}
