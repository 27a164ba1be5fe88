// The host's side of one system call, written once for every runner: decode a thread's request record,
// hand it to an I/O host, write the answer, append completions to a processor's ring. The N:1 runner
// (runner.ts) does all of it on its own thread; in M:N and 1:1 the I/O owner (shared-io.ts) does it for
// every processor. Records are drawn in assembly/core/completion.ts; host/io/abi.ts has the offsets.
//
// Access rule: every view is made fresh from memory.buffer (a non-shared memory that grows detaches the
// old buffer); results and ring tails are stored with Atomics (in M:N another kernel thread reads them).

import { REQUEST, RING, IO_MODES, OP_NAMES, ERRNO, type IoMode } from "../io/abi.js";
import { PENDING, type Answer, type IoContext, type IoHost, type IoRequest } from "../io/host.js";
import { THREAD } from "../abi.js";

/** The I/O modes a run may name. */
export const RUN_IO_MODES: readonly IoMode[] = ["async", "blocking", "offload"];

/** Why `mode` is refused as a run's I/O mode, or null. */
export function ioModeError(mode: unknown): string | null {
  if (mode === undefined || RUN_IO_MODES.includes(mode as IoMode)) return null;
  return `unknown I/O mode ${JSON.stringify(mode)} (async, blocking or offload)`;
}

/** The mode the request at `addr` is made in: its own, else the run's `fallback`. */
export function requestMode(memory: WebAssembly.Memory, addr: number, fallback: IoMode): IoMode {
  const mode = IO_MODES[new Uint32Array(memory.buffer, addr + REQUEST.mode, 1)[0]];
  return !mode || mode === "default" ? fallback : mode;
}

/** Reads the request record at `addr`; `op` is undefined for an operation this host does not know. */
export function decodeRequest(memory: WebAssembly.Memory, addr: number, fallback: IoMode): IoRequest {
  const view = new DataView(memory.buffer, addr, REQUEST.size);
  const thread = view.getUint32(REQUEST.thread, true);
  return {
    addr,
    op: OP_NAMES[view.getUint32(REQUEST.op, true)],
    mode: requestMode(memory, addr, fallback),
    fd: view.getInt32(REQUEST.fd, true),
    flags: view.getUint32(REQUEST.flags, true),
    ptr: view.getUint32(REQUEST.ptr, true),
    len: view.getUint32(REQUEST.len, true),
    ptr2: view.getUint32(REQUEST.ptr2, true),
    len2: view.getUint32(REQUEST.len2, true),
    arg: view.getFloat64(REQUEST.arg, true),
    thread: thread ? new DataView(memory.buffer).getInt32(thread + THREAD.id, true) : 0,
  };
}

/** Hands a decoded request to `io`. An unknown operation is EINVAL; an exception of the host's fails that
 *  call only (EIO), said on stderr through ctx.emit: the run goes on. */
export function submitRequest(io: IoHost, req: IoRequest, ctx: IoContext): Answer {
  if (!req.op) return -ERRNO.EINVAL;
  try { return io.submit(req, ctx); }
  catch (e) {
    ctx.emit(2, `weft: the host failed a ${req.op} of thread ${req.thread}: ${(e as Error)?.message ?? e}\n`);
    return -ERRNO.EIO;
  }
}

/** Writes a request's answer (>= 0 a value, < 0 a negated errno). */
export function writeResult(memory: WebAssembly.Memory, addr: number, result: number): void {
  Atomics.store(new Int32Array(memory.buffer, addr + REQUEST.result, 1), 0, result | 0);
}

/** Appends request addresses from the front of `backlog` to the completion ring at `ring` while it has
 *  room; removes what it appended and returns how many. The tail is stored last, atomically: the loop
 *  (possibly on another kernel thread) reads entries only below it. */
export function pushCompletions(memory: WebAssembly.Memory, ring: number, backlog: number[]): number {
  if (!backlog.length || !ring) return 0;
  const header = new Int32Array(memory.buffer, ring, 4);
  const capacity = header[RING.capacity >> 2];
  let tail = Atomics.load(header, RING.tail >> 2);
  const room = capacity - ((tail - Atomics.load(header, RING.head >> 2)) >>> 0);
  const n = Math.min(room, backlog.length);
  if (n <= 0) return 0;
  const entries = new Uint32Array(memory.buffer, ring + RING.entries, capacity);
  for (let i = 0; i < n; i++) { entries[tail & (capacity - 1)] = backlog[i]; tail = (tail + 1) | 0; }
  Atomics.store(header, RING.tail >> 2, tail);
  backlog.splice(0, n);
  return n;
}

export { PENDING };
