// Direct sends (M:N and 1:1 in Node): a processor writes to a connected socket itself, with one system
// call, instead of crossing to the I/O owner (host/kernel/shared-io.ts) and back.
//
// Design note
// -----------
// Why. In a shared run every call crosses to the I/O owner, and the owner is what limits a server on
// processors: a request costs it Node's stream machinery for the read and again for the write, and the
// writing thread parks until the answer crosses back (bench/HISTORY.md, "HTTP on processors"). A write
// to a socket whose kernel buffer has room never waits, so the processor can make it: the bytes go out at
// once, the thread goes on without parking, and the owner never hears of it. Reads still cross: a server
// reads right after it answered, before the peer can have sent more, so a read nearly always waits, and
// waiting is the owner's job (it is the one with an event loop).
//
// The table. A SharedArrayBuffer of Int32 words made by the owner and given to every processor: word 0
// holds the number of slots, word 1 counts the sends made, word 2 the accepts taken ahead and word 3 the
// reads made (RunResult.io); slot `fd` (a weft descriptor below that number) is four words at 4 + 4 fd:
//   osFd   the socket's file descriptor in this process (-1: none)
//   gate   OPEN (bit 30): processors may send; READS (bit 29): processors may read ("Direct reads"
//          below); the low bits count processors sending or reading right now
//   quiet  1: a read of the socket would wait, and the owner looks at the queues when that changes
//          ("Quiet reads" below); 0 otherwise
//   failed the negated errno a processor's read or send of the socket got ("Direct reads"), 0: none
// Only sockets of the owner's thread made or accepted in async mode are offered (net.ts, where "here").
// After the slots come the accept rings (host/io/ahead.ts): ACCEPT_RINGS rings of ACCEPT_RING_WORDS.
//
// Sending (a processor, trySend). Only write requests of bytes (not FLAG_UTF16 text), in async or offload
// mode (blocking mode keeps N:1's answers), whose buffer is in memory (else the owner fails the call with
// N:1's EIO and message):
//   1. add 1 to the gate; if OPEN is clear, take the 1 back and leave the call to the owner;
//   2. if the slot's `failed` word holds an error a processor's read or send got (step 3, "Direct
//      reads"), that is the answer, as in N:1; else read osFd and write the bytes to it (one non-blocking
//      system call); take the 1 back;
//   3. all written: the answer is the length; an error (EPIPE, ECONNRESET ...): the answer is the error,
//      kept in the slot's `failed` word as a direct read's is (below), so that later calls get it too;
//      nothing or part written (the kernel's buffer is full): clear OPEN, and queue the call to the owner
//      with what was sent, so the rest follows in order.
// The owner's side (DirectSends):
//   - a write the owner performs on an offered socket (the rest of a partial send, or one that found OPEN
//     clear) clears OPEN and counts as the owner's; when Node has handed all the socket's queued bytes to
//     the kernel and no other owner write is out, OPEN is set again. So a thread's bytes never overtake
//     its own earlier ones: while any sit in Node's queue, every write goes behind them.
//   - before the socket's file descriptor is closed — the program's close, shutdown, an error or the end
//     of the connection, which all pass through the socket's _destroy — OPEN is cleared and the close
//     waits until no processor is sending (step 2 is one system call). Without that, a sender could write
//     to a number the kernel had already given to a new connection. Meanwhile the socket's handle reads
//     no more: it is destroyed, and Node's read callback throws at bytes for a destroyed socket.
//   - shutdown clears OPEN for good: later writes reach the owner and fail with EPIPE, as in N:1.
// Two threads writing one socket at once may see their bytes interleave where one send was partial: as
// with POSIX stream sockets, concurrent writers must take turns themselves.
//
// Quiet reads. A server reads right after it answers, so its read nearly always reaches an owner asleep
// on the doorbell, which wakes (a task on its event loop) only to find nothing to read and sleep again
// until the request's bytes come: two wakes of the owner a request. So the owner also keeps, for each
// offered socket, whether a read would wait there (`quiet`: nothing unread, no end of stream, no error),
// and a processor that queues a read of a quiet socket does not ring: the owner takes the queues itself
// when anything comes to that socket. The order that loses no read: the processor stores its queue's
// tail, then loads `quiet`; the owner, when the socket's state changes to one a read would not wait in
// (data, the end of the stream, an error, the socket withdrawn or the table closed), stores quiet = 0
// and then takes every queue (after the event's handler: a microtask). Either the processor sees 0 and
// rings, or the owner sees the read. Only reads in async or offload mode go quietly: a blocking read's
// processor waits for its answer (and on an offered socket fails with ENOTSUP at once anyway).
//
// Direct reads. With a connection per request, a thread's first read finds the request already there,
// and crossing to the owner for it cost the owner Node's read machinery (start reading, the event, the
// read, the callback, the answer) and the thread a wake. So a connection accepted in a shared
// run starts with Node not reading it (pauseOnConnect; sockets.ts, Conn `reading`), and bit READS of its
// gate set: processors may read it themselves, one non-blocking read(2) into the thread's buffer, counted
// among the gate's users as a send is (so the descriptor is not closed under them):
//   - bytes or the end of the stream (0): that is the answer; an error (ECONNRESET ...): the answer,
//     stored in the slot's `failed` word and READS cleared — the owner gives the error to the connection
//     before its next call there, so that every later call gets it, as in N:1 (the kernel tells it once);
//   - nothing there (EAGAIN): READS is cleared and the read goes to the owner, which starts Node reading
//     the socket and answers as before; from then on every read crosses (and goes quietly).
// The owner clears READS itself before it starts reading for any other reason (shutdown SHUT_RD, close,
// the socket withdrawn or the table closed), so no byte is read by both: until READS is cleared the
// kernel holds every unread byte, after it Node does. A socket stays unread by Node only while its
// threads find bytes each time they read; it still gets its FIN on close after what was written, and
// unread bytes are drained first, as in N:1.

import { ERRNO, FLAG_UTF16, OP, MODE_BLOCKING, REQUEST } from "./abi.js";
import type { MemoryView } from "./view.js";

const OPEN = 1 << 30, READS = 1 << 29, USERS = READS - 1;
const SLOTS = 0, SENT = 1, READ = 3, FIRST = 4;
/** Header word counting the accepts processors took from a ring (host/io/ahead.ts). */
export const ACCEPTED = 2;
/** Words per slot, and where each is in its slot. */
const SLOT = 4, OS_FD = 0, GATE = 1, QUIET = 2, FAILED = 3;
const slotAt = (fd: number) => FIRST + SLOT * fd;

/** Descriptors a direct-send table covers: 4,096 × 12 bytes. Higher descriptors always cross to the
 *  owner. Not configurable. */
export const DIRECT_SLOTS: number = 4096;

/** A processor's system call: writes the `length` bytes at `offset` of `memory` (the module's memory, no
 *  view made for each send) to file descriptor `osFd`; the bytes written, or a negated errno (-EAGAIN when
 *  the kernel's buffer is full). */
export type SendTo = (osFd: number, memory: Uint8Array, offset: number, length: number) => number;
/** A processor's system call: reads up to `length` bytes from `osFd` into `memory` at `offset`; the bytes
 *  read (0: end of stream), or a negated errno (-EAGAIN when nothing is there). */
export type ReadFrom = SendTo;
/** A processor's system calls on the owner's sockets (Node: processor-worker.ts). */
export interface SocketCalls { sendTo: SendTo; readFrom?: ReadFrom }

/** Accept rings after the slots (host/io/ahead.ts): how many, how many connections each holds (a power of
 *  two), and their words: listener, head, tail, then two words an entry. Not configurable. */
export const ACCEPT_RINGS: number = 8;
export const ACCEPT_AHEAD: number = 32;
export const ACCEPT_RING_WORDS: number = 3 + 2 * ACCEPT_AHEAD;

/** Where accept ring `i` starts in `table`. */
export const acceptRingAt = (table: Int32Array, i: number): number => FIRST + SLOT * table[SLOTS] + ACCEPT_RING_WORDS * i;

/** An empty table for `slots` descriptors, its accept rings unclaimed. */
export function makeDirectTable(slots = DIRECT_SLOTS): Int32Array {
  const table = new Int32Array(new SharedArrayBuffer((FIRST + SLOT * slots + ACCEPT_RING_WORDS * ACCEPT_RINGS) * 4));
  table[SLOTS] = slots;
  for (let fd = 0; fd < slots; fd++) table[slotAt(fd) + OS_FD] = -1;
  for (let i = 0; i < ACCEPT_RINGS; i++) table[acceptRingAt(table, i)] = -1;
  return table;
}

/** What became of a send: answered (all written, or an error), or left to the owner with `sent` bytes
 *  already written (0 when the gate was shut or the kernel's buffer full). */
export type SendOutcome = { answer: number; sent?: undefined } | { sent: number; answer?: undefined };

const LEFT: SendOutcome = { sent: 0 };

/** Sending, steps 1-3, for the request at `addr` (`blockingRun`: the run's mode, which a request of mode
 *  0 takes, is blocking). */
export function trySend(table: Int32Array, memory: MemoryView, addr: number, sendTo: SendTo,
  blockingRun: boolean): SendOutcome {
  const record = memory.reach(addr + REQUEST.size).i32, at = addr >>> 2;
  const mode = record[at + (REQUEST.mode >> 2)];
  if (record[at + (REQUEST.op >> 2)] !== OP.write || mode === MODE_BLOCKING || (mode === 0 && blockingRun)) return LEFT;
  if (record[at + (REQUEST.flags >> 2)] & FLAG_UTF16) return LEFT;
  const fd = record[at + (REQUEST.fd >> 2)], len = record[at + (REQUEST.len >> 2)] >>> 0;
  if (fd < 0 || fd >= table[SLOTS] || len === 0) return LEFT;
  const ptr = record[at + (REQUEST.ptr >> 2)] >>> 0;
  if (!memory.holds(ptr, len)) return LEFT;           // not in memory: the owner fails the call (EIO), as N:1 does
  const gate = slotAt(fd) + GATE;
  if ((Atomics.add(table, gate, 1) & OPEN) === 0) { Atomics.sub(table, gate, 1); return LEFT; }
  let sent: number;
  try {
    const failed = Atomics.load(table, slotAt(fd) + FAILED);
    if (failed !== 0) return { answer: failed };      // an earlier call's error: every later call gets it
    const osFd = Atomics.load(table, slotAt(fd) + OS_FD);
    sent = osFd < 0 ? 0 : sendTo(osFd, memory.u8, ptr, len);
  } finally {
    Atomics.sub(table, gate, 1);
  }
  if (sent > 0) Atomics.add(table, SENT, 1);
  if (sent === len) return { answer: sent };
  if (sent < 0 && sent !== -ERRNO.EAGAIN) {          // kept, as a read's error is: later calls get it too
    Atomics.store(table, slotAt(fd) + FAILED, sent);
    Atomics.and(table, gate, ~READS);
    return { answer: sent };
  }
  Atomics.and(table, gate, ~OPEN);                  // the kernel's buffer is full: the rest queues behind
  return sent > 0 ? { sent } : LEFT;
}

/** Direct reads, the processor's half, for the request at `addr`: the answer, or null where the owner
 *  must make the call (not a read a processor may make, or nothing there yet). */
export function tryRead(table: Int32Array, memory: MemoryView, addr: number, readFrom: ReadFrom,
  blockingRun: boolean): number | null {
  const record = memory.reach(addr + REQUEST.size).i32, at = addr >>> 2;
  const mode = record[at + (REQUEST.mode >> 2)];
  if (record[at + (REQUEST.op >> 2)] !== OP.read || mode === MODE_BLOCKING || (mode === 0 && blockingRun)) return null;
  const fd = record[at + (REQUEST.fd >> 2)], len = record[at + (REQUEST.len >> 2)] >>> 0;
  if (fd < 0 || fd >= table[SLOTS] || len === 0) return null;
  const ptr = record[at + (REQUEST.ptr >> 2)] >>> 0;
  if (!memory.holds(ptr, len)) return null;
  const gate = slotAt(fd) + GATE;
  if ((Atomics.load(table, gate) & READS) === 0) return null;
  if ((Atomics.add(table, gate, 1) & READS) === 0) { Atomics.sub(table, gate, 1); return null; }
  let got: number;
  try {
    const osFd = Atomics.load(table, slotAt(fd) + OS_FD);
    got = osFd < 0 ? -ERRNO.EAGAIN : readFrom(osFd, memory.u8, ptr, len);
  } finally {
    Atomics.sub(table, gate, 1);
  }
  if (got >= 0) { Atomics.add(table, READ, 1); return got; }
  if (got !== -ERRNO.EAGAIN) Atomics.store(table, slotAt(fd) + FAILED, got);
  Atomics.and(table, gate, ~READS);                 // from now on Node reads it, at the owner
  return got === -ERRNO.EAGAIN ? null : got;
}

/** Quiet reads, the processor's half: the word to load after queuing the request at `addr` (whose mode is
 *  not blocking) — if it holds 1, the owner needs no ring — or -1 where the request is no read of a slot
 *  that could wait: a read of 0 bytes, or into a buffer outside memory, is answered at once (0, EIO). */
export function quietWord(table: Int32Array, memory: MemoryView, addr: number): number {
  const record = memory.reach(addr + REQUEST.size).i32, at = addr >>> 2;
  if (record[at + (REQUEST.op >> 2)] !== OP.read) return -1;
  const fd = record[at + (REQUEST.fd >> 2)], len = record[at + (REQUEST.len >> 2)] >>> 0;
  if (fd < 0 || fd >= table[SLOTS] || len === 0) return -1;
  return memory.holds(record[at + (REQUEST.ptr >> 2)] >>> 0, len) ? slotAt(fd) + QUIET : -1;
}

/** What the owner needs of a socket (Node's net.Socket, narrowed; `_handle` is its libuv stream). */
export interface SendableSocket {
  readonly writableLength: number;
  readonly destroyed: boolean;
  _destroy(error: Error | null, callback: (error?: Error | null) => void): void;
  _handle?: { reading?: boolean; readStop?(): number } | null;
}

/** Stops the socket's handle reading, as Node's own read callback does when a stream wants no more. */
function stopReading(socket: SendableSocket): void {
  const handle = socket._handle;
  if (!handle || typeof handle.readStop !== "function") return;
  handle.reading = false;
  handle.readStop();
}

/** What the owner needs of a connection for quiet reads: `tell` hears at once and at every change whether
 *  a read would wait (sockets.ts, Conn). */
export interface QuietSource {
  watchQuiet(tell: (quiet: boolean) => void): void;
}

/** The owner's side of the table (the design note's second list). */
export class DirectSends {
  /** Offered sockets, by descriptor, with the owner's writes out on each. */
  private readonly offered = new Map<number, { socket: SendableSocket; writes: number; shut: boolean }>();
  private readonly closing: (() => void)[] = [];
  private closed = false;

  /** `look`: takes every processor's queue soon (a microtask), the owner's half of quiet reads. */
  constructor(readonly table: Int32Array, private readonly look: () => void = () => {}) {}

  /** Sends processors made (all or part of a write). */
  get sent(): number { return Atomics.load(this.table, SENT); }
  /** Reads processors made (direct reads). */
  get read(): number { return Atomics.load(this.table, READ); }
  /** Accepts processors took from accept rings (host/io/ahead.ts). */
  get acceptedAhead(): number { return Atomics.load(this.table, ACCEPTED); }

  /** Offers `socket` (file descriptor `osFd` in this process) as weft descriptor `fd`; hooks its _destroy
   *  so that its file descriptor is not closed while a processor sends. `reads`: its reads may go quietly;
   *  `direct`: Node does not read it yet, so processors may ("Direct reads"). */
  offer(fd: number, socket: SendableSocket, osFd: number, reads?: QuietSource, direct = false): void {
    if (this.closed || fd < 0 || fd >= this.table[SLOTS] || !(osFd >= 0)) return;
    const entry = { socket, writes: 0, shut: false };
    this.offered.set(fd, entry);
    const destroy = socket._destroy;
    socket._destroy = (error, callback) => {
      this.withdraw(fd, socket);
      if (!this.sending(fd)) { destroy.call(socket, error, callback); return; }
      // Destroyed, its handle open until the send ends: a read must not come meanwhile (Node's read
      // callback throws at bytes for a destroyed socket, and the owner's process goes with it: a server
      // that closes a connection its client already sent more on). The number may already be another
      // socket's, and its sends be the ones waited for.
      stopReading(socket);
      this.afterSenders(fd, () => destroy.call(socket, error, callback));
    };
    Atomics.store(this.table, slotAt(fd) + OS_FD, osFd);
    Atomics.store(this.table, slotAt(fd) + FAILED, 0);
    Atomics.or(this.table, slotAt(fd) + GATE, direct ? OPEN | READS : OPEN);
    reads?.watchQuiet((quiet) => {
      if (this.offered.get(fd) !== entry) return;           // withdrawn (the number may be reused)
      if (quiet) Atomics.store(this.table, slotAt(fd) + QUIET, 1);
      else this.unquiet(fd);
    });
  }

  /** Whether the table is out of use (close). */
  get isClosed(): boolean { return this.closed; }

  /** Runs `hook` first thing in close (the accept rings take back what processors did not take). */
  whenClosing(hook: () => void): void { this.closing.push(hook); }

  /** Quiet reads, the owner's half: a read of `fd` would no longer wait; reads queued quietly are taken. */
  private unquiet(fd: number): void {
    if (Atomics.exchange(this.table, slotAt(fd) + QUIET, 0) === 1) this.look();
  }

  /** The owner is about to write to descriptor `fd` through Node: processors stop sending until it is
   *  flushed (then call flushed). False if `fd` is not offered. */
  ownerWrite(fd: number): boolean {
    const entry = this.offered.get(fd);
    if (!entry) return false;
    entry.writes++;
    Atomics.and(this.table, slotAt(fd) + GATE, ~OPEN);
    return true;
  }

  /** An owner write on `fd` was handed to the kernel (or failed): opens the gate again once no owner
   *  write is out and Node holds none of the socket's bytes. */
  flushed(fd: number, socket: SendableSocket): void {
    const entry = this.offered.get(fd);
    if (!entry || entry.socket !== socket) return;          // closed meanwhile (the number may be reused)
    entry.writes--;
    if (entry.writes === 0 && !entry.shut && !socket.destroyed && socket.writableLength === 0 && !this.closed) {
      Atomics.or(this.table, slotAt(fd) + GATE, OPEN);
    }
  }

  /** The error a processor's read or send of `fd` got (a negated errno), or 0; the owner's call on `fd`
   *  that finds one gives it to the connection first ("Direct reads"). Kept until the program closes
   *  `fd`, though the socket be withdrawn before: Node may see the end of a connection whose reset a
   *  processor's call took (the kernel tells it once), and the program's next call must still get it. */
  failure(fd: number): number {
    return fd >= 0 && fd < this.table[SLOTS] ? Atomics.load(this.table, slotAt(fd) + FAILED) : 0;
  }

  /** The owner is about to have Node read descriptor `fd`: processors read it no more. */
  ownerReads(fd: number): void {
    if (fd >= 0 && fd < this.table[SLOTS]) Atomics.and(this.table, slotAt(fd) + GATE, ~READS);
  }

  /** shutdown of `fd`: no more sends (later writes fail at the owner). */
  shut(fd: number): void {
    const entry = this.offered.get(fd);
    if (!entry) return;
    entry.shut = true;
    Atomics.and(this.table, slotAt(fd) + GATE, ~OPEN);
  }

  /** `socket` leaves descriptor `fd` (closed, or being destroyed): no more sends. `closed`: the program
   *  closed `fd` (or never had it), and its failure goes too. */
  withdraw(fd: number, socket: SendableSocket, closed = false): void {
    if (closed && fd >= 0 && fd < this.table[SLOTS]) Atomics.store(this.table, slotAt(fd) + FAILED, 0);
    const entry = this.offered.get(fd);
    if (!entry || entry.socket !== socket) return;
    this.offered.delete(fd);
    Atomics.and(this.table, slotAt(fd) + GATE, ~(OPEN | READS));
    Atomics.store(this.table, slotAt(fd) + OS_FD, -1);
    this.unquiet(fd);
  }

  /** Whether a processor may be in step 2 on `fd` (never once the run ended: its processors are gone). */
  private sending(fd: number): boolean {
    return !this.closed && (Atomics.load(this.table, slotAt(fd) + GATE) & USERS) !== 0;
  }

  /** Runs `then` once no processor is in step 2 on `fd`. */
  private afterSenders(fd: number, then: () => void): void {
    if (!this.sending(fd)) { then(); return; }
    setTimeout(() => this.afterSenders(fd, then), 0);
  }

  /** No more sends and no quiet reads: the run ended (its processors are gone, so closes wait for
   *  nobody), or a fork gave the program a descriptor table of its own (shared-io.ts, forkTable). */
  close(): void {
    if (this.closed) return;
    for (const hook of this.closing) hook();
    this.closed = true;
    for (const [fd] of this.offered) {
      Atomics.and(this.table, slotAt(fd) + GATE, ~(OPEN | READS));
      this.unquiet(fd);
    }
    this.offered.clear();
  }
}
