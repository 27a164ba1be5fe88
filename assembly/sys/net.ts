// TCP, as blocking-style calls (see file.ts for modes and errors). A connection is a descriptor: read,
// write and close from file.ts work on it. Addresses are "host:port" ("127.0.0.1:8080", "[::1]:80"), and
// must be granted by the run (`weft run --allow-listen ADDR --allow-connect ADDR`); others fail with EACCES.

import { ioRequest, ioCall, IO_OP_LISTEN, IO_OP_ACCEPT, IO_OP_CONNECT, IO_OP_SHUTDOWN, IO_OP_ADDRESS } from "./io";
import { IoMode } from "./file";
import { ENOMEM } from "../core/errno";
import { setErrno } from "../core/tls";

// shutdown: which directions to end.
export const SHUT_RD: i32 = 0;
export const SHUT_WR: i32 = 1;
export const SHUT_RDWR: i32 = 2;

// @ts-ignore: decorator
@inline function noMemory(): i32 { setErrno(ENOMEM); return -ENOMEM; }

/** Listens on `address` ("host:port"; port 0 picks a free one, see localAddress); returns a descriptor
 *  to accept on. */
export function listen(address: string, backlog: i32 = 511, mode: IoMode = IoMode.Default): i32 {
  let r = ioRequest(IO_OP_LISTEN, mode, -1);
  if (r == null) return noMemory();
  r.ptr = changetype<usize>(address);
  r.len = <u32>address.length;
  r.flags = <u32>backlog;
  return ioCall(r);
}

/** Waits for the next connection on a listener; returns its descriptor. */
export function accept(listener: i32, mode: IoMode = IoMode.Default): i32 {
  let r = ioRequest(IO_OP_ACCEPT, mode, listener);
  if (r == null) return noMemory();
  return ioCall(r);
}

/** Connects to `address` ("host:port"); returns the connection's descriptor. */
export function connect(address: string, mode: IoMode = IoMode.Default): i32 {
  let r = ioRequest(IO_OP_CONNECT, mode, -1);
  if (r == null) return noMemory();
  r.ptr = changetype<usize>(address);
  r.len = <u32>address.length;
  return ioCall(r);
}

/** Ends one or both directions of a connection (SHUT_WR: the peer reads end-of-stream). */
export function shutdown(fd: i32, how: i32 = SHUT_WR, mode: IoMode = IoMode.Default): i32 {
  let r = ioRequest(IO_OP_SHUTDOWN, mode, fd);
  if (r == null) return noMemory();
  r.flags = <u32>how;
  return ioCall(r);
}

/** The local address of a listener or connection, "host:port"; null on error. */
export function localAddress(fd: i32): string | null {
  let buffer = new Uint8Array(64);
  let r = ioRequest(IO_OP_ADDRESS, IoMode.Default, fd);
  if (r == null) { noMemory(); return null; }
  r.ptr2 = buffer.dataStart;
  r.len2 = 64;
  let n = ioCall(r);
  if (n < 0) return null;
  return String.UTF8.decodeUnsafe(buffer.dataStart, min(n, 64));
}
