// The system calls of a WASI build (sys/wasi.ts, "Design note"): each io_submit request answered at once
// with WASI calls — reads and writes of descriptors (stdio and files), open, close, stat, unlink, mkdir
// and readdir under the preopened directories, and the lab's delay; sockets are not there (ENOTSUP).
// Paths are looked up in the preopens (resolve, below): the preopens are the grants.

import {
  IoRequest, IO_OP_OPEN, IO_OP_CLOSE, IO_OP_READ, IO_OP_WRITE, IO_OP_STAT, IO_OP_UNLINK, IO_OP_MKDIR, IO_OP_DELAY,
  IO_OP_READDIR, IO_FLAG_UTF16,
} from "./io";
import { EBADF, EACCES, EINVAL, ENAMETOOLONG, ENOTSUP } from "../core/errno";
import {
  fd_read, fd_pread, fd_pwrite, fd_close, fd_readdir, fd_prestat_get, fd_prestat_dir_name, path_open,
  path_filestat_get, path_unlink_file, path_create_directory, WASI_EBADF, LOOKUP_FOLLOW, RIGHTS_READ, RIGHTS_WRITE,
  LINE_BYTES, PATH_BYTES, line, lineLength, lineClear, scratch, pathBuf, preopenName, writeAll, beginLine, putUtf16,
  linuxErrno, wasiResult, sleepMs,
} from "./wasi-base";

/** Answers one request at once: its result (>= 0, or a negated Linux errno). */
export function wasiIoCall(r: IoRequest): i32 {
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
  return -ENOTSUP;                              // sockets, and anything else WASI lacks (as the web host says)
}

export function ioRead(r: IoRequest): i32 {
  if (r.fd < 0) return -EBADF;
  store<usize>(scratch, r.ptr);
  store<usize>(scratch, r.len, 4);
  let e = r.arg >= 0
    ? fd_pread(<u32>r.fd, scratch, 1, <u64>r.arg, scratch + 8)
    : fd_read(<u32>r.fd, scratch, 1, scratch + 8);
  return e != 0 ? -linuxErrno(e) : <i32>load<usize>(scratch, 8);
}

export function ioWrite(r: IoRequest): i32 {
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
      total += <i32>lineLength();
      let w = writeAll(<u32>r.fd, line, lineLength());
      lineClear();
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
@inline export const O_READ: u32 = 1;
// @ts-ignore: decorator
@inline export const O_WRITE: u32 = 2;
// @ts-ignore: decorator
@inline export const O_CREATE: u32 = 4;
// @ts-ignore: decorator
@inline export const O_TRUNCATE: u32 = 8;
// @ts-ignore: decorator
@inline export const O_APPEND: u32 = 16;
// @ts-ignore: decorator
@inline export const O_EXCLUSIVE: u32 = 32;

export function ioOpen(r: IoRequest): i32 {
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
export function ioStat(r: IoRequest): i32 {
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
export function onPath(r: IoRequest, what: i32): i32 {
  let dir = resolve(r.ptr, r.len);
  if (dir < 0) return dir;
  let e = what == 1 ? path_unlink_file(<u32>dir, pathBuf, pathLen) : path_create_directory(<u32>dir, pathBuf, pathLen);
  return wasiResult(e);
}

/** readdir: the names (UTF-8, each ended by a 0 byte, "." and ".." left out) into ptr2/len2, unsorted as
 *  the runtime lists them; returns the bytes they need. */
export function ioReaddir(r: IoRequest): i32 {
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

export let pathLen: usize = 0;

/** Puts the UTF-8 form of the path (its part below the preopen) in pathBuf/pathLen and returns the
 *  preopened directory it lies in, or a negated errno. */
function resolve(ptr: usize, units: u32): i32 {
  // UTF-8 of the whole path first.
  lineClear();
  if (units * 3 >= <u32>LINE_BYTES) return -ENAMETOOLONG;
  putUtf16(ptr, units);
  let full = line, fullLen = lineLength();
  lineClear();
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
