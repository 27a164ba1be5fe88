// The WASI flavour: weft's kernel inside the module, for hosts that speak only WASI preview 1.
//
// Design note
// -----------
// `weft build --target wasi` makes a module that any WASI runtime (Node's node:wasi, wasmtime, wasmer,
// WAMR) runs as a command: its only imports are `wasi_snapshot_preview1` functions and it exports
// `_start`. The core is the same; what changes is who plays the kernel. The host's imports (`weft.now`,
// `write`, `died`, `io_submit`, `wall`, `env.abort`, `env.seed`) become calls to the functions below —
// the build swaps each imported function for a call to its `__weft_wasi_*` twin (host/compiler/pipeline.ts,
// "WASI flavour") — and `_start` runs the host's loop (ABI.md, "Start protocols, N:1") in Wasm:
//
//   _start: the program's top-level initialisers; weft_start(); then weft_run() until the program ends:
//     RUN_AGAIN                call again;
//     RUN_WAIT                 poll_oneoff on a relative monotonic clock until weft_wake_at();
//     RUN_EXITED               proc_exit(main's value), or 1 when main died;
//     RUN_DEADLOCK             the report weft's own host prints, on stderr; proc_exit(3), the status
//                              `weft run` gives a deadlock.
//
// What WASI preview 1 cannot give, and what that means:
//   - No asynchronous completion. Every system call is answered at once, as in blocking mode: a thread
//     reading a file stalls the other threads for as long as the read takes (files and stdio; a read of a
//     terminal or a pipe waits for its data). `ioDelay` sleeps the whole program. The completion ring is
//     never used; RUN_POLL never comes.
//   - No sockets (preview 1 has none to open): listen, accept, connect, shutdown and address answer
//     ENOSYS. No `--processors`: a WASI module is N:1 (preview 1 has no threads either).
//   - No catching a trap. A Wasm trap ends the instance in every WASI runtime, so a thread that traps —
//     `abort` (a failed assertion, an index out of range), or a trap of the engine's — ends the program
//     with exit code 1 after one line naming the thread, where weft's own host would end only that thread.
//     Deaths the core detects itself (a stack or save area past its limit, no memory) still end only
//     their thread, as everywhere.
//   - Paths: a relative path is looked up in the preopened directory named "." (wasmtime `--dir .`,
//     node:wasi `preopens: { ".": dir }`); any path is looked up in the preopen whose name is its longest
//     leading match. The preopens are the grants: a path under none is EACCES. Stat has no permission
//     bits to report (mode 0).
//
// Nothing here allocates: text goes through a static line buffer, paths through a static path buffer.

import { Thread } from "../core/layout";
import { currentThread } from "../core/scheduler";
import { mainExitValue, mainErrorMessage } from "../core/thread";
import { threadAt, threadTableUsed } from "../core/table";
import { weft_run, weft_wake_at } from "./abi";
import {
  IoRequest, IO_OP_OPEN, IO_OP_CLOSE, IO_OP_READ, IO_OP_WRITE, IO_OP_STAT, IO_OP_UNLINK, IO_OP_MKDIR, IO_OP_DELAY,
  IO_OP_READDIR, IO_FLAG_UTF16,
} from "./io";
import {
  EPERM, ENOENT, EIO, EBADF, EAGAIN, ENOMEM, EACCES, EEXIST, ENOTDIR, EISDIR, EINVAL, EMFILE, ENOSPC, EPIPE,
  ENAMETOOLONG, ENOTEMPTY, ENOTSUP, EBUSY,
} from "../core/errno";

// ---- wasi_snapshot_preview1 -------------------------------------------------------------------------

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: usize, written: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLen: usize, read: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_pread")
declare function fd_pread(fd: u32, iovs: usize, iovsLen: usize, offset: u64, read: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_pwrite")
declare function fd_pwrite(fd: u32, iovs: usize, iovsLen: usize, offset: u64, written: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_close")
declare function fd_close(fd: u32): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_readdir")
declare function fd_readdir(fd: u32, buf: usize, bufLen: usize, cookie: u64, used: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_get")
declare function fd_prestat_get(fd: u32, prestat: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
declare function fd_prestat_dir_name(fd: u32, path: usize, pathLen: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_open")
declare function path_open(dirFd: u32, lookup: u32, path: usize, pathLen: usize, oflags: u16, rights: u64, inheriting: u64, fdflags: u16, fd: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_filestat_get")
declare function path_filestat_get(dirFd: u32, lookup: u32, path: usize, pathLen: usize, stat: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_unlink_file")
declare function path_unlink_file(dirFd: u32, path: usize, pathLen: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_create_directory")
declare function path_create_directory(dirFd: u32, path: usize, pathLen: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "clock_time_get")
declare function clock_time_get(clock: u32, precision: u64, time: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "poll_oneoff")
declare function poll_oneoff(subscriptions: usize, events: usize, count: usize, happened: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function random_get(buf: usize, len: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: u32): void;

// @ts-ignore: decorator
@inline const CLOCK_REALTIME: u32 = 0;
// @ts-ignore: decorator
@inline const CLOCK_MONOTONIC: u32 = 1;
// @ts-ignore: decorator
@inline const WASI_EBADF: u16 = 8;
// @ts-ignore: decorator
@inline const LOOKUP_FOLLOW: u32 = 1;

// Rights (path_open): what a descriptor opened for reading, and for writing, may do.
// @ts-ignore: decorator
@inline const RIGHTS_READ: u64 = (1 << 1) | (1 << 2) | (1 << 5) | (1 << 7) | (1 << 14) | (1 << 21);
// @ts-ignore: decorator
@inline const RIGHTS_WRITE: u64 = (1 << 0) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 21) | (1 << 22);

/** The top-level initialisers: the build puts a call to the program's start function here (asc would
 *  otherwise run it at instantiation, before a WASI runtime has given the module its imports' memory). */
// @ts-ignore: decorator
@external("weft:intrinsic", "program_init")
export declare function wasiProgramInit(): void;

// ---- static buffers -----------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline const LINE_BYTES: usize = 4096;
const line: usize = memory.data(<i32>LINE_BYTES + 8, 16);
let lineUsed: usize = 0;
let lineFd: u32 = 1;
/** Scratch for calls: iovecs, results, poll records (64-byte aligned slots). */
const scratch: usize = memory.data(256, 16);
// @ts-ignore: decorator
@inline const PATH_BYTES: usize = 4096;
const pathBuf: usize = memory.data(<i32>PATH_BYTES, 16);
const preopenName: usize = memory.data(<i32>PATH_BYTES, 16);

let mainDied = false;

// ---- output -------------------------------------------------------------------------------------------

/** Writes all `len` bytes at `ptr` to `fd`; a negated Linux errno on failure, else the bytes. */
function writeAll(fd: u32, ptr: usize, len: usize): i32 {
  let done: usize = 0;
  while (done < len) {
    store<usize>(scratch, ptr + done);
    store<usize>(scratch, len - done, 4);
    let e = fd_write(fd, scratch, 1, scratch + 8);
    if (e != 0) return -linuxErrno(e);
    let n = load<usize>(scratch, 8);
    if (n == 0) return -EIO;
    done += n;
  }
  return <i32>len;
}

function flushLine(): void {
  if (lineUsed > 0) writeAll(lineFd, line, lineUsed);
  lineUsed = 0;
}

/** Appends UTF-16 text as UTF-8 to the line buffer, flushing it as it fills. */
function putUtf16(ptr: usize, units: usize): void {
  let i: usize = 0;
  while (i < units) {
    if (LINE_BYTES - lineUsed < 4) flushLine();
    let c = <u32>load<u16>(ptr + (i << 1));
    i++;
    if (c >= 0xd800 && c < 0xdc00 && i < units) {
      let d = <u32>load<u16>(ptr + (i << 1));
      if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
    }
    let out = line + lineUsed;
    if (c < 0x80) { store<u8>(out, c); lineUsed += 1; }
    else if (c < 0x800) { store<u8>(out, 0xc0 | (c >> 6)); store<u8>(out, 0x80 | (c & 63), 1); lineUsed += 2; }
    else if (c < 0x10000) {
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;          // a lone surrogate
      store<u8>(out, 0xe0 | (c >> 12)); store<u8>(out, 0x80 | ((c >> 6) & 63), 1); store<u8>(out, 0x80 | (c & 63), 2);
      lineUsed += 3;
    } else {
      store<u8>(out, 0xf0 | (c >> 18)); store<u8>(out, 0x80 | ((c >> 12) & 63), 1);
      store<u8>(out, 0x80 | ((c >> 6) & 63), 2); store<u8>(out, 0x80 | (c & 63), 3);
      lineUsed += 4;
    }
  }
}

function putString(s: usize): void {
  if (s != 0) putUtf16(s, <usize>changetype<string>(s).length);
}

function putAscii(s: string): void { putString(changetype<usize>(s)); }

function putInt(v: i64): void {
  if (v < 0) { putAscii("-"); v = -v; }
  let digits = scratch + 128;
  let n = 0;
  do { store<u8>(digits + n++, <u8>(48 + v % 10)); v /= 10; } while (v != 0);
  if (LINE_BYTES - lineUsed < 24) flushLine();
  while (n > 0) store<u8>(line + lineUsed++, load<u8>(digits + --n));
}

function putHex(v: u32): void {
  putAscii("0x");
  let started = false;
  for (let shift = 28; shift >= 0; shift -= 4) {
    let d = (v >> shift) & 15;
    if (d == 0 && !started && shift > 0) continue;
    started = true;
    if (LINE_BYTES - lineUsed < 4) flushLine();
    store<u8>(line + lineUsed++, <u8>(d < 10 ? 48 + d : 87 + d));
  }
}

function beginLine(fd: u32): void { flushLine(); lineFd = fd; }

function endLine(): void {
  store<u8>(line + lineUsed++, 10);
  flushLine();
}

// ---- the host's imports, as WASI calls ---------------------------------------------------------------

function clockMs(clock: u32): f64 {
  if (clock_time_get(clock, 1000, scratch) != 0) return 0;
  return <f64>load<u64>(scratch) / 1e6;
}

/** weft.now: the monotonic clock, in ms. */
export function __weft_wasi_now(): f64 { return clockMs(CLOCK_MONOTONIC); }

/** weft.wall: ms since the Unix epoch. */
export function __weft_wasi_wall(): f64 { return clockMs(CLOCK_REALTIME); }

/** weft.write: one line of UTF-16 text to stdout (fd 1) or stderr (any other stream is stdout, as in
 *  weft's own host: fd 2 is stderr). */
export function __weft_wasi_write(fd: i32, ptr: usize, units: i32): void {
  beginLine(fd == 2 ? 2 : 1);
  putUtf16(ptr, <usize>units);
  endLine();
}

/** weft.died: a thread the core ended (its stack or save area past its limit, no memory). */
export function __weft_wasi_died(t: usize): void {
  let thread = changetype<Thread>(t);
  if (thread.id == 1) mainDied = true;
  beginLine(2);
  let error = thread.error;
  if (error == 0 || !changetype<string>(error).startsWith("thread ")) putThreadName(thread, " died: ");
  putString(error);
  endLine();
}

function putThreadName(thread: Thread, after: string): void {
  putAscii("thread ");
  putInt(thread.id);
  if (thread.name != 0) { putAscii(" \""); putString(thread.name); putAscii("\""); }
  putAscii(after);
}

/** env.abort: a trap raised by the program or the standard library. WASI cannot catch a trap, so the
 *  program ends here (design note), after the line weft's own host would print for the thread. */
export function __weft_wasi_abort(message: usize, file: usize, lineNo: u32, column: u32): void {
  beginLine(2);
  if (currentThread != 0) putThreadName(changetype<Thread>(currentThread), " died: ");
  else putAscii("the scheduler trapped: ");
  putString(message != 0 ? message : changetype<usize>("abort"));
  if (file != 0) {
    putAscii(" ("); putString(file); putAscii(":"); putInt(lineNo); putAscii(":"); putInt(column); putAscii(")");
  }
  endLine();
  beginLine(2);
  putAscii("weft: a trap ends a WASI program (WASI cannot catch it); exit code 1");
  endLine();
  proc_exit(1);
  unreachable();
}

/** env.seed: Math.random's seed, from the runtime's random source. */
export function __weft_wasi_seed(): f64 {
  if (random_get(scratch, 8) != 0) return clockMs(CLOCK_REALTIME);
  return <f64>(load<u64>(scratch) >> 11);
}

/** weft.processor_start: only a 1:1 run asks for processors, and a WASI module is never one. */
export function __weft_wasi_processor_start(index: i32): void {
  beginLine(2); putAscii("weft: the core asked for processor "); putInt(index); putAscii(", but a WASI run has one"); endLine();
  proc_exit(1);
}

/** weft.io_submit: every call is answered at once (SUBMIT_DONE, 0): WASI preview 1 completes nothing later. */
export function __weft_wasi_io_submit(request: usize): i32 {
  let r = changetype<IoRequest>(request);
  r.result = ioCall(r);
  return 0;
}

function ioCall(r: IoRequest): i32 {
  switch (r.op) {
    case IO_OP_READ: return ioRead(r);
    case IO_OP_WRITE: return ioWrite(r);
    case IO_OP_OPEN: return ioOpen(r);
    case IO_OP_CLOSE: return r.fd < 0 ? -EBADF : wasiResult(fd_close(<u32>r.fd));
    case IO_OP_STAT: return ioStat(r);
    case IO_OP_UNLINK: return onPath(r, 1);
    case IO_OP_MKDIR: return onPath(r, 2);
    case IO_OP_READDIR: return ioReaddir(r);
    case IO_OP_DELAY: sleepMs(r.arg); return 0;
  }
  return -38;                                   // ENOSYS: sockets, and anything else WASI lacks
}

function ioRead(r: IoRequest): i32 {
  if (r.fd < 0) return -EBADF;
  store<usize>(scratch, r.ptr);
  store<usize>(scratch, r.len, 4);
  let e = r.arg >= 0
    ? fd_pread(<u32>r.fd, scratch, 1, <u64>r.arg, scratch + 8)
    : fd_read(<u32>r.fd, scratch, 1, scratch + 8);
  return e != 0 ? -linuxErrno(e) : <i32>load<usize>(scratch, 8);
}

function ioWrite(r: IoRequest): i32 {
  if (r.fd < 0) return -EBADF;
  if (r.flags & IO_FLAG_UTF16) {
    // Text: through the line buffer, without a newline of its own.
    beginLine(<u32>r.fd);
    let units = <usize>r.len, ptr = r.ptr;
    let total: i32 = 0;
    let i: usize = 0;
    while (i < units) {
      let n = min<usize>(units - i, 1024);
      // Keep a surrogate pair in one piece.
      if (i + n < units && (load<u16>(ptr + ((i + n - 1) << 1)) & 0xfc00) == 0xd800) n--;
      putUtf16(ptr + (i << 1), n);
      total += <i32>lineUsed;
      let w = writeAll(<u32>r.fd, line, lineUsed);
      lineUsed = 0;
      if (w < 0) return w;
      i += n;
    }
    return total;
  }
  if (r.arg >= 0) {
    let done: u32 = 0;
    while (done < r.len) {
      store<usize>(scratch, r.ptr + done);
      store<usize>(scratch, r.len - done, 4);
      let e = fd_pwrite(<u32>r.fd, scratch, 1, <u64>r.arg + done, scratch + 8);
      if (e != 0) return -linuxErrno(e);
      done += load<u32>(scratch, 8);
    }
    return <i32>done;
  }
  return writeAll(<u32>r.fd, r.ptr, r.len);
}

// open flags (sys/file.ts).
// @ts-ignore: decorator
@inline const O_READ: u32 = 1;
// @ts-ignore: decorator
@inline const O_WRITE: u32 = 2;
// @ts-ignore: decorator
@inline const O_CREATE: u32 = 4;
// @ts-ignore: decorator
@inline const O_TRUNCATE: u32 = 8;
// @ts-ignore: decorator
@inline const O_APPEND: u32 = 16;
// @ts-ignore: decorator
@inline const O_EXCLUSIVE: u32 = 32;

function ioOpen(r: IoRequest): i32 {
  let dir = resolve(r.ptr, r.len);
  if (dir < 0) return dir;
  let flags = r.flags;
  let oflags: u16 = 0;
  if (flags & O_CREATE) oflags |= 1;
  if (flags & O_EXCLUSIVE) oflags |= 4;
  if (flags & O_TRUNCATE) oflags |= 8;
  let rights: u64 = 0;
  if ((flags & O_WRITE) == 0 || (flags & O_READ) != 0) rights |= RIGHTS_READ;
  if (flags & O_WRITE) rights |= RIGHTS_WRITE;
  let fdflags: u16 = flags & O_APPEND ? 1 : 0;
  let e = path_open(<u32>dir, LOOKUP_FOLLOW, pathBuf, pathLen, oflags, rights, rights, fdflags, scratch + 16);
  return e != 0 ? -linuxErrno(e) : load<i32>(scratch, 16);
}

/** stat: fills the Stat record (sys/file.ts: kind, mode, size, mtimeMs, ctimeMs). */
function ioStat(r: IoRequest): i32 {
  let dir = resolve(r.ptr, r.len);
  if (dir < 0) return dir;
  let buf = scratch + 64;                       // filestat: 64 bytes
  let e = path_filestat_get(<u32>dir, LOOKUP_FOLLOW, pathBuf, pathLen, buf);
  if (e != 0) return -linuxErrno(e);
  if (r.len2 < 32) return -EINVAL;
  let type = load<u8>(buf, 16);
  let out = r.ptr2;
  store<i32>(out, type == 4 ? 1 : type == 3 ? 2 : type == 7 ? 3 : 4);
  store<i32>(out, 0, 4);
  store<f64>(out, <f64>load<u64>(buf, 32), 8);
  store<f64>(out, <f64>load<u64>(buf, 48) / 1e6, 16);
  store<f64>(out, <f64>load<u64>(buf, 56) / 1e6, 24);
  return 0;
}

/** unlink (what 1) or mkdir (what 2). */
function onPath(r: IoRequest, what: i32): i32 {
  let dir = resolve(r.ptr, r.len);
  if (dir < 0) return dir;
  let e = what == 1 ? path_unlink_file(<u32>dir, pathBuf, pathLen) : path_create_directory(<u32>dir, pathBuf, pathLen);
  return wasiResult(e);
}

/** readdir: the names (UTF-8, each ended by a 0 byte, "." and ".." left out) into ptr2/len2, unsorted as
 *  the runtime lists them; returns the bytes they need. */
function ioReaddir(r: IoRequest): i32 {
  let dir = resolve(r.ptr, r.len);
  if (dir < 0) return dir;
  let e = path_open(<u32>dir, LOOKUP_FOLLOW, pathBuf, pathLen, 2, RIGHTS_READ, RIGHTS_READ, 0, scratch + 16);
  if (e != 0) return -linuxErrno(e);
  let fd = load<u32>(scratch, 16);
  let need: u32 = 0;
  let cookie: u64 = 0;
  let buf = pathBuf;                            // the path is no longer needed
  while (true) {
    e = fd_readdir(fd, buf, PATH_BYTES, cookie, scratch + 8);
    if (e != 0) { fd_close(fd); return -linuxErrno(e); }
    let used = load<u32>(scratch, 8);
    let at: usize = 0;
    let last = false;
    while (at + 24 <= used) {
      let nameLen = load<u32>(buf + at, 16);
      if (at + 24 + nameLen > used) break;       // cut off: read again from this entry
      cookie = load<u64>(buf + at);
      let name = buf + at + 24;
      let dot = (nameLen == 1 && load<u8>(name) == 46) || (nameLen == 2 && load<u16>(name) == 0x2e2e);
      if (!dot) {
        if (need + nameLen + 1 <= r.len2) {
          memory.copy(r.ptr2 + need, name, nameLen);
          store<u8>(r.ptr2 + need + nameLen, 0);
        }
        need += nameLen + 1;
      }
      at += 24 + nameLen;
    }
    last = used < <u32>PATH_BYTES;
    if (last) break;
  }
  fd_close(fd);
  return <i32>need;
}

// ---- paths --------------------------------------------------------------------------------------------

let pathLen: usize = 0;

/** Puts the UTF-8 form of the path (its part below the preopen) in pathBuf/pathLen and returns the
 *  preopened directory it lies in, or a negated errno. */
function resolve(ptr: usize, units: u32): i32 {
  // UTF-8 of the whole path first.
  lineUsed = 0;
  if (units * 3 >= <u32>LINE_BYTES) return -ENAMETOOLONG;
  putUtf16(ptr, units);
  let full = line, fullLen = lineUsed;
  lineUsed = 0;
  let start: usize = 0;
  while (fullLen - start >= 2 && load<u8>(full + start) == 46 && load<u8>(full + start + 1) == 47) start += 2;  // "./"
  let best: i32 = -1, bestLen: isize = -1;
  for (let fd: u32 = 3; fd < 1024; fd++) {
    if (fd_prestat_get(fd, scratch + 32) == WASI_EBADF) break;
    if (load<u8>(scratch, 32) != 0) continue;               // not a directory
    let nameLen = load<u32>(scratch, 36);
    if (nameLen >= <u32>PATH_BYTES || fd_prestat_dir_name(fd, preopenName, nameLen) != 0) continue;
    // The preopen's name without "./" in front, a "." alone or a "/" at the end.
    let ns: usize = 0, ne: usize = nameLen;
    while (ne > ns && load<u8>(preopenName + ne - 1) == 0) ne--;
    while (ne - ns >= 2 && load<u8>(preopenName + ns) == 46 && load<u8>(preopenName + ns + 1) == 47) ns += 2;
    if (ne - ns == 1 && load<u8>(preopenName + ns) == 46) ns = ne;
    while (ne > ns + 1 && load<u8>(preopenName + ne - 1) == 47) ne--;
    let n = ne - ns;
    let matches: bool;
    if (n == 0) matches = fullLen == start || load<u8>(full + start) != 47;      // "." holds relative paths
    else matches = fullLen - start >= n && memory.compare(full + start, preopenName + ns, n) == 0 &&
      (fullLen - start == n || load<u8>(full + start + n) == 47 || load<u8>(preopenName + ne - 1) == 47);
    if (matches && <isize>n > bestLen) { best = <i32>fd; bestLen = <isize>n; }
  }
  if (best < 0) return -EACCES;
  let rest = start + <usize>bestLen;
  while (rest < fullLen && load<u8>(full + rest) == 47) rest++;
  if (rest == fullLen) { store<u8>(pathBuf, 46); pathLen = 1; }
  else { memory.copy(pathBuf, full + rest, fullLen - rest); pathLen = fullLen - rest; }
  return best;
}

// ---- errors -------------------------------------------------------------------------------------------

function wasiResult(e: u16): i32 { return e != 0 ? -linuxErrno(e) : 0; }

/** WASI's errno numbers as Linux's, the numbers weft's calls return everywhere. */
function linuxErrno(e: u16): i32 {
  switch (e) {
    case 2: return EACCES;
    case 6: return EAGAIN;
    case 8: return EBADF;
    case 10: return EBUSY;
    case 20: return EEXIST;
    case 28: return EINVAL;
    case 29: return EIO;
    case 31: return EISDIR;
    case 33: return 40;                         // ELOOP
    case 37: return ENAMETOOLONG;
    case 41: return EMFILE;
    case 44: return ENOENT;
    case 48: return ENOMEM;
    case 51: return ENOSPC;
    case 52: return 38;                         // ENOSYS
    case 54: return ENOTDIR;
    case 55: return ENOTEMPTY;
    case 58: return ENOTSUP;
    case 63: return EPERM;
    case 64: return EPIPE;
    case 69: return 30;                         // EROFS
    case 76: return EACCES;                     // ENOTCAPABLE: outside the preopens' rights
  }
  return EIO;
}

// ---- the loop -----------------------------------------------------------------------------------------

/** Sleeps the whole program for `ms` (poll_oneoff on a relative monotonic clock). */
function sleepMs(ms: f64): void {
  if (!(ms > 0)) return;
  let sub = scratch + 64;                        // subscription: 48 bytes
  memory.fill(sub, 0, 48);
  store<u8>(sub, 0, 8);                          // tag: clock
  store<u32>(sub, CLOCK_MONOTONIC, 16);
  store<u64>(sub, <u64>min<f64>(ms * 1e6, 1e18), 24);
  store<u64>(sub, 10_000, 32);                   // precision: 10 µs
  poll_oneoff(sub, scratch + 112, 1, scratch + 8);
}

const WAIT_NAMES: string[] = [
  "futex", "mutex", "cond", "rwlock", "semaphore", "barrier", "once", "waitgroup", "channel send",
  "channel receive", "select", "join", "sleep", "io",
];
const STATE_NAMES: string[] = ["free", "runnable", "running", "blocked", "sleeping", "exited", "trapped"];

/** The report weft's own host prints (host/kernel/runner.ts, deadlockReport), on stderr. */
function deadlockReport(): void {
  beginLine(2);
  putAscii("deadlock: every thread is blocked and nothing can wake them");
  endLine();
  let slots = threadTableUsed();
  for (let slot: u32 = 1; slot < slots; slot++) {
    let t = threadAt(slot);
    if (t == 0) continue;
    let thread = changetype<Thread>(t);
    let state = thread.state;
    if (state != 1 && state != 3 && state != 4) continue;
    beginLine(2);
    putAscii("  ");
    putThreadName(thread, ": ");
    putAscii(STATE_NAMES[state]);
    if (state == 3 || state == 4) {
      let kind = thread.waitKind;
      putAscii(" on ");
      if (kind == 11) {
        putAscii("join of thread ");
        putInt(load<i32>(thread.waitAddr - offsetof<Thread>("state") + offsetof<Thread>("id")));
      } else {
        putAscii(kind >= 0 && kind < WAIT_NAMES.length ? WAIT_NAMES[kind] : "futex");
        putAscii(" at ");
        putHex(<u32>thread.waitAddr);
      }
    }
    endLine();
  }
}

/** What _start does (the generated entry calls it with weft_start's result, after the program's
 *  top-level initialisers). Never returns: the program ends with proc_exit. */
export function wasiRun(started: i32): void {
  if (started <= 0) {
    beginLine(2); putAscii("could not start main: spawn returned "); putInt(started); endLine();
    proc_exit(1);
  }
  while (true) {
    let reason = weft_run();
    if (reason == 3 || reason == 4) continue;   // RUN_AGAIN, RUN_POLL
    if (reason == 1) {                          // RUN_WAIT: until the earliest sleeper is due
      let at = weft_wake_at();
      if (at == Infinity) {
        beginLine(2); putAscii("weft: every thread waits on I/O that WASI never completes"); endLine();
        proc_exit(1);
      }
      sleepMs(at - __weft_wasi_now());
      continue;
    }
    if (reason == 0) {                          // RUN_EXITED
      let error = mainErrorMessage();
      if (error != 0) { beginLine(2); putString(error); endLine(); }
      proc_exit(mainDied || error != 0 ? 1 : <u32>mainExitValue());
    }
    if (reason == 2) { deadlockReport(); proc_exit(3); }
    beginLine(2); putAscii("weft_run returned an unknown reason "); putInt(reason); endLine();
    proc_exit(1);
  }
}
