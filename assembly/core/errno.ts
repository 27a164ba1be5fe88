// Error numbers weft's calls return (negated where a call returns an id). Linux values, so they read the
// same as in C and in the host's messages.

// @ts-ignore: decorator
@inline export const EPERM: i32 = 1;
// @ts-ignore: decorator
@inline export const ENOENT: i32 = 2;
// @ts-ignore: decorator
@inline export const ESRCH: i32 = 3;
// @ts-ignore: decorator
@inline export const EINTR: i32 = 4;
// @ts-ignore: decorator
@inline export const EIO: i32 = 5;
// @ts-ignore: decorator
@inline export const ENOEXEC: i32 = 8;
// @ts-ignore: decorator
@inline export const EBADF: i32 = 9;
// @ts-ignore: decorator
@inline export const EAGAIN: i32 = 11;
// @ts-ignore: decorator
@inline export const ECHILD: i32 = 10;
// @ts-ignore: decorator
@inline export const ENOMEM: i32 = 12;
// @ts-ignore: decorator
@inline export const EACCES: i32 = 13;
// @ts-ignore: decorator
@inline export const EBUSY: i32 = 16;
// @ts-ignore: decorator
@inline export const EEXIST: i32 = 17;
// @ts-ignore: decorator
@inline export const ENOTDIR: i32 = 20;
// @ts-ignore: decorator
@inline export const EISDIR: i32 = 21;
// @ts-ignore: decorator
@inline export const EINVAL: i32 = 22;
// @ts-ignore: decorator
@inline export const EMFILE: i32 = 24;
// @ts-ignore: decorator
@inline export const ENOSPC: i32 = 28;
// @ts-ignore: decorator
@inline export const EPIPE: i32 = 32;
// @ts-ignore: decorator
@inline export const ERANGE: i32 = 34;
// @ts-ignore: decorator
@inline export const EDEADLK: i32 = 35;
// @ts-ignore: decorator
@inline export const ENOSYS: i32 = 38;
// @ts-ignore: decorator
@inline export const EOWNERDEAD: i32 = 130;
// @ts-ignore: decorator
@inline export const ENOTRECOVERABLE: i32 = 131;
// @ts-ignore: decorator
@inline export const ENAMETOOLONG: i32 = 36;
// @ts-ignore: decorator
@inline export const ENOTEMPTY: i32 = 39;
// @ts-ignore: decorator
@inline export const ENOTSUP: i32 = 95;
// @ts-ignore: decorator
@inline export const EADDRINUSE: i32 = 98;
// @ts-ignore: decorator
@inline export const EADDRNOTAVAIL: i32 = 99;
// @ts-ignore: decorator
@inline export const ENETUNREACH: i32 = 101;
// @ts-ignore: decorator
@inline export const ECONNABORTED: i32 = 103;
// @ts-ignore: decorator
@inline export const ECONNRESET: i32 = 104;
// @ts-ignore: decorator
@inline export const ENOTCONN: i32 = 107;
// @ts-ignore: decorator
@inline export const ETIMEDOUT: i32 = 110;
// @ts-ignore: decorator
@inline export const ECONNREFUSED: i32 = 111;
// @ts-ignore: decorator
@inline export const EHOSTUNREACH: i32 = 113;

/** The symbolic name of an error number, for messages. */
export function errnoName(code: i32): string {
  switch (code) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENOSPC: return "ENOSPC";
    case EPIPE: return "EPIPE";
    case ERANGE: return "ERANGE";
    case EDEADLK: return "EDEADLK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOTSUP: return "ENOTSUP";
    case ECHILD: return "ECHILD";
    case ENOEXEC: return "ENOEXEC";
    case ENOSYS: return "ENOSYS";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETUNREACH: return "ENETUNREACH";
    case ECONNABORTED: return "ECONNABORTED";
    case ECONNRESET: return "ECONNRESET";
    case ENOTCONN: return "ENOTCONN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EHOSTUNREACH: return "EHOSTUNREACH";
  }
  return "E" + code.toString();
}

/** What an error number means, in words (strerror). */
export function errnoMessage(code: i32): string {
  switch (code) {
    case 0: return "success";
    case EPERM: return "operation not permitted";
    case ENOENT: return "no such file or directory";
    case ESRCH: return "no such thread";
    case EINTR: return "interrupted";
    case EIO: return "input/output error";
    case EBADF: return "bad file descriptor";
    case EAGAIN: return "try again";
    case ENOMEM: return "out of memory";
    case EACCES: return "permission denied (not granted to this program)";
    case EBUSY: return "busy";
    case EEXIST: return "file exists";
    case ENOTDIR: return "not a directory";
    case EISDIR: return "is a directory";
    case EINVAL: return "invalid argument";
    case EMFILE: return "too many open files";
    case ENOSPC: return "no space left on device";
    case EPIPE: return "broken pipe";
    case ERANGE: return "result too large";
    case EDEADLK: return "deadlock would occur";
    case ENAMETOOLONG: return "file name too long";
    case ENOTEMPTY: return "directory not empty";
    case ENOTSUP: return "operation not supported in this host";
    case ECHILD: return "no child processes";
    case ENOEXEC: return "not a weft program";
    case ENOSYS: return "function not implemented";
    case EOWNERDEAD: return "owner died";
    case ENOTRECOVERABLE: return "state not recoverable";
    case EADDRINUSE: return "address already in use";
    case EADDRNOTAVAIL: return "address not available";
    case ENETUNREACH: return "network unreachable";
    case ECONNABORTED: return "connection aborted";
    case ECONNRESET: return "connection reset by peer";
    case ENOTCONN: return "not connected";
    case ETIMEDOUT: return "timed out";
    case ECONNREFUSED: return "connection refused";
    case EHOSTUNREACH: return "host unreachable";
  }
  return "error " + code.toString();
}
