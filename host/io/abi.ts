// The host half of weft's I/O contract. assembly/sys/io.ts is the core half (the request record and the
// completion ring are drawn in assembly/core/completion.ts); weft_io_layout() reports the core's offsets and tests/abi.test.ts checks
// that both halves agree. Change either side together with ABI_VERSION (host/abi.ts).

/** Request record fields (assembly/sys/io.ts), in weft_io_layout()'s order, with their byte offsets. */
export const REQUEST = {
  op: 0, mode: 4, fd: 8, flags: 12, ptr: 16, len: 20, ptr2: 24, len2: 28, arg: 32, result: 40, status: 44,
  thread: 48, size: 64,
} as const;
export const REQUEST_FIELDS = Object.keys(REQUEST) as (keyof typeof REQUEST)[];

/** Completion ring header (assembly/sys/io.ts): head, tail, capacity, then the entries. */
export const RING = { head: 0, tail: 4, capacity: 8, entries: 16 } as const;

/** What io_submit returns to the core. */
export const SUBMIT_DONE = 0, SUBMIT_PENDING = 1;

/** I/O modes (IO_MODE_*): 0 means the run's default. */
export const IO_MODES = ["default", "async", "blocking", "offload"] as const;
export type IoMode = "async" | "blocking" | "offload";
export const MODE_ASYNC = 1, MODE_BLOCKING = 2, MODE_OFFLOAD = 3;

/** Operations (IO_OP_*), by number. */
export const OP = {
  open: 1, close: 2, read: 3, write: 4, stat: 5, readdir: 6, unlink: 7, listen: 8, accept: 9, connect: 10,
  shutdown: 11, delay: 12, address: 13, mkdir: 14, call: 15, call_text: 16, fork: 17, waitpid: 18, pipe: 19, kill: 20, args: 21, spawn: 22, exec: 23, dump: 24,
  return: 25, call_next: 26, call_fill: 27, break: 28, cancel: 29,
} as const;
export type OpName = keyof typeof OP;
export const OP_NAMES: Record<number, OpName> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k])) as any;

/** Flag on write: ptr/len is UTF-16 text (len in code units), written as UTF-8. */
export const FLAG_UTF16 = 0x8000_0000;

/** open flags (assembly/sys/file.ts, O_*). */
export const O_READ = 1, O_WRITE = 2, O_CREATE = 4, O_TRUNCATE = 8, O_APPEND = 16, O_EXCLUSIVE = 32;

/** The stat record the host writes at ptr2 (assembly/sys/file.ts, Stat): 32 bytes. */
export const STAT = { kind: 0, mode: 4, size: 8, mtimeMs: 16, ctimeMs: 24, bytes: 32 } as const;
/** Stat kinds. */
export const KIND_FILE = 1, KIND_DIR = 2, KIND_SYMLINK = 3, KIND_OTHER = 4;

/** Error numbers (Linux values; assembly/core/errno.ts has the same). */
export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENOEXEC: 8, EBADF: 9, ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EBUSY: 16, EEXIST: 17,
  ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EMFILE: 24, ENOSPC: 28, EPIPE: 32, ERANGE: 34, EDEADLK: 35,
  ENAMETOOLONG: 36, ENOSYS: 38, ENOTEMPTY: 39, ENOTSUP: 95, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENETUNREACH: 101,
  ECONNABORTED: 103, ECONNRESET: 104, ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111, EHOSTUNREACH: 113, ECANCELED: 125,
} as const;
export type ErrnoName = keyof typeof ERRNO;

/** The negated errno for a Node-style error (its `code`), EIO if unknown. */
export function errnoOf(e: unknown): number {
  const code = (e as { code?: string })?.code;
  const n = code && (ERRNO as Record<string, number>)[code];
  return -(n || ERRNO.EIO);
}
