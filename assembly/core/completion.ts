// The I/O completion ring and the request record: the part of I/O the scheduler itself runs.
//
// A thread's system call (assembly/sys/io.ts, "Design note") fills its request record and parks on it when
// the host says "pending"; the host later writes the result and appends the request to this processor's
// completion ring. The loop (core/scheduler.ts) drains the ring while requests are pending and makes
// each owner runnable, and frees the request of a thread that ended before its answer came. Both records
// are read by the host too (host/io/abi.ts); weft_io_layout() gives it the request's offsets.
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

import { Thread } from "./layout";
import { makeRunnable } from "./scheduler";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { SHARED_MEMORY } from "./atomics";
import { ioInFlightAdd } from "./processor";

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

/** Completion-ring entries. 1,024: the loop drains the ring on every switch while I/O is pending, and the
 *  host keeps what does not fit, so the size bounds only how much one drain takes. Not configurable. */
// @ts-ignore: decorator
@inline const RING_CAPACITY: u32 = 1024;
// @ts-ignore: decorator
@inline const RING_HEADER: usize = 16;

// @ts-ignore: decorator
@external("weft", "io_submit")
export declare function hostIoSubmit(request: usize): i32;

/** IO_OP_CANCEL (host/io/abi.ts): ptr names a request whose thread a signal interrupts. */
// @ts-ignore: decorator
@inline const IO_OP_CANCEL: u32 = 29;

/** A signal interrupts the thread waiting on `request` (core/signal.ts, signalInterrupt): the host is
 *  asked to end that call with -EINTR if it still waits and can stop without losing anything
 *  (IO_OP_CANCEL: a read of a socket or a pipe, an accept, a delay, a waitpid; host/io/host.ts, Cancels);
 *  else it finishes as it would, and the handler runs after it. The cancel itself is answered at once.
 *  Scheduler lock held. */
export function ioInterrupt(request: usize): void {
  let r = heapTryAlloc(IO_REQUEST_SIZE);
  if (r == 0) return;                             // no memory: the call finishes as it would
  memory.fill(r, 0, IO_REQUEST_SIZE);
  let c = changetype<IoRequest>(r);
  c.op = IO_OP_CANCEL;
  c.ptr = request;
  hostIoSubmit(r);
  heapFree(r);
}

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

/** After io_submit said "pending": one more request this processor's host holds (and, M:N, the program's:
 *  processor.ts, ioInFlightAdd, for the deadlock check). */
export function ioSubmitted(): void {
  ioPending++;
  if (SHARED_MEMORY) ioInFlightAdd(1);
}

/** Whether the host appended completions the loop has not drained (M:N: the host is another kernel
 *  thread, so this may change at any moment; processor.ts's idle protocol looks here last). */
export function ioRingHasWork(): bool {
  let r = ring;
  return r != 0 && atomic.load<u32>(r, 4) != load<u32>(r);
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
    if (SHARED_MEMORY) ioInFlightAdd(-1);
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

/** fork's child (core/fork.ts): the host holds one request of this process, the forker's; what the ring
 *  held was the parent's. N:1. */
export function ioForkReset(): void {
  if (ring != 0) store<u32>(ring, load<u32>(ring, 4));
  ioPending = 1;
}
