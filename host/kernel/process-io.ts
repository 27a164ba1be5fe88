// A descriptor table per process (fork, host/kernel/processes.ts) over one I/O host's. POSIX gives a forked
// child its own table whose entries point at the parent's open files: closing a descriptor in one process
// leaves the other's open, and the file itself closes with its last descriptor. So a parent and child can
// each close the end of a pipe they do not use, which is how a parent reads its child's output.
//
// Before a program first forks, its I/O host's table is its own and nothing here runs. At the first fork
// both processes get a ProcessIo: every descriptor the host has open becomes an entry (a shared file,
// counted), the child's a copy of the parent's. Then each call that names a descriptor is translated to the
// host's; a call that makes one (open, listen, accept, connect, pipe) gets the lowest descriptor free in
// this process; close drops the entry, and closes the host's only with the last one.

import { ERRNO, FLAG_UTF16 } from "../io/abi.js";
import { PENDING, type Answer, type IoContext, type IoHost, type IoRequest } from "../io/host.js";

/** An open file several processes' descriptors may name. */
interface Shared { hostFd: number; refs: number }

const NAMES_FD = new Set(["read", "write", "close", "accept", "shutdown", "address"]);
const MAKES_FD = new Set(["open", "listen", "accept", "connect"]);

export class ProcessIo implements IoHost {
  private readonly table = new Map<number, Shared>();

  private constructor(private readonly host: IoHost) {}

  /** The first process's table: the host's descriptors as they are. */
  static first(host: IoHost, open: number[]): ProcessIo {
    const io = new ProcessIo(host);
    for (const fd of open) io.table.set(fd, { hostFd: fd, refs: 1 });
    return io;
  }

  /** A fork's child: the same entries, each counted once more. */
  forked(): ProcessIo {
    const io = new ProcessIo(this.host);
    for (const [fd, shared] of this.table) { shared.refs++; io.table.set(fd, shared); }
    return io;
  }

  submit(req: IoRequest, ctx: IoContext): Answer {
    if (req.op === "pipe") return this.pipe(req, ctx);
    let forward = req;
    if (NAMES_FD.has(req.op)) {
      const shared = this.table.get(req.fd);
      if (!shared) return -ERRNO.EBADF;
      if (req.op === "close") {
        this.table.delete(req.fd);
        if (--shared.refs > 0) return 0;
      }
      forward = { ...req, fd: shared.hostFd };
    }
    if (!MAKES_FD.has(req.op)) return this.host.submit(forward, ctx);
    const local = (result: number) => (result >= 0 ? this.add(result) : result);
    const answer = this.host.submit(forward, { ...ctx, complete: (addr, result) => ctx.complete(addr, local(result)) });
    return answer === PENDING ? PENDING : local(answer);
  }

  turn(): Promise<void> { return this.host.turn(); }

  /** posixSpawn's close action: drops `fd` from this table (the file closes with its last descriptor). */
  closeLocal(fd: number): boolean {
    const shared = this.table.get(fd);
    if (!shared) return false;
    this.table.delete(fd);
    if (--shared.refs === 0 && shared.hostFd > 2) this.host.submit(closeRequest(shared.hostFd), NO_CONTEXT);   // stdio stays the host's
    return true;
  }

  /** dup2: `to` names what `fd` names (what `to` named before is closed). */
  dup2(fd: number, to: number): boolean {
    const shared = this.table.get(fd);
    if (!shared || to < 0) return false;
    if (fd === to) return true;
    if (this.table.has(to)) this.closeLocal(to);
    shared.refs++;
    this.table.set(to, shared);
    return true;
  }

  /** Where print's lines for stdout (1) or stderr (2) go: "self" while the descriptor is still the
   *  host's own, null once it is closed, else a writer of text to what dup2 put there (a pipe, a file). */
  printTo(fd: 1 | 2, ctx: IoContext): ((text: string) => void) | "self" | null {
    const shared = this.table.get(fd);
    if (!shared) return null;
    if (shared.hostFd === fd) return "self";
    return (text) => {
      // Fire and forget, as print is: its text is read from the request's context, not from memory.
      const req: IoRequest = { addr: 0, op: "write", mode: "async", fd: shared.hostFd, flags: FLAG_UTF16, ptr: 0, len: text.length, ptr2: 0, len2: 0, arg: -1, thread: 0 };
      this.host.submit(req, { ...ctx, text: () => text, complete: () => {} });
    };
  }

  /** The process ended: its descriptors close, as a process's do when it exits (a pipe's reader then sees
   *  the end). The host itself is closed by the process that owns it (the first). */
  async close(): Promise<void> {
    for (const fd of [...this.table.keys()]) this.closeLocal(fd);
  }

  /** Every descriptor this process has open, for a child it forks. */
  private add(hostFd: number): number {
    let fd = 0;
    while (this.table.has(fd)) fd++;
    this.table.set(fd, { hostFd, refs: 1 });
    return fd;
  }

  /** pipe: the host's two descriptors, rewritten as this process's. */
  private pipe(req: IoRequest, ctx: IoContext): Answer {
    const answer = this.host.submit(req, ctx);
    if (answer !== 0) return answer;
    const view = new DataView(ctx.bytes(req.ptr, 8).buffer, req.ptr, 8);
    view.setInt32(0, this.add(view.getInt32(0, true)), true);
    view.setInt32(4, this.add(view.getInt32(4, true)), true);
    return 0;
  }
}

/** A close the host makes for a file no process names any more: it needs no memory and no answer. */
function closeRequest(fd: number): IoRequest {
  return { addr: 0, op: "close", mode: "async", fd, flags: 0, ptr: 0, len: 0, ptr2: 0, len2: 0, arg: -1, thread: 0 };
}
const NO_CONTEXT: IoContext = {
  bytes: () => new Uint8Array(0), text: () => "", complete: () => {}, emit: () => {},
};
