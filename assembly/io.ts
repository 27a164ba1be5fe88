// I/O: how a thread asks the host for a system call, and how the answer comes back.
//
// Design note
// -----------
// The core cannot do I/O; the host can, and the host's I/O is asynchronous (Node's libuv, a browser's
// fetch). A thread that wants I/O fills its request record (below) and calls the `io_submit` import. The
// host either answers at once (the data was already there, the call failed its checks, or the call was
// made in blocking mode and the host did it right there, stalling every thread of this processor), or
// starts the operation and says "pending". A pending thread parks (BLOCKED, WAIT_IO); the processor runs
// the other threads. When the operation ends, the host writes the result into the request and appends the
// request's address to the processor's completion ring; the loop drains the ring and makes each owner
// runnable. When every thread waits (on I/O or timers) the loop returns RUN_WAIT and the host sleeps until
// the next completion or timer — no busy waiting. While threads run and I/O is pending, the loop hands the
// host a turn (RUN_POLL) at least every IO_POLL_MS so completions are seen.
//
// Modes (IO_MODE_*), chosen per call (the `mode` field) or per run (the host's default):
//   async     the host's own asynchronous I/O; only the caller parks.
//   blocking  the host performs the call synchronously on this kernel thread: every thread of the
//             processor stalls until it returns (the classic problem of user-level threads, on purpose).
//   offload   the host hands the call to a helper kernel thread (a Worker) that blocks instead; only the
//             caller parks.
//
// Access rule: a thread's request is written by the thread before io_submit and by the host only while
// the thread is parked on it; the ring's tail is written by the host, its head by the loop.
//
// ╒══════════════════ I/O request (64 bytes; one per thread, made on its first call) ═══════════════════╕
//   0 │ op       u32   IO_OP_* (host/io/abi.ts has the table)                                          │
//   4 │ mode     u32   IO_MODE_*; 0: the run's default                                                  │
//   8 │ fd       i32   descriptor the call works on                                                     │
//  12 │ flags    u32   per op: open flags, listen backlog, shutdown how, IO_FLAG_UTF16 on write          │
//  16 │ ptr      usize first buffer: data, or a path / address (UTF-16)                                 │
//  20 │ len      u32   its length (bytes; code units for UTF-16)                                        │
//  24 │ ptr2     usize second buffer: stat record, readdir names, address out                            │
//  28 │ len2     u32   its length (bytes)                                                               │
//  32 │ arg      f64   per op: file position (-1: the current one), delay in ms                         │
//  40 │ result   i32   the answer: >= 0 a value (bytes, a descriptor), < 0 a negated errno               │
//  44 │ status   u32   IO_IDLE, IO_PENDING (host owns it), IO_DONE                                      │
//  48 │ thread   usize the Thread that made it; 0 once that thread is gone (the request is then freed   │
//     │                when its completion arrives)                                                    │
//  52 │ (reserved, 12 bytes)                                                                          │
// ╘══════════════════════════════════════════════════════════════════════════════════════════════════════╛
//
// ╒═══════ completion ring (per processor; weft_io_ring() gives its address) ═══════╕
//   0 │ head      u32  next entry the loop reads (the loop writes it)              │
//   4 │ tail      u32  next entry the host writes (the host writes it)             │
//   8 │ capacity  u32  entries, a power of two                                      │
//  12 │ (reserved)                                                                  │
//  16 │ entries   usize[capacity]  request addresses; entry i at 16 + 4 (i mod cap) │
// ╘═════════════════════════════════════════════════════════════════════════════════╛
// head and tail count up forever (mod 2^32); the ring is full when tail - head == capacity, and the host
// then keeps completions until the loop has drained some.

import { Thread, STATE_BLOCKED, FROM_RUNNING, transition } from "./layout";
import { currentThread, suspend, makeRunnable } from "./scheduler";
import { heapTryAlloc, heapFree } from "./runtime/index";
import { WAIT_IO } from "./futex";
import { ENOMEM } from "./errno";
import { setErrno } from "./tls";

// @ts-ignore: decorator
@external("weft", "io_submit")
declare function hostIoSubmit(request: usize): i32;

@unmanaged export class IoRequest {
  op: u32;
  mode: u32;
  fd: i32;
  flags: u32;
  ptr: usize;
  len: u32;
  ptr2: usize;
  len2: u32;
  arg: f64;
  result: i32;
  status: u32;
  thread: usize;
  reserved0: u32;
  reserved1: u32;
  reserved2: u32;
}

// @ts-ignore: decorator
@inline export const IO_REQUEST_SIZE: usize = 64;

// Request status.
// @ts-ignore: decorator
@inline export const IO_IDLE: u32 = 0;
// @ts-ignore: decorator
@inline export const IO_PENDING: u32 = 1;
// @ts-ignore: decorator
@inline export const IO_DONE: u32 = 2;

// What io_submit returns.
// @ts-ignore: decorator
@inline const SUBMIT_DONE: i32 = 0;
// @ts-ignore: decorator
@inline const SUBMIT_PENDING: i32 = 1;

// Modes.
// @ts-ignore: decorator
@inline export const IO_MODE_DEFAULT: u32 = 0;
// @ts-ignore: decorator
@inline export const IO_MODE_ASYNC: u32 = 1;
// @ts-ignore: decorator
@inline export const IO_MODE_BLOCKING: u32 = 2;
// @ts-ignore: decorator
@inline export const IO_MODE_OFFLOAD: u32 = 3;

// Operations (host/io/abi.ts, IO_OPS, names them in this order).
// @ts-ignore: decorator
@inline export const IO_OP_OPEN: u32 = 1;
// @ts-ignore: decorator
@inline export const IO_OP_CLOSE: u32 = 2;
// @ts-ignore: decorator
@inline export const IO_OP_READ: u32 = 3;
// @ts-ignore: decorator
@inline export const IO_OP_WRITE: u32 = 4;
// @ts-ignore: decorator
@inline export const IO_OP_STAT: u32 = 5;
// @ts-ignore: decorator
@inline export const IO_OP_READDIR: u32 = 6;
// @ts-ignore: decorator
@inline export const IO_OP_UNLINK: u32 = 7;
// @ts-ignore: decorator
@inline export const IO_OP_LISTEN: u32 = 8;
// @ts-ignore: decorator
@inline export const IO_OP_ACCEPT: u32 = 9;
// @ts-ignore: decorator
@inline export const IO_OP_CONNECT: u32 = 10;
// @ts-ignore: decorator
@inline export const IO_OP_SHUTDOWN: u32 = 11;
// @ts-ignore: decorator
@inline export const IO_OP_DELAY: u32 = 12;
// @ts-ignore: decorator
@inline export const IO_OP_ADDRESS: u32 = 13;
// @ts-ignore: decorator
@inline export const IO_OP_MKDIR: u32 = 14;

/** Flag on IO_OP_WRITE: ptr/len is UTF-16 text (len in code units) the host writes as UTF-8. */
// @ts-ignore: decorator
@inline export const IO_FLAG_UTF16: u32 = 1 << 31;

/** Completion-ring entries. 1,024: the loop drains the ring on every switch while I/O is pending, and the
 *  host keeps what does not fit, so the size bounds only how much one drain takes. Not configurable. */
// @ts-ignore: decorator
@inline const RING_CAPACITY: u32 = 1024;
// @ts-ignore: decorator
@inline const RING_HEADER: usize = 16;

/** Requests the host holds (pending). Per processor. */
export let ioPending: i32 = 0;
let ring: usize = 0;

/** The processor's completion ring, made on first use; 0 when memory is exhausted. */
export function ioRing(): usize {
  if (ring == 0) {
    let r = heapTryAlloc(RING_HEADER + (<usize>RING_CAPACITY << alignof<usize>()));
    if (r == 0) return 0;
    memory.fill(r, 0, RING_HEADER);
    store<u32>(r, RING_CAPACITY, 8);
    ring = r;
  }
  return ring;
}

/** The calling thread's request record, made on its first call; 0 when memory is exhausted. */
function requestOf(t: Thread): IoRequest {
  let r = t.io;
  if (r == 0) {
    r = heapTryAlloc(IO_REQUEST_SIZE);
    if (r == 0) return changetype<IoRequest>(0);
    memory.fill(r, 0, IO_REQUEST_SIZE);
    t.io = r;
  }
  return changetype<IoRequest>(r);
}

/** Starts filling the calling thread's request for `op`; null when memory is exhausted (errno ENOMEM).
 *  The caller sets the op's fields and calls ioCall. */
export function ioRequest(op: u32, mode: u32, fd: i32): IoRequest | null {
  let t = changetype<Thread>(currentThread);
  if (ioRing() == 0) { setErrno(ENOMEM); return null; }
  let r = requestOf(t);
  if (changetype<usize>(r) == 0) { setErrno(ENOMEM); return null; }
  r.op = op;
  r.mode = mode;
  r.fd = fd;
  r.flags = 0;
  r.ptr = 0;
  r.len = 0;
  r.ptr2 = 0;
  r.len2 = 0;
  r.arg = -1;
  r.result = 0;
  r.thread = currentThread;
  return r;
}

/** Submits the request and waits for its answer, parking the thread if the host says "pending". Returns
 *  the result: >= 0 a value, < 0 a negated errno (also stored in the thread's errno). */
export function ioCall(r: IoRequest): i32 {
  r.status = IO_PENDING;
  if (hostIoSubmit(changetype<usize>(r)) == SUBMIT_PENDING) {
    let t = changetype<Thread>(currentThread);
    ioPending++;
    t.waitKind = WAIT_IO;
    t.waitAddr = changetype<usize>(r);
    transition(t, FROM_RUNNING, STATE_BLOCKED);
    suspend();
  }
  r.status = IO_IDLE;
  let result = r.result;
  if (result < 0) setErrno(-result);
  return result;
}

/** Makes the owners of completed requests runnable (the loop calls this while ioPending > 0). */
export function ioDrain(): void {
  let r = ring;
  let head = load<u32>(r), tail = atomic.load<u32>(r, 4);
  if (head == tail) return;
  let mask = load<u32>(r, 8) - 1;
  while (head != tail) {
    let req = changetype<IoRequest>(load<usize>(r + RING_HEADER + ((<usize>(head & mask)) << alignof<usize>())));
    head++;
    ioPending--;
    req.status = IO_DONE;
    let tp = req.thread;
    if (tp == 0) { heapFree(changetype<usize>(req)); continue; }   // its thread is gone
    makeRunnable(changetype<Thread>(tp));
  }
  atomic.store<u32>(r, head);
}

/** Frees a finished thread's request, or leaves it to ioDrain if the host still holds it. */
export function ioRelease(t: Thread): void {
  let r = t.io;
  if (r == 0) return;
  t.io = 0;
  let req = changetype<IoRequest>(r);
  if (req.status == IO_PENDING) req.thread = 0;
  else heapFree(r);
}

/** Offsets of the request's fields, in host/io/abi.ts's REQUEST_FIELDS order; -1 past the end. */
export function ioLayout(field: i32): i32 {
  switch (field) {
    case 0: return offsetof<IoRequest>("op");
    case 1: return offsetof<IoRequest>("mode");
    case 2: return offsetof<IoRequest>("fd");
    case 3: return offsetof<IoRequest>("flags");
    case 4: return offsetof<IoRequest>("ptr");
    case 5: return offsetof<IoRequest>("len");
    case 6: return offsetof<IoRequest>("ptr2");
    case 7: return offsetof<IoRequest>("len2");
    case 8: return offsetof<IoRequest>("arg");
    case 9: return offsetof<IoRequest>("result");
    case 10: return offsetof<IoRequest>("status");
    case 11: return offsetof<IoRequest>("thread");
    case 12: return offsetof<IoRequest>();
  }
  return -1;
}
