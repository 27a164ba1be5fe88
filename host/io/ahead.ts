// Accepts ahead (M:N and 1:1 in Node): connections the I/O owner has already accepted wait in a ring in
// the direct-send table (host/io/direct.ts), each with its weft descriptor, and a processor's accept
// takes one there without crossing to the owner.
//
// Design note
// -----------
// Why. A server accepts in a loop: accept, hand the connection to a thread, accept again. In a shared
// run every accept crosses to the I/O owner and back, and with one connection per request that round
// trip is the whole server's pace: examples/http.ts on 2 processors under `wrk -H "Connection: close"`
// spent ~130 µs a connection waiting in accept while, at the owner, ~90 connections on average sat
// accepted by Node and not yet asked for (5,984 of 6,000 accepts found one). So the owner accepts ahead:
// Node's server takes every connection the kernel has anyway (libuv accepts until EAGAIN), and the owner
// now also gives up to ACCEPT_AHEAD of them their descriptors and puts them where processors look first.
//
// A ring. One per listener, for up to ACCEPT_RINGS listeners at once (ring `fd % ACCEPT_RINGS`, if that
// ring is free when the listener is made; a listener without one accepts through the owner as before).
// Words: the listener's descriptor (-1: free), head, tail, then ACCEPT_AHEAD entries of two words — the
// listener's descriptor and the connection's. The owner is the only producer; processors, and the owner
// itself, consume:
//   - put (owner): if tail - head < ACCEPT_AHEAD, store the entry at tail, then tail + 1;
//   - take (anyone): load head and tail; if equal, empty; load the entry at head; if it names another
//     listener, leave it (the ring was someone else's: see below); compare-and-swap head to head + 1 —
//     on success the entry is the taker's, on failure start again.
// An entry does not change while head still points at it: the owner writes slot `tail % ACCEPT_AHEAD`
// only while tail - head < ACCEPT_AHEAD, so never the slot at head. The entry's own listener word makes a
// taker safe from a ring freed and claimed again between its loads: it takes only connections of the
// listener it accepts on.
//
// When the owner fills it: when Node's server has a connection and no accept waits for it, and after
// it answered an accept itself (a processor found the ring empty), while the ring has room. Taking gives
// the owner no word; it learns of room at the next connection or accept. A connection waits in the ring
// only while the program does not accept it, as it would in Node's list.
//
// Order. Connections come out in the order Node accepted them: the owner's own accept takes from the ring
// before Node's list, and fills the ring only from the list's head.
//
// Taking back (the owner, with takeBack): the program closes the listener — every connection still in
// its ring is closed, as a listener's unaccepted connections are; the first fork (shared-io.ts, ownTable:
// from then on processors make no calls themselves) — each goes back to the head of its listener's list,
// its descriptor freed, before the program's descriptor table is copied. Only the owner takes back, and
// it frees the ring (listener word -1) after emptying it.
//
// Which accepts. Those in async or offload mode (blocking mode keeps N:1's answer, ENOTSUP); the answer
// is the descriptor, as the owner's would be. The counter in the table's header (ACCEPTED) says how many
// were taken by processors (RunResult.io.acceptsAhead).

import { OP, MODE_BLOCKING, REQUEST } from "./abi.js";
import { ACCEPTED, ACCEPT_AHEAD, ACCEPT_RINGS, acceptRingAt, type DirectSends } from "./direct.js";
import type { MemoryView } from "./view.js";

const LISTENER = 0, HEAD = 1, TAIL = 2, ENTRIES = 3;
const entryAt = (ring: number, n: number) => ring + ENTRIES + 2 * (n & (ACCEPT_AHEAD - 1));

/** The ring listener `fd` would have (it may be another's, or free). */
const ringOf = (table: Int32Array, fd: number) => acceptRingAt(table, fd % ACCEPT_RINGS);

/** Takes the oldest connection of listener `fd` from its ring: its descriptor, or -1 (none there). */
function take(table: Int32Array, fd: number): number {
  const ring = ringOf(table, fd);
  for (;;) {
    const head = Atomics.load(table, ring + HEAD);
    if (head === Atomics.load(table, ring + TAIL)) return -1;
    const at = entryAt(ring, head);
    if (Atomics.load(table, at) !== fd) return -1;
    const conn = Atomics.load(table, at + 1);
    if (Atomics.compareExchange(table, ring + HEAD, head, (head + 1) | 0) === head) return conn;
  }
}

/** A processor's accept (request at `addr`) from the ring of its listener: the connection's descriptor,
 *  or -1 where the call must go to the owner (not an accept, blocking, or nothing in the ring).
 *  `blockingRun`: the run's mode, which a request of mode 0 takes, is blocking. */
export function tryAccept(table: Int32Array, memory: MemoryView, addr: number, blockingRun: boolean): number {
  const record = memory.reach(addr + REQUEST.size).i32, at = addr >>> 2;
  if (record[at + (REQUEST.op >> 2)] !== OP.accept) return -1;
  const mode = record[at + (REQUEST.mode >> 2)];
  if (mode === MODE_BLOCKING || (mode === 0 && blockingRun)) return -1;
  const fd = record[at + (REQUEST.fd >> 2)];
  if (fd < 0 || Atomics.load(table, ringOf(table, fd) + LISTENER) !== fd) return -1;
  const conn = take(table, fd);
  if (conn >= 0) Atomics.add(table, ACCEPTED, 1);
  return conn;
}

/** The owner's side: claims rings for listeners, fills them and takes back what is left. */
export class AcceptRings {
  private readonly table: Int32Array;

  /** `takeBackAll`: called as the table goes out of use (the first fork), to take back every ring. */
  constructor(private readonly sends: DirectSends, takeBackAll: () => void) {
    this.table = sends.table;
    sends.whenClosing(takeBackAll);
  }

  /** Gives listener `fd` its ring, if that ring is free; whether it has one now. */
  claim(fd: number): boolean {
    if (this.sends.isClosed || fd < 0) return false;
    const ring = ringOf(this.table, fd);
    if (Atomics.load(this.table, ring + LISTENER) !== -1) return false;
    Atomics.store(this.table, ring + LISTENER, fd);
    return true;
  }

  /** Whether listener `fd` has a ring. */
  has(fd: number): boolean { return fd >= 0 && Atomics.load(this.table, ringOf(this.table, fd) + LISTENER) === fd; }

  /** Room in listener `fd`'s ring (0 without one). */
  room(fd: number): number {
    if (!this.has(fd) || this.sends.isClosed) return 0;
    const ring = ringOf(this.table, fd);
    return ACCEPT_AHEAD - ((Atomics.load(this.table, ring + TAIL) - Atomics.load(this.table, ring + HEAD)) | 0);
  }

  /** Puts connection `conn` in listener `fd`'s ring (the caller saw room). */
  put(fd: number, conn: number): void {
    const ring = ringOf(this.table, fd), tail = Atomics.load(this.table, ring + TAIL);
    const at = entryAt(ring, tail);
    Atomics.store(this.table, at, fd);
    Atomics.store(this.table, at + 1, conn);
    Atomics.store(this.table, ring + TAIL, (tail + 1) | 0);
  }

  /** The owner's own accept: the oldest connection in listener `fd`'s ring, or -1. */
  take(fd: number): number { return this.has(fd) ? take(this.table, fd) : -1; }

  /** Empties listener `fd`'s ring and frees it: the connections nobody took, oldest first. */
  takeBack(fd: number): number[] {
    if (!this.has(fd)) return [];
    const left: number[] = [];
    for (let conn = take(this.table, fd); conn >= 0; conn = take(this.table, fd)) left.push(conn);
    Atomics.store(this.table, ringOf(this.table, fd) + LISTENER, -1);
    return left;
  }
}
