// WASI preview 1 for the kernel of a WASI build (sys/wasi.ts, "Design note"): the WASI functions it
// calls, the static buffers it works in (nothing here allocates), text out as UTF-8 lines, the clocks and
// sleep, and WASI's errno numbers as Linux's.

import {
  EPERM, ENOENT, EIO, EBADF, EAGAIN, ENOMEM, EACCES, EEXIST, ENOTDIR, EISDIR, EINVAL, EMFILE, ENOSPC, EPIPE,
  ENAMETOOLONG, ENOTEMPTY, ENOTSUP, EBUSY,
} from "../core/errno";

// ---- wasi_snapshot_preview1 -------------------------------------------------------------------------

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
export declare function fd_write(fd: u32, iovs: usize, iovsLen: usize, written: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
export declare function fd_read(fd: u32, iovs: usize, iovsLen: usize, read: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_pread")
export declare function fd_pread(fd: u32, iovs: usize, iovsLen: usize, offset: u64, read: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_pwrite")
export declare function fd_pwrite(fd: u32, iovs: usize, iovsLen: usize, offset: u64, written: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_close")
export declare function fd_close(fd: u32): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_readdir")
export declare function fd_readdir(fd: u32, buf: usize, bufLen: usize, cookie: u64, used: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_get")
export declare function fd_prestat_get(fd: u32, prestat: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
export declare function fd_prestat_dir_name(fd: u32, path: usize, pathLen: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_open")
export declare function path_open(dirFd: u32, lookup: u32, path: usize, pathLen: usize, oflags: u16, rights: u64, inheriting: u64, fdflags: u16, fd: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_filestat_get")
export declare function path_filestat_get(dirFd: u32, lookup: u32, path: usize, pathLen: usize, stat: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_unlink_file")
export declare function path_unlink_file(dirFd: u32, path: usize, pathLen: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_create_directory")
export declare function path_create_directory(dirFd: u32, path: usize, pathLen: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "clock_time_get")
export declare function clock_time_get(clock: u32, precision: u64, time: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "poll_oneoff")
export declare function poll_oneoff(subscriptions: usize, events: usize, count: usize, happened: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
export declare function random_get(buf: usize, len: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
export declare function proc_exit(code: u32): void;

// @ts-ignore: decorator
@inline export const CLOCK_REALTIME: u32 = 0;
// @ts-ignore: decorator
@inline export const CLOCK_MONOTONIC: u32 = 1;
// @ts-ignore: decorator
@inline export const WASI_EBADF: u16 = 8;
// @ts-ignore: decorator
@inline export const LOOKUP_FOLLOW: u32 = 1;

// Rights (path_open): what a descriptor opened for reading, and for writing, may do.
// @ts-ignore: decorator
@inline export const RIGHTS_READ: u64 = (1 << 1) | (1 << 2) | (1 << 5) | (1 << 7) | (1 << 14) | (1 << 21);
// @ts-ignore: decorator
@inline export const RIGHTS_WRITE: u64 = (1 << 0) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 21) | (1 << 22);


// ---- static buffers -----------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export const LINE_BYTES: usize = 4096;
export const line: usize = memory.data(<i32>LINE_BYTES + 8, 16);
export let lineUsed: usize = 0;
export let lineFd: u32 = 1;
/** Scratch for calls: iovecs, results, poll records (64-byte aligned slots). */
export const scratch: usize = memory.data(256, 16);
// @ts-ignore: decorator
@inline export const PATH_BYTES: usize = 4096;
export const pathBuf: usize = memory.data(<i32>PATH_BYTES, 16);
export const preopenName: usize = memory.data(<i32>PATH_BYTES, 16);

// ---- output -------------------------------------------------------------------------------------------

/** Writes all `len` bytes at `ptr` to `fd`; a negated Linux errno on failure, else the bytes. */
export function writeAll(fd: u32, ptr: usize, len: usize): i32 {
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

/** Bytes in the line buffer, and emptying it without writing (for a caller that writes it itself, or
 *  borrows the buffer for a path: sys/wasi-files.ts). */
export function lineLength(): usize { return lineUsed; }
export function lineClear(): void { lineUsed = 0; }

export function flushLine(): void {
  if (lineUsed > 0) writeAll(lineFd, line, lineUsed);
  lineUsed = 0;
}

/** Appends UTF-16 text as UTF-8 to the line buffer, flushing it as it fills. */
export function putUtf16(ptr: usize, units: usize): void {
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

export function putString(s: usize): void {
  if (s != 0) putUtf16(s, <usize>changetype<string>(s).length);
}

export function putAscii(s: string): void { putString(changetype<usize>(s)); }

export function putInt(v: i64): void {
  if (v < 0) { putAscii("-"); v = -v; }
  let digits = scratch + 128;
  let n = 0;
  do { store<u8>(digits + n++, <u8>(48 + v % 10)); v /= 10; } while (v != 0);
  if (LINE_BYTES - lineUsed < 24) flushLine();
  while (n > 0) store<u8>(line + lineUsed++, load<u8>(digits + --n));
}

export function putHex(v: u32): void {
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

export function beginLine(fd: u32): void { flushLine(); lineFd = fd; }

export function endLine(): void {
  store<u8>(line + lineUsed++, 10);
  flushLine();
}

// ---- clocks and sleep ---------------------------------------------------------------------------------

export function clockMs(clock: u32): f64 {
  if (clock_time_get(clock, 1000, scratch) != 0) return 0;
  return <f64>load<u64>(scratch) / 1e6;
}

/** Sleeps the whole program for `ms` (poll_oneoff on a relative monotonic clock). */
export function sleepMs(ms: f64): void {
  if (!(ms > 0)) return;
  let sub = scratch + 64;                        // subscription: 48 bytes
  memory.fill(sub, 0, 48);
  store<u8>(sub, 0, 8);                          // tag: clock
  store<u32>(sub, CLOCK_MONOTONIC, 16);
  store<u64>(sub, <u64>min<f64>(ms * 1e6, 1e18), 24);
  store<u64>(sub, 10_000, 32);                   // precision: 10 µs
  poll_oneoff(sub, scratch + 112, 1, scratch + 8);
}

// ---- errors -------------------------------------------------------------------------------------------

export function wasiResult(e: u16): i32 { return e != 0 ? -linuxErrno(e) : 0; }

/** WASI's errno numbers as Linux's, the numbers weft's calls return everywhere. */
export function linuxErrno(e: u16): i32 {
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
    case 52: return ENOTSUP;                    // ENOSYS: no such call in this runtime
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
