// Thread-local storage: keys with a value per thread, destructors at thread exit, and errno.
//
// Design note
// -----------
// A key is a small integer naming a slot of every thread's TLS block (layout.ts, "TLS block"). A thread
// gets its block the first time it sets a key, sized for the keys created so far, and grows it if later
// keys are set; the switch installs the running thread's block in `tlsBase` (scheduler.ts), so reading a
// key is two loads. At exit, each key with a value and a destructor has its value cleared and the
// destructor called with the old value, repeated up to DESTRUCTOR_ROUNDS times while destructors set new
// values (POSIX's PTHREAD_DESTRUCTOR_ITERATIONS). A thread that dies of a trap runs no destructors.
// Deleting a key neither runs destructors nor touches values; a new key may reuse the slot only after
// every live thread's value for it was cleared (values are cleared on delete).
//
// Access rule: the key registry is guarded by the scheduler lock (processor.ts; nothing in N:1), which also
// keeps the thread table still while delete walks it; a TLS block is owned by its thread. (M:N: a delete
// that races a tlsSet growing that thread's block on another processor may clear the old block only.)

import { Thread, TLS_HEADER } from "./layout";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { gcShadeMaybe } from "../runtime/gc";
import { currentThread, tlsBase, installTls } from "./scheduler";
import { threadAt, threadTableUsed } from "./table";
import { EAGAIN, EINVAL, ENOMEM } from "./errno";
import { schedLockTake, schedLockDrop } from "./processor";

/** Most keys that can exist at once (POSIX asks for at least 128; 256 costs 1.3 KB of registry).
 *  Not configurable. */
// @ts-ignore: decorator
@inline export const TLS_KEYS_MAX: i32 = 256;
// @ts-ignore: decorator
@inline const DESTRUCTOR_ROUNDS: i32 = 4;

// Registry: per key, the destructor (a Function object, or 0) and whether the key is in use.
// @ts-ignore: decorator
@lazy const DESTRUCTORS: usize = memory.data(TLS_KEYS_MAX * 4, 16);
// @ts-ignore: decorator
@lazy const IN_USE: usize = memory.data(TLS_KEYS_MAX, 16);
// @ts-ignore: decorator
@lazy let keysHigh: i32 = 0;   // one past the highest key ever created

/** Creates a key; returns it (>= 0) or -EAGAIN when TLS_KEYS_MAX keys exist. */
export function tlsKeyCreate(destructor: ((value: usize) => void) | null = null): i32 {
  schedLockTake();
  for (let k = 0; k < TLS_KEYS_MAX; k++) {
    if (load<u8>(IN_USE + k) == 0) {
      store<u8>(IN_USE + k, 1);
      store<usize>(DESTRUCTORS + (<usize>k << 2), changetype<usize>(destructor));
      if (k >= keysHigh) keysHigh = k + 1;
      schedLockDrop();
      return k;
    }
  }
  schedLockDrop();
  return -EAGAIN;
}

/** Deletes a key: every thread's value for it is dropped (no destructor runs). 0 or EINVAL. */
export function tlsKeyDelete(key: i32): i32 {
  schedLockTake();
  let result = keyDeleteLocked(key);
  schedLockDrop();
  return result;
}

function keyDeleteLocked(key: i32): i32 {
  if (!keyValid(key)) return EINVAL;
  store<u8>(IN_USE + key, 0);
  store<usize>(DESTRUCTORS + (<usize>key << 2), 0);
  let used = threadTableUsed();
  for (let slot: u32 = 1; slot < used; slot++) {
    let tp = threadAt(slot);
    if (tp == 0) continue;
    let block = changetype<Thread>(tp).tls;
    if (block != 0 && <u32>key < load<u32>(block)) store<usize>(slotAddr(block, key), 0);
  }
  return 0;
}

// @ts-ignore: decorator
@inline function keyValid(key: i32): bool {
  return key >= 0 && key < TLS_KEYS_MAX && load<u8>(IN_USE + key) != 0;
}
// @ts-ignore: decorator
@inline function slotAddr(block: usize, key: i32): usize { return block + TLS_HEADER + (<usize>key << 2); }

/** The calling thread's value for `key` (0 if unset or the key is invalid). */
export function tlsGet(key: i32): usize {
  let block = tlsBase;
  if (block == 0 || <u32>key >= load<u32>(block)) return 0;
  return load<usize>(slotAddr(block, key));
}

/** Sets the calling thread's value for `key`. 0, EINVAL (no such key) or ENOMEM. */
export function tlsSet(key: i32, value: usize): i32 {
  if (!keyValid(key)) return EINVAL;
  let t = changetype<Thread>(currentThread);
  let block = t.tls;
  if (block == 0 || <u32>key >= load<u32>(block)) {
    block = growBlock(t, max<i32>(keysHigh, key + 1));
    if (block == 0) return ENOMEM;
  }
  gcShadeMaybe(value);                          // the write barrier (runtime/gc.ts): TLS is a root
  store<usize>(slotAddr(block, key), value);
  return 0;
}

function growBlock(t: Thread, keys: i32): usize {
  let capacity = max<i32>(keys, 4);
  let block = heapTryAlloc(TLS_HEADER + (<usize>capacity << 2));
  if (block == 0) return 0;
  memory.fill(block, 0, TLS_HEADER + (<usize>capacity << 2));
  store<u32>(block, <u32>capacity);
  let old = t.tls;
  if (old) {
    memory.copy(block + TLS_HEADER, old + TLS_HEADER, <usize>load<u32>(old) << 2);
    heapFree(old);
  }
  t.tls = block;
  if (changetype<usize>(t) == currentThread) installTls(block);
  return block;
}

/** Runs the destructors of `t`'s keys (exit protocol step 1; runs in the exiting thread). */
export function tlsRunDestructors(t: Thread): void {
  for (let round = 0; round < DESTRUCTOR_ROUNDS; round++) {
    let block = t.tls;
    if (block == 0) return;
    let ran = false;
    let n = <i32>load<u32>(block);
    for (let k = 0; k < n; k++) {
      let addr = slotAddr(t.tls, k);
      let value = load<usize>(addr);
      let destructor = load<usize>(DESTRUCTORS + (<usize>k << 2));
      if (value == 0 || destructor == 0 || load<u8>(IN_USE + k) == 0) continue;
      store<usize>(addr, 0);
      changetype<(value: usize) => void>(destructor)(value);
      ran = true;
    }
    if (!ran) return;
  }
}

/** Frees `t`'s TLS block. */
export function tlsRelease(t: Thread): void {
  if (t.tls) { heapFree(t.tls); t.tls = 0; }
}

/** The calling thread's errno. */
export function getErrno(): i32 { return currentThread ? changetype<Thread>(currentThread).errno : 0; }

/** Sets the calling thread's errno. */
export function setErrno(value: i32): void {
  if (currentThread) changetype<Thread>(currentThread).errno = value;
}

/** A typed thread-local variable: `const counter = new ThreadLocal<i32>()`. Values are per thread. */
export class ThreadLocal<T> {
  readonly key: i32;
  constructor(destructor: ((value: usize) => void) | null = null) {
    let key = tlsKeyCreate(destructor);
    if (key < 0) abort("ThreadLocal: no TLS key left (" + TLS_KEYS_MAX.toString() + " in use)");
    this.key = key;
  }
  get(): T {
    let v = tlsGet(this.key);
    if (isReference<T>()) return changetype<T>(v);
    // @ts-ignore: integer and float types
    return <T>v;
  }
  set(value: T): void {
    let v: usize;
    if (isReference<T>()) v = changetype<usize>(value);
    // @ts-ignore: integer and float types
    else v = <usize>value;
    if (tlsSet(this.key, v) != 0) abort("ThreadLocal.set: no memory for the TLS block");
  }
}
