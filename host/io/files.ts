// Files, directories and stdin for Node's I/O host: node.ts hands them here.
//
// Design note
// -----------
// A call that names a path first asks grants.ts for the host path (EACCES when it leaves every granted
// directory, in every mode), then makes the call through a verified descriptor of its directory
// (confine.ts), in the request's mode (assembly/sys/io.ts):
//   async     Node's callback API (ASYNC_OPS): libuv's thread pool makes the system call; the caller parks
//             (PENDING) and the answer comes back through ctx.complete.
//   blocking  the synchronous call (FILE_SYNC_OPS) right here: every weft thread waits for it.
//   offload   the same synchronous call on a helper Worker (pool.ts; pool-worker.ts imports this module,
//             which adds FILE_SYNC_OPS to SYNC_OPS): only the caller parks.
// The calls that name a path are written once, as scripts of system calls (confine.ts) that either API
// runs (PATH_OPS); the others once per Node API, the two side by side below. All answer
// { result, data? } so that one `finish` per operation turns either answer into the request's result.
// When the file system changed between the check and the call (confine.ts, step 4), the answer says so
// and the call is checked and made again, CHECKS_MAX times at most.
//
// Linear memory may grow, detaching its buffer, while a request is pending, so a pending call never
// holds a view of it: writes copy their bytes out before they start; reads, stat and readdir receive
// their bytes in a host buffer that `finish` copies in when the answer arrives.
//
// Descriptors are indexes in io.table (shared with sockets and URLs); a file's resource holds the OS
// descriptor. Closing a descriptor while calls on it are in flight takes it out of the table at once and
// closes the OS descriptor when the last of them ends, so the OS cannot hand the number to another open
// under them. close() at the end of a run closes whatever the program left open.
//
// open: a directory opens for reading (reading it is then EISDIR, as read(2) has it). Flags that make no
// sense together are EINVAL rather than whatever the OS makes of them: O_EXCLUSIVE without O_CREATE,
// O_TRUNCATE or O_APPEND without O_WRITE. No access flag means O_READ.
//
// Stdin (fd 0): StdinReader. Reading fd 1 or 2 is EBADF (writes to stdio are web.ts's).

import fs from "node:fs";
import {
  ERRNO, errnoOf, FLAG_UTF16, O_READ, O_WRITE, O_CREATE, O_TRUNCATE, O_APPEND, O_EXCLUSIVE, STAT,
  KIND_FILE, KIND_DIR, KIND_SYMLINK, KIND_OTHER,
} from "./abi.js";
import { PENDING, type Answer, type IoContext, type IoRequest } from "./host.js";
import { SYNC_OPS, type SyncAnswer } from "./sync-ops.js";
import {
  PATH_CHANGED, runSync, runAsync, openChecked, statChecked, readdirChecked, unlinkChecked, mkdirChecked, type Script,
} from "./confine.js";
import type { CheckedPath } from "./grants.js";
import { blockFor } from "./web.js";
import type { NodeServices } from "./services.js";

/** Most bytes one read moves; a longer request gets a short read, as POSIX allows. 16 MiB, not tuned: it
 *  bounds the host buffer a read allocates, which the program's `len` alone would not. Not
 *  configurable. */
const READ_MAX = 16 << 20;

/** Longest pause (ms) between read(2) attempts on a non-blocking stdin (readStdinSync); the first pauses
 *  are 1, 2, 4... ms so a steady flow is read promptly. 50: bounds how late a blocked read sees data
 *  that arrives while it sleeps, at 20 wake-ups a second while none comes. Not configurable. */
const STDIN_POLL_MAX_MS = 50;

/** Most times a call that names a path is checked and made while the path keeps changing between the
 *  check and the call (confine.ts, step 4); after that it is refused with EACCES. 4: one change is what a
 *  file replaced by a symlink once makes; only a path swapped back and forth without pause needs more,
 *  and it is then refused. Not configurable. */
const CHECKS_MAX: number = 4;

/** What a file descriptor refers to (io.table). */
export interface FileResource {
  kind: "file";
  osfd: number;
  /** The host path it was opened by (for messages). */
  path: string;
  /** Calls in flight on it (async and offload). */
  busy: number;
  /** Taken out of the table; the OS descriptor closes when `busy` reaches 0. */
  closed: boolean;
}

// ─── The operations: path calls as scripts (PATH_OPS), the others once per Node API ───────────────────

type Done = (a: SyncAnswer) => void;
/** A failed call's answer; `changed` when the path changed since it was checked (confine.ts). */
const fail = (e: unknown): SyncAnswer => ((e as { code?: string })?.code === PATH_CHANGED
  ? { result: -ERRNO.EACCES, changed: true } : { result: errnoOf(e) });

/** The 32-byte stat record (abi.ts, STAT) for `s`. */
function statRecord(s: fs.Stats): Uint8Array {
  const record = new Uint8Array(STAT.bytes);
  const view = new DataView(record.buffer);
  const kind = s.isFile() ? KIND_FILE : s.isDirectory() ? KIND_DIR : s.isSymbolicLink() ? KIND_SYMLINK
    : KIND_OTHER;
  view.setInt32(STAT.kind, kind, true);
  view.setInt32(STAT.mode, s.mode & 0o7777, true);
  view.setFloat64(STAT.size, s.size, true);
  view.setFloat64(STAT.mtimeMs, s.mtimeMs, true);
  view.setFloat64(STAT.ctimeMs, s.ctimeMs, true);
  return record;
}

/** Directory entries as readdir's answer wants them: sorted by their bytes, each followed by a 0 byte. */
function nameList(names: Buffer[]): Uint8Array {
  names.sort(Buffer.compare);
  const out = new Uint8Array(names.reduce((n, name) => n + name.length + 1, 0));
  let at = 0;
  for (const name of names) { out.set(name, at); at += name.length + 1; }
  return out;
}

/** `buffer`'s first `n` bytes in a Uint8Array that owns its whole ArrayBuffer (it may be transferred). */
function owned(buffer: Uint8Array, n: number): Uint8Array {
  return n === buffer.buffer.byteLength ? buffer : buffer.slice(0, n);
}

/** Copies `data` into linear memory at `ptr` (called when an answer arrives, never earlier: design
 *  note); returns its length. */
function place(ctx: IoContext, ptr: number, data: Uint8Array): number {
  ctx.bytes(ptr, data.length).set(data);
  return data.length;
}

/** Writes all of `data` (write(2) may take less than asked); returns the bytes written, fewer only if a
 *  write took none. */
function writeAllSync(osfd: number, data: Uint8Array, position: number | null): number {
  let done = 0;
  do {
    const n = fs.writeSync(osfd, data, done, data.length - done, position === null ? null : position + done);
    if (n === 0 && data.length > 0) break;
    done += n;
  } while (done < data.length);
  return done;
}

/** Reads stdin with read(2). Node makes a pipe it reads asynchronously non-blocking (for the whole
 *  process), so after an async read of stdin this can meet EAGAIN: it then sleeps and tries again, as a
 *  blocking read would wait, without spinning. */
function readStdinSync(buffer: Uint8Array): number {
  for (let pause = 1; ; pause = Math.min(pause * 2, STDIN_POLL_MAX_MS)) {
    try { return fs.readSync(0, buffer, 0, buffer.length, null); }
    catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EOF") return 0;                          // Windows says so at the end of a pipe
      if (code !== "EAGAIN") throw e;
      blockFor(pause);
    }
  }
}

/** The calls that name a path, each run with either API (confine.ts): its script, given the checked path
 *  (and open's OS flags), and how the script's value becomes the answer. */
const PATH_OPS: Record<string, { script: (args: PathArgs) => Script<any>; answer: (value: any) => SyncAnswer }> = {
  open: { script: ({ target, flags }) => openChecked(target, flags!), answer: (osfd: number) => ({ result: osfd }) },
  stat: { script: ({ target }) => statChecked(target), answer: (s: fs.Stats) => ({ result: 0, data: statRecord(s) }) },
  readdir: {
    script: ({ target }) => readdirChecked(target),
    answer: (names: Buffer[]) => { const list = nameList(names); return { result: list.length, data: list }; },
  },
  unlink: { script: ({ target }) => unlinkChecked(target), answer: () => ({ result: 0 }) },
  mkdir: { script: ({ target }) => mkdirChecked(target), answer: () => ({ result: 0 }) },
};

interface PathArgs { target: CheckedPath; flags?: number }

/** The synchronous operations: blocking mode calls them here, offload mode on a helper Worker. */
export const FILE_SYNC_OPS: Record<string, (args: any) => SyncAnswer> = {
  close({ osfd }: { osfd: number }) {
    try { fs.closeSync(osfd); return { result: 0 }; } catch (e) { return fail(e); }
  },
  read({ osfd, len, position }: { osfd: number; len: number; position: number | null }) {
    try {
      const buffer = new Uint8Array(len);
      const n = fs.readSync(osfd, buffer, 0, len, position);
      return { result: n, data: owned(buffer, n) };
    } catch (e) { return fail(e); }
  },
  write({ osfd, data, position }: { osfd: number; data: Uint8Array; position: number | null }) {
    try { return { result: writeAllSync(osfd, data, position) }; } catch (e) { return fail(e); }
  },
  readStdin({ len }: { len: number }) {
    try {
      const buffer = new Uint8Array(len);
      const n = readStdinSync(buffer);
      return { result: n, data: owned(buffer, n) };
    } catch (e) { return fail(e); }
  },
};

/** The same operations with Node's callbacks (async mode). */
const ASYNC_OPS: Record<string, (args: any, done: Done) => void> = {
  close({ osfd }, done) { fs.close(osfd, (e) => done(e ? fail(e) : { result: 0 })); },
  read({ osfd, len, position }, done) {
    const buffer = Buffer.allocUnsafe(len);
    fs.read(osfd, buffer, 0, len, position,
      (e, n) => done(e ? fail(e) : { result: n, data: buffer.subarray(0, n) }));
  },
  write({ osfd, data, position }: { osfd: number; data: Uint8Array; position: number | null }, done) {
    const from = (at: number): void => {
      fs.write(osfd, data, at, data.length - at, position === null ? null : position + at, (e, n) => {
        if (e) done(fail(e));
        else if (at + n < data.length && n > 0) from(at + n);
        else done({ result: at + n });
      });
    };
    from(0);
  },
};

for (const [op, { script, answer }] of Object.entries(PATH_OPS)) {
  FILE_SYNC_OPS[op] = (args: PathArgs) => {
    try { return answer(runSync(script(args))); } catch (e) { return fail(e); }
  };
  ASYNC_OPS[op] = (args: PathArgs, done) => runAsync(script(args), (e, value) => done(e ? fail(e) : answer(value)));
}
Object.assign(SYNC_OPS, FILE_SYNC_OPS);

// ─── Requests ─────────────────────────────────────────────────────────────────────────────────────────

/** open flags (abi.ts, O_*) as the OS's; null for a combination that makes no sense (design note). */
function osFlags(flags: number): number | null {
  const known = O_READ | O_WRITE | O_CREATE | O_TRUNCATE | O_APPEND | O_EXCLUSIVE;
  if (flags & ~known) return null;
  if (flags & O_EXCLUSIVE && !(flags & O_CREATE)) return null;
  if (flags & (O_TRUNCATE | O_APPEND) && !(flags & O_WRITE)) return null;
  const c = fs.constants;
  let os = flags & O_WRITE ? (flags & O_READ ? c.O_RDWR : c.O_WRONLY) : c.O_RDONLY;   // no access bit: read
  if (flags & O_CREATE) os |= c.O_CREAT;
  if (flags & O_EXCLUSIVE) os |= c.O_EXCL;
  if (flags & O_TRUNCATE) os |= c.O_TRUNC;
  if (flags & O_APPEND) os |= c.O_APPEND;
  return os;
}

/** A request's file position (`arg`): null for "the current one" (-1), undefined when invalid. */
function positionOf(arg: number): number | null | undefined {
  if (arg === -1) return null;
  return Number.isSafeInteger(arg) && arg >= 0 ? arg : undefined;
}

const encoder = new TextEncoder();

export class FileOps {
  private readonly stdin = new StdinReader();
  /** The run is over: answers that arrive now are dropped, descriptors they open are closed. */
  private ended = false;

  constructor(readonly io: NodeServices) {}

  submit(req: IoRequest, ctx: IoContext): Answer {
    switch (req.op) {
      case "open": return this.open(req, ctx);
      case "stat":
        if (req.len2 < STAT.bytes || !req.ptr2) return -ERRNO.EINVAL;
        return this.pathCall(req, ctx, true, {}, (a) => { place(ctx, req.ptr2, a.data!); return 0; });
      case "readdir":                             // the names go in only if they fit; the result is what they need
        return this.pathCall(req, ctx, true, {}, (a) => {
          if (a.result <= req.len2) place(ctx, req.ptr2, a.data!);
          return a.result;
        });
      case "unlink": case "mkdir": return this.pathCall(req, ctx, false, {});
      case "read": case "write": case "close": return this.onDescriptor(req, ctx);
    }
    return -ERRNO.ENOTSUP;
  }

  async close(): Promise<void> {
    this.ended = true;
    this.stdin.close();
    for (const [fd, r] of this.io.table.entries()) {
      if (r.kind !== "file") continue;
      this.io.table.remove(fd);
      const file = r as FileResource;
      file.closed = true;
      if (!file.busy) try { fs.closeSync(file.osfd); } catch { /* nothing left to tell */ }
    }
  }

  /** Runs `op` in req's mode; `finish` turns a successful answer into the result. `file`: the descriptor
   *  the call works on (kept open until the call ends). `again`: given the answer, the Answer of a new
   *  attempt to stand in for it, or null to keep it. */
  private perform(req: IoRequest, ctx: IoContext, op: string, args: object,
    finish: (a: SyncAnswer) => number = (a) => a.result, file?: FileResource,
    again: (a: SyncAnswer) => Answer | null = () => null): Answer {
    const end = (a: SyncAnswer) => (a.result < 0 ? a.result : finish(a));
    if (req.mode === "blocking") {
      const a = FILE_SYNC_OPS[op](args);
      return again(a) ?? end(a);
    }
    if (file) file.busy++;
    const answer = (a: SyncAnswer | null) => {
      if (file) this.release(file);
      if (this.ended) { if (op === "open" && a && a.result >= 0) fs.close(a.result, () => {}); return; }
      const next = a && again(a);
      if (next === PENDING) return;                   // the new attempt completes the request
      ctx.complete(req.addr, next ?? (a ? end(a) : -ERRNO.EIO));
    };
    if (req.mode === "offload") this.io.pool.run(op, args).then(answer, () => answer(null));
    else ASYNC_OPS[op](args, answer);
    return PENDING;
  }

  /** open, stat, readdir, unlink, mkdir: the guest path is checked (grants.ts), then the call is made on
   *  what the check answered (PATH_OPS, confine.ts), with `args` besides. When the path changed between
   *  the two, both are done again (the `checks`-th time now; CHECKS_MAX). `finish` also gets the target. */
  private pathCall(req: IoRequest, ctx: IoContext, follow: boolean, args: object,
    finish: (a: SyncAnswer, target: CheckedPath) => number = (a) => a.result,
    guest = ctx.text(req.ptr, req.len), checks = 1): Answer {
    const target = this.io.grants.check(guest, follow);
    if (typeof target === "number") return target;
    const again = (a: SyncAnswer) => (a.changed && checks < CHECKS_MAX
      ? this.pathCall(req, ctx, follow, args, finish, guest, checks + 1) : null);
    return this.perform(req, ctx, req.op, { ...args, target }, (a) => finish(a, target), undefined, again);
  }

  private open(req: IoRequest, ctx: IoContext): Answer {
    const flags = osFlags(req.flags);
    if (flags === null) return -ERRNO.EINVAL;
    return this.pathCall(req, ctx, true, { flags }, (a, target) => {
      const file: FileResource = { kind: "file", osfd: a.result, path: target.path, busy: 0, closed: false };
      return this.io.table.add(file);
    });
  }

  private onDescriptor(req: IoRequest, ctx: IoContext): Answer {
    const r = this.io.table.get(req.fd);
    if (r?.kind === "stdio") {
      if (req.op === "close") { this.io.table.remove(req.fd); return 0; }
      if (req.op === "read" && r.fd === 0) return this.stdin.read(req, ctx, this.io);
      return -ERRNO.EBADF;
    }
    if (r?.kind !== "file") return -ERRNO.EBADF;
    const file = r as FileResource;
    if (req.op === "close") {
      this.io.table.remove(req.fd);
      file.closed = true;
      if (file.busy) return 0;                        // the last call in flight closes it (release)
      return this.perform(req, ctx, "close", { osfd: file.osfd });
    }
    const position = positionOf(req.arg);
    if (position === undefined) return -ERRNO.EINVAL;
    if (req.op === "read") {
      const len = Math.min(req.len, READ_MAX);
      const args = { osfd: file.osfd, len, position };
      return this.perform(req, ctx, "read", args, (a) => place(ctx, req.ptr, a.data!), file);
    }
    // write: the bytes leave linear memory now (design note); blocking mode writes straight from it.
    let data: Uint8Array;
    if (req.flags & FLAG_UTF16) data = encoder.encode(ctx.text(req.ptr, req.len));
    else data = req.mode === "blocking" ? ctx.bytes(req.ptr, req.len) : ctx.bytes(req.ptr, req.len).slice();
    if (data.length > 0x7fff_ffff) return -ERRNO.EINVAL;     // its count would not fit the result
    return this.perform(req, ctx, "write", { osfd: file.osfd, data, position }, undefined, file);
  }

  /** Ends a call on `file`; closes the OS descriptor if the program closed it meanwhile. */
  private release(file: FileResource): void {
    file.busy--;
    if (file.closed && file.busy === 0) fs.close(file.osfd, () => {});
  }
}

// ─── Stdin ────────────────────────────────────────────────────────────────────────────────────────────

/** Reads of fd 0.
 *
 *  Async reads go through process.stdin: its chunks queue here and each waiting read takes from the
 *  front. While no read waits the stream is paused and unref'd, so it never keeps the process alive for
 *  a program that stopped reading. Pausing does not stop Node reading, though: it reads ahead into the
 *  stream's own buffer (up to its highWaterMark).
 *
 *  Blocking reads take, in order, what the queue holds, then what the stream buffered (drain), then
 *  call read(2) on fd 0 (readStdinSync). That keeps the bytes in order: the stream cannot read while
 *  this thread blocks, and what it read before is older than anything read(2) returns now.
 *
 *  Offload reads do the same on a helper Worker until the stream is first opened; after that a helper's
 *  read(2) would race the stream (Node reads the pipe whenever its event loop runs), so they wait on the
 *  stream as async reads do. Only the caller parks either way, which is what offload promises.
 *
 *  Concurrent reads each get some of the bytes, in no promised order, as with concurrent read(2)s. */
class StdinReader {
  private queue: Uint8Array[] = [];
  private waiting: { req: IoRequest; ctx: IoContext }[] = [];
  private stream: NodeJS.ReadStream | null = null;
  /** Set once the stream is over: 0 at its end, or the negated errno it failed with. */
  private over: number | null = null;
  private readonly onData = (chunk: Buffer) => { this.queue.push(chunk); this.serve(); };
  private readonly onEnd = () => { this.over ??= 0; this.serve(); };
  private readonly onError = (e: Error) => { this.over ??= errnoOf(e); this.serve(); };

  read(req: IoRequest, ctx: IoContext, io: NodeServices): Answer {
    if (req.len === 0) return 0;
    if (req.mode !== "async") this.drain();
    if (this.queue.length) return this.take(req, ctx);
    if (this.over !== null) return this.over;
    const len = Math.min(req.len, READ_MAX);
    const placed = (a: SyncAnswer) => place(ctx, req.ptr, a.data!);
    if (req.mode === "blocking") {
      const a = FILE_SYNC_OPS.readStdin({ len });
      return a.result < 0 ? a.result : placed(a);
    }
    if (req.mode === "offload" && !this.stream) return io.offload(req, ctx, "readStdin", { len }, placed);
    this.waiting.push({ req, ctx });
    const s = this.open();
    s.ref?.();
    s.resume();
    return PENDING;
  }

  close(): void {
    const s = this.stream;
    if (!s) return;
    s.off("data", this.onData).off("end", this.onEnd).off("error", this.onError);
    s.pause();
    s.unref?.();
    this.stream = null;
    this.waiting = [];
  }

  private open(): NodeJS.ReadStream {
    this.stream ??= process.stdin.on("data", this.onData).on("end", this.onEnd).on("error", this.onError);
    return this.stream;
  }

  /** Moves what the paused stream read ahead into the queue (read() hands each chunk to onData). */
  private drain(): void {
    const s = this.stream;
    while (s && s.readableLength > 0 && s.read() !== null) { /* onData queued it */ }
  }

  /** Answers waiting reads while there is something to answer; pauses the stream when none waits. */
  private serve(): void {
    while (this.waiting.length && (this.queue.length || this.over !== null)) {
      const { req, ctx } = this.waiting.shift()!;
      ctx.complete(req.addr, this.queue.length ? this.take(req, ctx) : this.over!);
    }
    if (!this.waiting.length && this.stream) { this.stream.pause(); this.stream.unref?.(); }
  }

  /** Moves queued bytes into the request's buffer; returns how many. */
  private take(req: IoRequest, ctx: IoContext): number {
    const len = Math.min(req.len, READ_MAX);
    let n = 0;
    while (n < len && this.queue.length) {
      const chunk = this.queue[0];
      const k = Math.min(chunk.length, len - n);
      ctx.bytes(req.ptr + n, k).set(chunk.subarray(0, k));
      n += k;
      if (k === chunk.length) this.queue.shift();
      else this.queue[0] = chunk.subarray(k);
    }
    return n;
  }
}
