// What an I/O host is: the object that performs a weft program's system calls (assembly/sys/io.ts). The
// runner decodes each request and hands it here; the host answers at once (a number) or later
// (PENDING, then ctx.complete). Web-standard only: Node's host (node.ts) builds on the web one (web.ts).

import type { IoMode, OpName } from "./abi.js";
import type { DirectSends } from "./direct.js";

/** Returned by submit when the answer comes later through ctx.complete. */
export const PENDING = Symbol("pending");
export type Answer = number | typeof PENDING;

/** One decoded request. `mode` is resolved: the call's own, else the run's. */
export interface IoRequest {
  /** The request record's address: the key ctx.complete takes. */
  addr: number;
  op: OpName;
  mode: IoMode;
  fd: number;
  flags: number;
  ptr: number;
  len: number;
  ptr2: number;
  len2: number;
  arg: number;
  /** Id of the thread that made it (for messages). */
  thread: number;
}

/** What the runner gives an I/O host. */
export interface IoContext {
  /** A view of `len` bytes of linear memory at `ptr` (fresh: valid until the memory grows). */
  bytes(ptr: number, len: number): Uint8Array;
  /** The UTF-16 text at `ptr` (`units` code units). */
  text(ptr: number, units: number): string;
  /** Answers a PENDING request: writes `result` (>= 0 a value, < 0 a negated errno) and wakes its thread. */
  complete(addr: number, result: number): void;
  /** Program output (fd 1 stdout, 2 stderr): goes where print's lines go. */
  emit(fd: number, text: string): void;
  /** Where a call that may wait registers how to end it early (a signal interrupts its thread: Cancels).
   *  Absent: nothing is interrupted. */
  cancels?: Cancels;
}

/** A waiting call as a signal sees it: `stop` takes its waiter away (it must never complete after that). */
export interface Waiter { stop(): void }

/** Values by request address, for calls that are out. A thread makes call after call from the same request
 *  record, so an entry is not deleted when its call ends but marked ended, and the next call from that
 *  record takes it again: setting a key already present allocates nothing, where a Map that deletes and
 *  sets one key per call keeps making new tables (shrinking, then growing: ~10% of the I/O owner's
 *  allocation in the HTTP server on processors). Ended entries beyond ENDED_KEPT are swept out, so
 *  records of threads that ended cost nothing for long. */
export class ByRequest<T extends object> {
  private readonly entries = new Map<number, T | null>();
  private ended = 0;
  /** Calls out. */
  size = 0;

  get(addr: number): T | undefined { return this.entries.get(addr) ?? undefined; }

  set(addr: number, value: T): void {
    const was = this.entries.get(addr);
    if (was === null) this.ended--;
    if (!was) this.size++;
    this.entries.set(addr, value);
  }

  /** The call at `addr` ended; false if none was out. */
  delete(addr: number): boolean {
    if (!this.entries.get(addr)) return false;
    this.entries.set(addr, null);
    this.size--;
    if (++this.ended > ENDED_KEPT) this.sweep();
    return true;
  }

  clear(): void { this.entries.clear(); this.ended = 0; this.size = 0; }

  private sweep(): void {
    for (const [addr, value] of this.entries) if (value === null) this.entries.delete(addr);
    this.ended = 0;
  }
}

/** Ended entries a ByRequest keeps for their records' next calls. 4,096: a server's threads, each with a
 *  record, take them again. Not configurable. */
const ENDED_KEPT = 4096;

/** The calls of one process that a signal may interrupt (IO_OP_CANCEL, assembly/sys/io.ts): a read of a
 *  socket or a pipe, an accept, a delay, waiting with nothing moved yet. Each registers how to stop
 *  waiting (take its waiter away) while it waits; cancel then stops it and answers it -EINTR, so no byte
 *  is ever taken by a call that says EINTR. A call not registered (a file's read, a connect, a call in
 *  a helper) finishes as it would, and its thread's handler runs after it (POSIX allows both). */
export class Cancels {
  private readonly waiting = new ByRequest<Waiter>();

  /** Call `addr` waits; `waiter.stop()` ends the wait. */
  add(addr: number, waiter: Waiter): void { this.waiting.set(addr, waiter); }

  /** Call `addr` completed (or failed): it can no longer be interrupted. */
  done(addr: number): void { this.waiting.delete(addr); }

  /** Interrupts call `addr` if it still waits: stops it and answers it -EINTR through `complete`. */
  cancel(addr: number, complete: (addr: number, result: number) => void): boolean {
    const waiter = this.waiting.get(addr);
    if (!waiter) return false;
    this.waiting.delete(addr);
    waiter.stop();
    complete(addr, -EINTR);
    return true;
  }
}
const EINTR = 4;

/** Completes `req` through `ctx`, after it leaves ctx's Cancels: every completion of a call that
 *  registered there goes through this. */
export function completeCall(req: IoRequest, ctx: IoContext, result: number): void {
  ctx.cancels?.done(req.addr);
  ctx.complete(req.addr, result);
}

export interface IoHost {
  /** Performs `req`: returns its result now, or PENDING and calls ctx.complete later. */
  submit(req: IoRequest, ctx: IoContext): Answer;
  /** A blocking-mode call made on a processor of a shared run (M:N, 1:1), where that processor waits for
   *  the answer and this host's own thread must not (host/kernel/shared-io.ts, "Blocking mode"): the
   *  request to perform instead, one that does not block this thread and answers the same. `req` itself
   *  when its blocking form never waits (it answers or fails at once). Absent: `req` as it is. */
  unblocked?(req: IoRequest, ctx: IoContext): IoRequest;
  /** A shared run whose processors can write to this host's sockets themselves (host/io/direct.ts): the
   *  host offers its sockets in `sends` and keeps it told of its own writes and closes. False (or absent):
   *  every call crosses to the owner. */
  offerSends?(sends: DirectSends): boolean;
  /** The descriptors open now (fork: host/kernel/process-io.ts). Absent: 0, 1 and 2. */
  openDescriptors?(): number[];
  /** Lets the host's event loop run once while threads are still runnable (the loop's RUN_POLL). */
  turn(): Promise<void>;
  /** The run ended: close what the program left open, stop helpers. */
  close(): Promise<void>;
}
