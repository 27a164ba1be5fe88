// JavaScript calling in: an instance kept alive, whose exported functions JavaScript runs as threads
// (host/serve.ts, `start` and `app.call`).
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
// resolves then, or rejects if main died), then asks the host for calls (IO_OP_CALL_NEXT), which stays
// pending — its thread parked, its processor free — until JavaScript calls. One answer carries every call
// waiting then that fits in the dispatcher's record (up to CALLS_MAX): which export, a call id, each
// argument as a number's 8 bytes or an object's kind and length, and the objects' contents (a string's
// UTF-16, bytes) inline. For each, the dispatcher makes the call's block (below) and the objects —
// strings, Uint8Arrays, ArrayBuffers — with their contents, pins the objects, and spawns the call's thread
// (named after the export, detached) with the wrapper the build wrote for that export
// (host/compiler/passes/exports.ts). A call whose objects do not fit in the record comes alone, without
// them, and the host copies them in (IO_OP_CALL_FILL). The next request reports each call's thread id
// (or why it could not start), so that a thread that dies is matched to its call. So a burst of calls
// costs one round trip to the host, not one per call: on processors that trip is a wake-up of the I/O
// owner and back. The wrapper loads the arguments, calls the export, stores the result and tells the
// host (IO_OP_RETURN) while the result is still one of its locals (a returned string cannot be collected
// before the host has read it); then the thread unpins the arguments and frees the block. A call whose
// thread died instead is reported by the host's `died`; the host hands its block back with the next
// answer and the dispatcher releases it. When the host closes the instance, it answers -ECANCELED and
// the dispatcher ends the program.
//
// Call block (heap, not managed): 0 result (8 bytes, as its Wasm type) · 8 wrapper (a function reference)
// · 12 object mask (bit k: argument k is an object the dispatcher made and pinned) · 16 call id · 24
// arguments, 8 bytes each as their Wasm type.
// Record (the answer; NEXT_BYTES): 0 a block to free, or 0 · 4 calls in it · 8 the calls, each: 0 which
// · 4 argument count n · 8 call id · 12 its size in bytes (a multiple of 8) · 16 flags (1: its objects'
// contents are not here: call_fill) · 24 n values of 8 bytes (a number, or an object's length: code
// units for a string, bytes otherwise) · n kinds of one byte (0 number, 1 string, 2 Uint8Array, 3
// ArrayBuffer), padded to 8 · each object's contents, padded to 8.
// Report (the request's ptr2 / len2, but for the first request, where they are main's error): len2
// pairs (call id, thread id or -errno) of the calls the last answer carried.

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
/** Most calls one answer carries. */
// @ts-ignore: decorator
@inline const CALLS_MAX: i32 = 256;
// @ts-ignore: decorator
@inline const BLOCK_ARGS: usize = 24;
// @ts-ignore: decorator
@inline const NEXT_BYTES: usize = 16384;

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
  let report = heapTryAlloc(<usize>CALLS_MAX << 3);
  if (next == 0 || report == 0) abort("calls: no memory for the dispatcher", null, 0, 0);
  // main first: the host's first request says how it ended.
  let ended = join(<i32>main);
  let r = ioRequest(IO_OP_CALL_NEXT, IO_MODE_DEFAULT, ended.value);
  if (r === null) abort("calls: no memory for a request", null, 0, 0);
  r!.flags = 1;
  let error = ended.error;
  if (error !== null) { r!.ptr2 = changetype<usize>(error); r!.len2 = error.length; }
  while (true) {
    r!.ptr = next;
    r!.len = <u32>NEXT_BYTES;
    let n = ioCall(r!);
    if (n < 0) break;                           // closed
    let dead = <usize>load<u32>(next, 0);
    if (dead != 0) blockRelease(dead);
    let at = next + 8;
    for (let i = 0; i < n && i < CALLS_MAX; i++) {
      store<u32>(report + (<usize>i << 3), load<u32>(at, 8));
      store<i32>(report + (<usize>i << 3), callMake(at), 4);
      at += <usize>load<u32>(at, 12);
    }
    r = ioRequest(IO_OP_CALL_NEXT, IO_MODE_DEFAULT, 0);
    if (r === null) abort("calls: no memory for a request", null, 0, 0);
    r!.ptr2 = report;
    r!.len2 = <u32>min(n, CALLS_MAX);
  }
  heapFree(next);
  heapFree(report);
  endProgram();
  return 0;
}

/** Makes the call at `entry` (the record's layout) and spawns its thread: the thread's id, or -errno. */
function callMake(entry: usize): i32 {
  let which = load<i32>(entry, 0), count = load<i32>(entry, 4);
  if (count < 0 || count > CALL_ARGS_MAX || starter == 0) return -EINVAL;
  let bytes = BLOCK_ARGS + (<usize>count << 3);
  let block = heapTryAlloc(bytes);
  if (block == 0) return -ENOMEM;
  memory.fill(block, 0, bytes);
  store<u32>(block, load<u32>(entry, 8), 16);
  let inline = (load<u32>(entry, 16) & 1) == 0;
  let kinds = entry + 24 + (<usize>count << 3);
  let data = kinds + ((<usize>count + 7) & ~7);
  let mask: u32 = 0;
  for (let k = 0; k < count; k++) {
    let value = load<u64>(entry + 24 + (<usize>k << 3));
    let kind = load<u8>(kinds + <usize>k);
    if (kind == KIND_NUMBER) { store<u64>(block + BLOCK_ARGS + (<usize>k << 3), value); continue; }
    let size = kind == KIND_STRING ? <usize>value << 1 : <usize>value;
    let object: usize = 0, contents: usize = 0;
    if (kind == KIND_STRING) object = contents = newObject(size, idof<String>());
    else if (kind == KIND_BYTES) {
      let buffer = newObject(size, idof<ArrayBuffer>());
      if (buffer != 0 && gcPin(buffer)) {       // held while its view is made
        object = changetype<usize>(Uint8Array.wrap(changetype<ArrayBuffer>(buffer)));
        gcUnpin(buffer);
        contents = buffer;
      }
    } else object = contents = newObject(size, idof<ArrayBuffer>());
    if (object == 0 || !gcPin(object)) { store<u32>(block, mask, 12); blockRelease(block); return -ENOMEM; }
    mask |= 1 << k;
    store<u32>(block, mask, 12);
    store<usize>(block + BLOCK_ARGS + (<usize>k << 3), object);
    if (inline) {
      memory.copy(contents, data, size);
      data += (size + 7) & ~7;
    }
  }
  if (!inline) hostCall(IO_OP_CALL_FILL, block, load<i32>(entry, 8), 0);   // the host copies them in
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
