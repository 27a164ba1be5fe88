// JavaScript calling in: an instance kept alive, whose exported functions JavaScript runs as threads
// (host/kernel/serve.ts, `start` and `app.call`).
//
// Design note
// -----------
// The calls come in through the I/O path, as everything from the host does, so that one design serves
// N:1, M:N and 1:1 alike: the host that answers the program's system calls (its I/O owner, on the thread
// that called start) is the only party that sees JavaScript's calls, and the only one that may not touch
// the core's heap in a shared run.
//
// `weft_serve(main)`, right after main is spawned, makes main's end no longer the program's
// (core/thread.ts) and spawns the dispatcher, a detached thread named "calls". It joins main (start()
// resolves then, or rejects if main died), then asks the host for the next call (IO_OP_CALL_NEXT), which
// stays pending — its thread parked, its processor free — until JavaScript calls. The answer, in the
// dispatcher's next-call record, is which export, a call id, and each argument: a number's 8 bytes, or an
// object's kind and length. The dispatcher makes the call's block (below) and the objects — strings,
// Uint8Arrays, ArrayBuffers — pins them, has the host copy their contents in (IO_OP_CALL_FILL), and
// spawns the call's thread (named after the export, detached) with the wrapper the build wrote for that
// export (host/compiler/passes/exports.ts). Its next request tells the host that thread's id (or why it
// could not start), so that a thread that dies is matched to its call. The wrapper loads the arguments,
// calls the export, stores the result and tells the host (IO_OP_RETURN) while the result is still one of
// its locals (a returned string cannot be collected before the host has read it); then the thread
// unpins the arguments and frees the block. A call whose thread died instead is reported by the host's
// `died`; the host hands its block back with the next call (the record's `free` word) and the dispatcher
// releases it. When the host closes the instance, it answers the dispatcher -ECANCELED and the
// dispatcher ends the program.
//
// Call block (heap, not managed): 0 result (8 bytes, as its Wasm type) · 8 wrapper (a function reference)
// · 12 object mask (bit k: argument k is an object the dispatcher made and pinned) · 16 call id · 24
// arguments, 8 bytes each as their Wasm type.
// Next-call record: 0 which · 4 argument count · 8 call id · 12 a block to free, or 0 · 16 ARGS_MAX values
// of 8 bytes (a number, or an object's length: code units for a string, bytes otherwise) · then
// ARGS_MAX kinds of one byte (0 number, 1 string, 2 Uint8Array, 3 ArrayBuffer).

import { spawn, join, SpawnOptions, serveSet } from "../core/thread";
import { endProgram } from "../core/scheduler";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { gcPin, gcUnpin, objectInit } from "../runtime/gc";
import { OBJECT_OVERHEAD } from "rt/common";
import { EINVAL, ENOMEM } from "../core/errno";
import { ioRequest, ioCall, IO_MODE_DEFAULT } from "./io";

// @ts-ignore: decorator
@inline const IO_OP_RETURN: u32 = 25;
// @ts-ignore: decorator
@inline const IO_OP_CALL_NEXT: u32 = 26;
// @ts-ignore: decorator
@inline const IO_OP_CALL_FILL: u32 = 27;

/** Most arguments a callable export may take (the build leaves out one that takes more). */
// @ts-ignore: decorator
@inline export const CALL_ARGS_MAX: i32 = 32;
// @ts-ignore: decorator
@inline const BLOCK_ARGS: usize = 24;
// @ts-ignore: decorator
@inline const NEXT_KINDS: usize = 16 + (<usize>CALL_ARGS_MAX << 3);
// @ts-ignore: decorator
@inline const NEXT_BYTES: usize = NEXT_KINDS + <usize>CALL_ARGS_MAX;

// @ts-ignore: decorator
@inline const KIND_NUMBER: u8 = 0;
// @ts-ignore: decorator
@inline const KIND_STRING: u8 = 1;
// @ts-ignore: decorator
@inline const KIND_BYTES: u8 = 2;

/** The build's switch over the program's callable exports (which, block) -> thread id or -errno; set by
 *  the generated entry as the module starts. */
let starter: usize = 0;

export function callStarterSet(f: (which: i32, block: usize) => i32): void { starter = changetype<usize>(f); }

/** Main's end is no longer the program's; the dispatcher starts (after main is spawned, as `main`). */
export function weft_serve(main: i32): i32 {
  serveSet();
  let options = new SpawnOptions();
  options.name = "calls";
  options.detached = true;
  return spawn(dispatcher, <usize>main, options);
}

/** Spawns the call's thread: `wrapper` with `block`, named `name`. Its id, or -errno. */
export function callStart(wrapper: (block: usize) => void, block: usize, name: string): i32 {
  store<usize>(block, changetype<usize>(wrapper), 8);
  let options = new SpawnOptions();
  options.name = name;
  options.detached = true;
  return spawn(callEntry, block, options);
}

/** Called by the generated wrappers once the result is in the block. */
export function callReturned(block: usize): void { hostCall(IO_OP_RETURN, block, 0, 0); }

function callEntry(block: usize): i32 {
  changetype<(block: usize) => void>(load<usize>(block, 8))(block);
  blockRelease(block);
  return 0;
}

function dispatcher(main: usize): i32 {
  let next = heapTryAlloc(NEXT_BYTES);
  if (next == 0) abort("calls: no memory for the dispatcher", null, 0, 0);
  // main first: the host's first request says how it ended.
  let ended = join(<i32>main);
  let r = ioRequest(IO_OP_CALL_NEXT, IO_MODE_DEFAULT, ended.value);
  if (r === null) abort("calls: no memory for a request", null, 0, 0);
  r!.flags = 1;
  let error = ended.error;
  if (error !== null) { r!.ptr2 = changetype<usize>(error); r!.len2 = error.length; }
  let started: i32 = 0, thread: i32 = 0;        // the call just started and its thread (or -errno)
  while (true) {
    r!.ptr = next;
    r!.len = <u32>NEXT_BYTES;
    r!.fd = started;
    r!.arg = thread;
    let n = ioCall(r!);
    if (n < 0) break;                           // closed
    let dead = <usize>load<u32>(next, 12);
    if (dead != 0) blockRelease(dead);
    started = 0;
    if (n > 0) {
      started = load<i32>(next, 8);
      thread = callMake(next);
    }
    r = ioRequest(IO_OP_CALL_NEXT, IO_MODE_DEFAULT, 0);
    if (r === null) abort("calls: no memory for a request", null, 0, 0);
    r!.flags = 0;
  }
  heapFree(next);
  endProgram();
  return 0;
}

/** Makes the call the record describes and spawns its thread: the thread's id, or -errno. */
function callMake(next: usize): i32 {
  let which = load<i32>(next, 0), count = load<i32>(next, 4);
  if (count < 0 || count > CALL_ARGS_MAX || starter == 0) return -EINVAL;
  let bytes = BLOCK_ARGS + (<usize>count << 3);
  let block = heapTryAlloc(bytes);
  if (block == 0) return -ENOMEM;
  memory.fill(block, 0, bytes);
  store<u32>(block, load<u32>(next, 8), 16);
  let mask: u32 = 0;
  for (let k = 0; k < count; k++) {
    let value = load<u64>(next + 16 + (<usize>k << 3));
    let kind = load<u8>(next + NEXT_KINDS + <usize>k);
    let object: usize = 0;
    if (kind == KIND_NUMBER) { store<u64>(block + BLOCK_ARGS + (<usize>k << 3), value); continue; }
    if (kind == KIND_STRING) object = newObject(<usize>value << 1, idof<String>());
    else if (kind == KIND_BYTES) {
      let buffer = newObject(<usize>value, idof<ArrayBuffer>());
      if (buffer != 0 && gcPin(buffer)) {       // held while its view is made
        object = changetype<usize>(Uint8Array.wrap(changetype<ArrayBuffer>(buffer)));
        gcUnpin(buffer);
      }
    } else object = newObject(<usize>value, idof<ArrayBuffer>());
    if (object == 0 || !gcPin(object)) { store<u32>(block, mask, 12); blockRelease(block); return -ENOMEM; }
    mask |= 1 << k;
    store<u32>(block, mask, 12);
    store<usize>(block + BLOCK_ARGS + (<usize>k << 3), object);
  }
  hostCall(IO_OP_CALL_FILL, block, load<i32>(next, 8), 0);    // the host copies the objects' contents in
  let id = changetype<(which: i32, block: usize) => i32>(starter)(which, block);
  if (id < 0) blockRelease(block);
  return id;
}

/** A managed object of `size` bytes (zeroed) of class `id`, or 0 when memory is exhausted. */
function newObject(size: usize, id: u32): usize {
  let block = heapTryAlloc(OBJECT_OVERHEAD + size);
  if (block == 0) return 0;
  let object = objectInit(block, size, id);
  memory.fill(object, 0, size);
  return object;
}

/** Unpins a call's objects and frees its block. */
function blockRelease(block: usize): void {
  let mask = load<u32>(block, 12);
  for (let k = 0; mask != 0; k++, mask >>= 1) {
    if (mask & 1) gcUnpin(load<usize>(block + BLOCK_ARGS + (<usize>k << 3)));
  }
  heapFree(block);
}

function hostCall(op: u32, block: usize, fd: i32, arg: i32): void {
  let r = ioRequest(op, IO_MODE_DEFAULT, fd);
  if (r === null) abort("calls: no memory for a request", null, 0, 0);
  r!.ptr = block;
  r!.arg = arg;
  ioCall(r!);
}
