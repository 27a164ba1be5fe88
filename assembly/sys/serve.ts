// JavaScript calling in: an instance kept alive, whose exported functions JavaScript runs as threads
// (host/kernel/serve.ts, `start` and `app.call`).
//
// Design note
// -----------
// `weft_serve()`, before main starts, makes main's end no longer the program's (core/thread.ts): the
// instance lives until the host closes it. For each function the program's entry file exports besides
// main, the build (host/compiler/passes/exports.ts) writes a wrapper into the generated entry,
//     function __weft_export_0(block: usize): void { let r = handle(load<i32>(block, 16), ...); store<..>(block, r); callReturned(block); }
// and a switch `weft_call_start(which, block, name)` that spawns a detached thread running callEntry
// with the wrapper. A call's block (weft_call_block) holds the result (8 bytes), the wrapper (a function
// reference, 8 bytes) and the arguments from byte 16, 8 bytes each as their Wasm type. Strings and byte
// arrays the host made for arguments (weft_new_string, weft_new_bytes) are pinned (weft_pin) until the
// call returns, since only the block — which the collector does not read — holds them before the thread
// starts. The wrapper tells the host the call returned (IO_OP_RETURN) while its result is still one of
// its locals: a returned string cannot be collected before the host has read it. A thread that traps
// instead is reported by the `died` import, as any other; the host rejects that call.

import { spawn, SpawnOptions, serveSet, mainEnded } from "../core/thread";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { gcPin, gcUnpin } from "../runtime/gc";
import { EINVAL } from "../core/errno";
import { ioRequest, ioCall, IO_MODE_DEFAULT } from "./io";

// @ts-ignore: decorator
@inline const IO_OP_RETURN: u32 = 25;

// @ts-ignore: decorator
@inline const BLOCK_WRAPPER: usize = 8;

/** Main's end is no longer the program's: the host ends the instance (call before weft_start). */
export function weft_serve(): void { serveSet(); }

/** 1 once main has returned or died (serving). */
export function weft_main_done(): i32 { return mainEnded() ? 1 : 0; }

/** A call's block: 16 bytes, then `args` values of 8 bytes; 0 when memory is exhausted. */
export function weft_call_block(args: i32): usize {
  if (args < 0 || args > 64) return 0;
  let bytes: usize = 16 + (<usize>args << 3);
  let block = heapTryAlloc(bytes);
  if (block != 0) memory.fill(block, 0, bytes);
  return block;
}

export function weft_call_free(block: usize): void { heapFree(block); }

/** Keeps the object at `p` from the collector until weft_unpin (1), or 0 when there is no memory. */
export function weft_pin(p: usize): i32 { return gcPin(p) ? 1 : 0; }
export function weft_unpin(p: usize): void { gcUnpin(p); }

/** A Uint8Array of `length` bytes for the host to fill (its data at the u32 at ptr + 4); 0 without memory. */
export function weft_new_bytes(length: i32): usize {
  if (length < 0) return 0;
  return changetype<usize>(new Uint8Array(length));
}

/** A call's thread: the wrapper calls the export, stores its result and tells the host (callReturned). */
function callEntry(block: usize): i32 {
  changetype<(block: usize) => void>(load<usize>(block, BLOCK_WRAPPER))(block);
  return 0;
}

/** Called by the generated wrappers once the result is in the block. */
export function callReturned(block: usize): void {
  let r = ioRequest(IO_OP_RETURN, IO_MODE_DEFAULT, -1);
  if (r === null) abort("call: no memory to return the result", null, 0, 0);
  r!.ptr = block;
  ioCall(r!);
}

/** Spawns the thread that runs `wrapper` with `block`, named `name` (a String): its id, or -errno. */
export function callStart(wrapper: (block: usize) => void, block: usize, name: usize): i32 {
  if (block == 0) return -EINVAL;
  store<usize>(block, changetype<usize>(wrapper), BLOCK_WRAPPER);
  let options = new SpawnOptions();
  options.name = changetype<string>(name);
  options.detached = true;
  return spawn(callEntry, block, options);
}

/** For a program with no export to call: the build's switch when it has none. */
export function callNone(): i32 { return -EINVAL; }
