// The host's side of one system call, written once for every runner: decode a thread's request record,
// hand it to an I/O host, write the answer, append completions to a processor's ring. The N:1 runner
// (runner.ts) does all of it on its own thread; in M:N and 1:1 the I/O owner (shared-io.ts) does it for
// every processor. Records are drawn in assembly/core/completion.ts; host/io/abi.ts has the offsets.
//
// Access rule: memory is read through a MemoryView (view.ts: lasting views, made again when the memory
// grew); results and ring tails are stored with Atomics (in M:N another kernel thread reads them).

import { REQUEST, RING, IO_MODES, OP_NAMES, ERRNO, type IoMode } from "../io/abi.js";
import { PENDING, type Answer, type IoContext, type IoHost, type IoRequest } from "../io/host.js";
import { THREAD } from "../abi.js";
import type { MemoryView } from "../io/view.js";

/** The I/O modes a run may name. */
export const RUN_IO_MODES: readonly IoMode[] = ["async", "blocking", "offload"];

/** Why `mode` is refused as a run's I/O mode, or null. */
export function ioModeError(mode: unknown): string | null {
  if (mode === undefined || RUN_IO_MODES.includes(mode as IoMode)) return null;
  return `unknown I/O mode ${JSON.stringify(mode)} (async, blocking or offload)`;
}

/** The mode the request at `addr` is made in: its own, else the run's `fallback`. */
export function requestMode(memory: MemoryView, addr: number, fallback: IoMode): IoMode {
  const mode = IO_MODES[memory.u32At(addr + REQUEST.mode)];
  return !mode || mode === "default" ? fallback : mode;
}

/** Reads the request record at `addr`; `op` is undefined for an operation this host does not know. */
export function decodeRequest(memory: MemoryView, addr: number, fallback: IoMode): IoRequest {
  const { u32, i32, f64 } = memory.reach(addr + REQUEST.size), at = addr >>> 2;   // records are 8-aligned
  const thread = u32[at + (REQUEST.thread >> 2)];
  return {
    addr,
    op: OP_NAMES[u32[at + (REQUEST.op >> 2)]],
    mode: requestMode(memory, addr, fallback),
    fd: i32[at + (REQUEST.fd >> 2)],
    flags: u32[at + (REQUEST.flags >> 2)],
    ptr: u32[at + (REQUEST.ptr >> 2)],
    len: u32[at + (REQUEST.len >> 2)],
    ptr2: u32[at + (REQUEST.ptr2 >> 2)],
    len2: u32[at + (REQUEST.len2 >> 2)],
    arg: f64[(addr + REQUEST.arg) >>> 3],
    thread: thread ? memory.i32At(thread + THREAD.id) : 0,
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
export function writeResult(memory: MemoryView, addr: number, result: number): void {
  const at = addr + REQUEST.result;
  Atomics.store(memory.reach(at + 4).i32, at >>> 2, result | 0);
}

/** Appends one request address to the completion ring at `ring`, as pushCompletions does; false if the
 *  ring is full. For a completion with no backlog before it: no array made and emptied per request. */
export function pushCompletion(memory: MemoryView, ring: number, addr: number): boolean {
  if (!ring) return false;
  const capacity = memory.u32At(ring + RING.capacity);
  const { i32, u32 } = memory.reach(ring + RING.entries + 4 * capacity), at = ring >>> 2;
  const tail = Atomics.load(i32, at + (RING.tail >> 2));
  if (((tail - Atomics.load(i32, at + (RING.head >> 2))) >>> 0) >= capacity) return false;
  u32[((ring + RING.entries) >>> 2) + (tail & (capacity - 1))] = addr;
  Atomics.store(i32, at + (RING.tail >> 2), (tail + 1) | 0);
  return true;
}

/** Appends request addresses from the front of `backlog` to the completion ring at `ring` while it has
 *  room; removes what it appended and returns how many. The tail is stored last, atomically: the loop
 *  (possibly on another kernel thread) reads entries only below it. */
export function pushCompletions(memory: MemoryView, ring: number, backlog: number[]): number {
  if (!backlog.length || !ring) return 0;
  const capacity = memory.u32At(ring + RING.capacity);
  const { i32, u32 } = memory.reach(ring + RING.entries + 4 * capacity), at = ring >>> 2;
  let tail = Atomics.load(i32, at + (RING.tail >> 2));
  const room = capacity - ((tail - Atomics.load(i32, at + (RING.head >> 2))) >>> 0);
  const n = Math.min(room, backlog.length);
  if (n <= 0) return 0;
  const entries = (ring + RING.entries) >>> 2;
  for (let i = 0; i < n; i++) { u32[entries + (tail & (capacity - 1))] = backlog[i]; tail = (tail + 1) | 0; }
  Atomics.store(i32, at + (RING.tail >> 2), tail);
  backlog.splice(0, n);
  return n;
}

export { PENDING };
