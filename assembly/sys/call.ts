// Host functions: a program's own imports, answered by the JavaScript around it.
//
// Design note
// -----------
// A program declares a host function the usual AssemblyScript way:
//     @external("app", "lookup") declare function lookup(id: i32): i32;
// and the host gives it at run time (`run(wasm, { imports: { app: { lookup } } })`). A host function may
// return a value, or a Promise; a Promise must park only the calling thread, which a Wasm import cannot
// do (the engine's stack holds the caller's frames until the import returns). So the build
// (host/compiler/passes/calls.ts) takes each such import out of the module's imports and puts in its
// place a function that makes a system call of its own: it stores the arguments in the thread's
// argument block (__weft_call_args: 8 bytes a value, as its Wasm type) and calls __weft_call(index, n),
// which submits an IO_OP_CALL request through io_submit like any other. The host calls the function: a
// value is answered at once (the thread goes on); a Promise answers later, through the completion ring,
// while the other threads run — everything the I/O path already does, in every model (in M:N the I/O
// owner, on the thread that called runShared, is where the functions live). The result comes back in
// the block's first 8 bytes. The module lists its host functions, by index, in a custom section
// ("weft.calls": JSON [{ module, name, params, results }]) the host reads to find them.
//
// A failed call (the function threw, its Promise rejected, it returned what its type cannot hold)
// returns 0 and sets errno to EIO; hostText() then gives the reason. A function that returns a string
// or bytes answers with their length (code units or bytes); hostText() / hostBytes() fetch them. A
// function that takes a string or an array receives the address, which the host's helpers read
// (host/kernel/calls.ts: this.string(p), this.bytes(p)).
//
// Imports the build is told return at once (`syncImports`) stay Wasm imports: no argument block, no
// system call, no instrumentation, but no Promise either.

import { Thread } from "../core/layout";
import { currentThread } from "../core/scheduler";
import { heapTryAlloc } from "../runtime/index";
import { ioRequest, ioCall, requestOf, IO_OP_CALL, IO_OP_CALL_TEXT, IO_MODE_ASYNC, IO_FLAG_UTF16 } from "./io";

/** Most arguments a host function may take (the build refuses more). */
// @ts-ignore: decorator
@inline export const CALL_ARGS_MAX: i32 = 16;

/** The calling thread's argument block (CALL_ARGS_MAX values of 8 bytes), made on its first host call
 *  and kept in its request record's first reserved word. A thread with no memory left for it traps. */
export function __weft_call_args(): usize {
  let r = requestOf(changetype<Thread>(currentThread));
  if (changetype<usize>(r) == 0) abort("host call: no memory for the thread's request");
  let block = <usize>r.reserved0;
  if (block == 0) {
    block = heapTryAlloc(<usize>CALL_ARGS_MAX << 3);
    if (block == 0) abort("host call: no memory for the arguments");
    r.reserved0 = <u32>block;
  }
  return block;
}

/** Calls host function `index` with the `count` arguments in the thread's block; parks the thread until
 *  the host answers. Returns >= 0, or a negated errno (also the thread's errno). */
export function __weft_call(index: i32, count: i32): i32 {
  let block = __weft_call_args();
  let r = ioRequest(IO_OP_CALL, IO_MODE_ASYNC, index);
  if (r == null) return -12;                     // ENOMEM (errno is set)
  r.ptr = block;
  r.len = <u32>count;
  return ioCall(r);
}

/** What the calling thread's last host call left as text: the string it returned, or why it failed;
 *  null if it left none. */
export function hostText(): string | null {
  let r = ioRequest(IO_OP_CALL_TEXT, IO_MODE_ASYNC, -1);
  if (r == null) return null;
  r.flags = IO_FLAG_UTF16;
  let units = ioCall(r);
  if (units < 0) return null;
  let text = changetype<string>(__new(<usize>units << 1, idof<String>()));      // a root while this runs
  r = ioRequest(IO_OP_CALL_TEXT, IO_MODE_ASYNC, -1);
  if (r == null) return null;
  r.flags = IO_FLAG_UTF16;
  r.ptr = changetype<usize>(text);
  r.len = <u32>units;
  if (ioCall(r) < 0) return null;
  return text;
}

/** The bytes the calling thread's last host call returned (a Uint8Array or ArrayBuffer), or null. */
export function hostBytes(): Uint8Array | null {
  let r = ioRequest(IO_OP_CALL_TEXT, IO_MODE_ASYNC, -1);
  if (r == null) return null;
  let n = ioCall(r);
  if (n < 0) return null;
  let bytes = new Uint8Array(n);
  r = ioRequest(IO_OP_CALL_TEXT, IO_MODE_ASYNC, -1);
  if (r == null) return null;
  r.ptr = bytes.dataStart;
  r.len = <u32>n;
  if (ioCall(r) < 0) return null;
  return bytes;
}
