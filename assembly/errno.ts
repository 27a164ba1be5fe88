// Error numbers weft's calls return (negated where a call returns an id). Linux values, so they read the
// same as in C and in the host's messages.

// @ts-ignore: decorator
@inline export const EPERM: i32 = 1;
// @ts-ignore: decorator
@inline export const ESRCH: i32 = 3;
// @ts-ignore: decorator
@inline export const EINTR: i32 = 4;
// @ts-ignore: decorator
@inline export const EAGAIN: i32 = 11;
// @ts-ignore: decorator
@inline export const ENOMEM: i32 = 12;
// @ts-ignore: decorator
@inline export const EBUSY: i32 = 16;
// @ts-ignore: decorator
@inline export const EINVAL: i32 = 22;
// @ts-ignore: decorator
@inline export const EDEADLK: i32 = 35;
// @ts-ignore: decorator
@inline export const ETIMEDOUT: i32 = 110;

/** The symbolic name of an error number, for messages. */
export function errnoName(code: i32): string {
  switch (code) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case EDEADLK: return "EDEADLK";
    case ETIMEDOUT: return "ETIMEDOUT";
  }
  return "E" + code.toString();
}
