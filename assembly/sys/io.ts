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
// The request record and the completion ring are drawn in assembly/core/completion.ts.

import { Thread, STATE_BLOCKED, FROM_RUNNING, transition } from "../core/layout";
import { currentThread, suspend } from "../core/scheduler";
import { heapTryAlloc } from "../runtime/index";
import { WAIT_IO, FUTEX_INTERRUPTED } from "../core/futex";
import { tracing, traceIo } from "../core/trace";
import { ENOMEM, EINTR } from "../core/errno";
import { setErrno } from "../core/tls";
import { IoRequest, IO_REQUEST_SIZE, IO_IDLE, IO_PENDING, ioSubmitted, ioRing, hostIoSubmit } from "../core/completion";
import { signalRestarts } from "../core/signal";
export { IoRequest, IO_REQUEST_SIZE, IO_IDLE, IO_PENDING, IO_DONE } from "../core/completion";


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

// Operations (host/io/abi.ts, OP, names them in this order).
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
/** A host function (sys/call.ts): fd is its index in the module's call table, ptr its argument block
 *  (8 bytes a value; the result comes back in the first), len how many arguments. */
// @ts-ignore: decorator
@inline export const IO_OP_CALL: u32 = 15;
/** The text or bytes the thread's last host call left (a string it returned, the reason it failed): ptr
 *  0 asks for the length; else up to len bytes (flags IO_FLAG_UTF16: code units) are copied to ptr. */
// @ts-ignore: decorator
@inline export const IO_OP_CALL_TEXT: u32 = 16;

/** Flag on IO_OP_WRITE: ptr/len is UTF-16 text (len in code units) the host writes as UTF-8. */
// @ts-ignore: decorator
@inline export const IO_FLAG_UTF16: u32 = 1 << 31;

/** The calling thread's request record, made on its first call; 0 when memory is exhausted. */
export function requestOf(t: Thread): IoRequest {
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
  let t = changetype<Thread>(currentThread);
  while (true) {
    r.status = IO_PENDING;
    t.waitResult = 0;
    if (hostIoSubmit(changetype<usize>(r)) == SUBMIT_PENDING) {
      ioSubmitted();
      if (tracing()) traceIo(t.id, r.op);
      t.waitKind = WAIT_IO;
      t.waitAddr = changetype<usize>(r);
      transition(t, FROM_RUNNING, STATE_BLOCKED);
      suspend();
    }
    r.status = IO_IDLE;
    let result = r.result;
    // A signal interrupted the call while it waited, nothing moved (core/completion.ts, ioInterrupt), and
    // its handler has run: with SA_RESTART on every handler that ran the call is made again, as POSIX
    // restarts read, write, accept and wait; a delay, like nanosleep, never restarts. An -EINTR no signal
    // of this wait asked for (on processors, a cancel that reached the host after the call it was meant
    // for had ended, and this one, in the same request, had begun) is made again too.
    if (result == -EINTR && (t.waitResult != FUTEX_INTERRUPTED || (r.op != IO_OP_DELAY && signalRestarts()))) continue;
    if (result < 0) setErrno(-result);
    return result;
  }
}
