// Files, directories, stdio and the lab's delay, as blocking-style calls: the calling thread waits for
// the answer; how the rest of the processor fares depends on the mode (io.ts): in async and offload modes
// the other threads run meanwhile, in blocking mode they all stall.
//
// Every call returns a number: >= 0 a value (bytes, a descriptor), < 0 a negated errno, which is also
// the calling thread's errno (getErrno()). errnoName / errnoMessage say what it means. Paths are relative
// to the host's working directory and must lie inside a directory the run grants (`weft run --dir`):
// anything else, including absolute paths and symlinks that lead out, fails with EACCES.

import {
  ioRequest, ioCall, IO_OP_OPEN, IO_OP_CLOSE, IO_OP_READ, IO_OP_WRITE, IO_OP_STAT, IO_OP_READDIR, IO_OP_UNLINK,
  IO_OP_MKDIR, IO_OP_DELAY, IO_FLAG_UTF16,
} from "./io";
import { ENOMEM, ERANGE, EINVAL } from "../core/errno";
import { setErrno } from "../core/tls";

/** How a call is done. Default: the run's mode (`weft run --io`, async unless told otherwise). */
export enum IoMode { Default = 0, Async = 1, Blocking = 2, Offload = 3 }

export const STDIN: i32 = 0;
export const STDOUT: i32 = 1;
export const STDERR: i32 = 2;

// open flags.
export const O_READ: i32 = 1;
export const O_WRITE: i32 = 2;
export const O_CREATE: i32 = 4;       // create the file if it does not exist
export const O_TRUNCATE: i32 = 8;     // empty it
export const O_APPEND: i32 = 16;      // every write goes to the end
export const O_EXCLUSIVE: i32 = 32;   // with O_CREATE: fail with EEXIST if it exists

/** What stat() tells about a file. Written by the host (host/io/abi.ts, STAT): 32 bytes. */
@unmanaged export class Stat {
  kind: i32 = 0;        // Stat.FILE, DIRECTORY, SYMLINK, OTHER
  mode: i32 = 0;        // permission bits
  size: f64 = 0;        // bytes
  mtimeMs: f64 = 0;     // last modification, ms since the epoch
  ctimeMs: f64 = 0;     // last status change
  static readonly FILE: i32 = 1;
  static readonly DIRECTORY: i32 = 2;
  static readonly SYMLINK: i32 = 3;
  static readonly OTHER: i32 = 4;
  isFile(): bool { return this.kind == Stat.FILE; }
  isDirectory(): bool { return this.kind == Stat.DIRECTORY; }
}

// @ts-ignore: decorator
@inline function noMemory(): i32 { setErrno(ENOMEM); return -ENOMEM; }

/** A call on a path (UTF-16, passed as it is: no allocation). */
function pathCall(op: u32, path: string, flags: i32, mode: IoMode, ptr2: usize = 0, len2: u32 = 0): i32 {
  let r = ioRequest(op, mode, -1);
  if (r == null) return noMemory();
  r.ptr = changetype<usize>(path);
  r.len = <u32>path.length;
  r.flags = <u32>flags;
  r.ptr2 = ptr2;
  r.len2 = len2;
  return ioCall(r);
}

/** Opens `path`; returns a descriptor. flags: O_READ (default), O_WRITE, O_CREATE, O_TRUNCATE, O_APPEND,
 *  O_EXCLUSIVE. A path that starts with http:// or https:// is fetched (read-only; the URL must be granted). */
export function open(path: string, flags: i32 = O_READ, mode: IoMode = IoMode.Default): i32 {
  return pathCall(IO_OP_OPEN, path, flags, mode);
}

/** Closes a descriptor (file, directory, socket or listener). */
export function close(fd: i32, mode: IoMode = IoMode.Default): i32 {
  let r = ioRequest(IO_OP_CLOSE, mode, fd);
  if (r == null) return noMemory();
  return ioCall(r);
}

/** Reads up to `len` bytes into memory at `ptr`; 0 at the end of the file or stream. `position` >= 0
 *  reads there without moving the file's offset (pread); -1 reads at the offset. */
export function readInto(fd: i32, ptr: usize, len: u32, position: f64 = -1, mode: IoMode = IoMode.Default): i32 {
  let r = ioRequest(IO_OP_READ, mode, fd);
  if (r == null) return noMemory();
  r.ptr = ptr;
  r.len = len;
  r.arg = position;
  return ioCall(r);
}

/** Reads up to buffer.length bytes into `buffer`; returns how many (0: end of file or stream). */
export function read(fd: i32, buffer: Uint8Array, position: f64 = -1, mode: IoMode = IoMode.Default): i32 {
  return readInto(fd, buffer.dataStart, <u32>buffer.length, position, mode);
}

/** Writes `len` bytes from memory at `ptr`, all of them; returns how many. */
export function writeFrom(fd: i32, ptr: usize, len: u32, position: f64 = -1, mode: IoMode = IoMode.Default): i32 {
  let r = ioRequest(IO_OP_WRITE, mode, fd);
  if (r == null) return noMemory();
  r.ptr = ptr;
  r.len = len;
  r.arg = position;
  return ioCall(r);
}

/** Writes all of `data`; returns the bytes written. */
export function write(fd: i32, data: Uint8Array, position: f64 = -1, mode: IoMode = IoMode.Default): i32 {
  return writeFrom(fd, data.dataStart, <u32>data.length, position, mode);
}

/** Writes `text` as UTF-8 (converted by the host: no allocation here); returns the bytes written. */
export function writeString(fd: i32, text: string, mode: IoMode = IoMode.Default): i32 {
  let r = ioRequest(IO_OP_WRITE, mode, fd);
  if (r == null) return noMemory();
  r.ptr = changetype<usize>(text);
  r.len = <u32>text.length;
  r.flags = IO_FLAG_UTF16;
  return ioCall(r);
}

/** Fills `out` with what the host knows of `path` (symlinks are followed). */
export function stat(path: string, out: Stat, mode: IoMode = IoMode.Default): i32 {
  return pathCall(IO_OP_STAT, path, 0, mode, changetype<usize>(out), <u32>offsetof<Stat>());
}

/** Removes a file. */
export function unlink(path: string, mode: IoMode = IoMode.Default): i32 {
  return pathCall(IO_OP_UNLINK, path, 0, mode);
}

/** Makes a directory. */
export function mkdir(path: string, mode: IoMode = IoMode.Default): i32 {
  return pathCall(IO_OP_MKDIR, path, 0, mode);
}

/** The names in directory `path` (without "." and ".."), sorted; null on error (see getErrno()). */
export function readdir(path: string, mode: IoMode = IoMode.Default): string[] | null {
  let capacity: u32 = 1024;
  while (true) {
    let buffer = new Uint8Array(capacity);
    // The host writes the names as UTF-8, each ended by a 0 byte, and returns the bytes they need.
    let n = pathCall(IO_OP_READDIR, path, 0, mode, buffer.dataStart, capacity);
    if (n < 0) return null;
    if (<u32>n > capacity) {                   // did not fit: try again with room for all of them
      if (capacity >= (64 << 20)) { setErrno(ERANGE); return null; }
      capacity = <u32>n;
      continue;
    }
    let names = new Array<string>();
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (buffer[i] == 0) {
        names.push(String.UTF8.decodeUnsafe(buffer.dataStart + start, i - start));
        start = i + 1;
      }
    }
    names.sort();                              // a host may list them in any order (sys/wasi.ts)
    return names;
  }
}

/** A system call that takes `ms` milliseconds (the lab's stand-in for a slow device): in blocking mode
 *  it stalls the processor, in async and offload modes only the caller waits. */
export function ioDelay(ms: f64, mode: IoMode = IoMode.Default): i32 {
  if (!(ms >= 0)) { setErrno(EINVAL); return -EINVAL; }
  let r = ioRequest(IO_OP_DELAY, mode, -1);
  if (r == null) return noMemory();
  r.arg = ms;
  return ioCall(r);
}
