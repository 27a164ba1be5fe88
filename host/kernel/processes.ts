// Processes for N:1 programs: fork's copy and waitpid (assembly/core/fork.ts is the core's side, with the
// design note). Web-standard APIs only.
//
// Fork protocol (the host's steps; the core's are in core/fork.ts):
//   1. the fork request (IO_OP_FORK) is answered "pending" and remembered; the loop goes on until it next
//      returns to the host, when no thread runs;
//   2. a new instance of the same module is made, its output muted while its start function runs (the
//      program's top-level code: what it does is overwritten by the copy);
//   3. synchronously: the parent's globals are saved into its memory (weft_globals_save), the memory is
//      copied into the child's (grown to the same size), the child loads the globals (weft_globals_load)
//      and becomes a process of its own (weft_fork_child);
//   4. the request completes with 0 in the child and with the child's id in the parent, and the child's
//      loop starts, beside the parent's, on the same JavaScript thread (each gives the other turns:
//      hostSlice). A child is not a Worker: N:1 programs run on the thread that loaded them.
// When a child's run ends, its wait status (Linux's encoding) waits for waitpid, and the parent is sent
// SIGCHLD (ignored unless it has a handler).
//
// Spawn and exec. posixSpawn(path, args, actions) loads another program (RunOptions.loadProgram: weft/node
// reads a .wasm or builds a .ts; a page fetches it) and starts it as a new process of the family, with a
// copy of the caller's descriptor table changed by the actions (close, dup2) and its arguments; nothing of
// the caller's memory is copied, which is why it is the safe alternative to fork. exec(path, args) loads
// the program and, at the loop's next return to the host, puts it in the caller's place: same id, parent,
// children, descriptors and output; the old instance and all its threads are gone, and a parent's waitpid
// sees the new program's end.

import { REQUEST } from "../io/abi.js";
import type { ProcessIo } from "./process-io.js";

export const ECHILD = 10, ENOSYS = 38, EINVAL = 22, ENOEXEC = 8, EBADF = 9, ESRCH = 3, ENOMEM = 12, EINTR = 4;
export const WNOHANG = 1;
export const SIGCHLD = 17;

/** A process as kill reaches it. */
export interface Signalable { signal(sig: number): void }

/** Process ids for a family of processes (the first program is 1), and the ones still running, which
 *  kill can reach. */
export class ProcessIds {
  private next = 2;
  readonly running = new Map<number, Signalable>();
  take(): number { return this.next++; }
}

/** A wait status as Linux encodes it: exit code c → c << 8; killed by signal s → s. */
export function waitStatus(status: string, exitCode: number, signal?: number): number {
  if (status === "signaled" && signal) return signal & 0x7f;
  return (exitCode & 0xff) << 8;
}

interface Child { pid: number; ended: boolean; status: number }
interface Waiter { addr: number; pid: number; ptr: number; len: number }

/** A process's children and its threads waiting for them. */
export class Children {
  private readonly children = new Map<number, Child>();
  private waiters: Waiter[] = [];

  constructor(private memory: () => WebAssembly.Memory, private complete: (addr: number, result: number) => void) {}

  /** exec: the children pass to the process's new image (its memory, its way of answering). Threads that
   *  waited for them were the old image's: gone with it. */
  rebind(memory: () => WebAssembly.Memory, complete: (addr: number, result: number) => void): void {
    this.memory = memory;
    this.complete = complete;
    this.waiters = [];
  }

  add(pid: number): void { this.children.set(pid, { pid, ended: false, status: 0 }); }

  /** waitpid's request: the answer now (a pid, 0, or a negated errno), or null: it waits. */
  wait(addr: number): number | null {
    const view = new DataView(this.memory().buffer, addr, REQUEST.size);
    const pid = view.getInt32(REQUEST.fd, true), options = view.getUint32(REQUEST.flags, true);
    const waiter = { addr, pid, ptr: view.getUint32(REQUEST.ptr, true), len: view.getUint32(REQUEST.len, true) };
    if (options & ~WNOHANG) return -EINVAL;
    const candidates = [...this.children.values()].filter((c) => pid === -1 || c.pid === pid);
    if (!candidates.length) return -ECHILD;
    const ended = candidates.find((c) => c.ended);
    if (ended) return this.reap(ended, waiter);
    if (options & WNOHANG) return 0;
    this.waiters.push(waiter);
    return null;
  }

  /** Child `pid` ended with `status`: the first thread waiting for it takes it. */
  ended(pid: number, status: number): void {
    const child = this.children.get(pid);
    if (!child) return;
    child.ended = true;
    child.status = status;
    const i = this.waiters.findIndex((w) => w.pid === -1 || w.pid === pid);
    if (i < 0) return;
    const [waiter] = this.waiters.splice(i, 1);
    this.complete(waiter.addr, this.reap(child, waiter));
  }

  /** A wait interrupted by a signal: it waits no more and says -EINTR. False if `addr` does not wait. */
  cancel(addr: number): boolean {
    const i = this.waiters.findIndex((w) => w.addr === addr);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    this.complete(addr, -EINTR);
    return true;
  }

  private reap(child: Child, waiter: Waiter): number {
    this.children.delete(child.pid);
    if (waiter.ptr && waiter.len >= 4) new DataView(this.memory().buffer).setInt32(waiter.ptr, child.status, true);
    return child.pid;
  }
}

/** Copies the first `length` bytes of `from` into `to`, a page (4 KiB) at a time, skipping pages that are
 *  zero in `from` where `to` is still zero (past `written`, the bytes of `to` anything wrote: fresh memory
 *  reads zero); below it such a page is cleared. The first write to a page of fresh memory costs the
 *  kernel a fault (~12 µs a page on this machine today: fork's copy is nearly all of fork_ms), and a heap
 *  holds zero pages: never used, or objects not yet written (bench/programs/process_cost.ts keeps 256
 *  arrays of 64 KiB with one byte set, so nearly all of its 16 MB). */
export function copyMemory(from: ArrayBufferLike, to: ArrayBufferLike, length: number, written = 0): void {
  const BLOCK = 4096;
  const src = new Uint8Array(from, 0, length), dst = new Uint8Array(to, 0, length);
  const words = new Uint32Array(from, 0, length >> 2);
  for (let at = 0; at < length; at += BLOCK) {
    const end = Math.min(at + BLOCK, length);
    let i = at >> 2;
    const last = end >> 2;
    while (i < last && words[i] === 0) i++;
    if (i < last || (end & 3) !== 0) dst.set(src.subarray(at, end), at);
    else if (at < written) dst.fill(0, at, end);
  }
}

/** posixSpawn's actions, i32 triples (1 close fd, 2 dup2 fd onto to), on the child's table. 0 or -EBADF. */
export function applyActions(io: ProcessIo, actions: number[]): number {
  for (let i = 0; i < actions.length; i += 3) {
    const [kind, fd, to] = [actions[i], actions[i + 1], actions[i + 2]];
    const ok = kind === 1 ? io.closeLocal(fd) : kind === 2 ? io.dup2(fd, to) : false;
    if (!ok) return -EBADF;
  }
  return 0;
}
