// Waiters and parkers: the records a blocked channel operation or select leaves in channel queues, the
// word its thread sleeps on, and the per-processor pool the records come from. channel.ts's design note
// ("Park protocol", "Wake protocol") says how they are used; this file holds the records and the only
// functions that change a parker's phase.

import { atomicCas, atomicLoad, atomicStore, atomicAdd } from "../core/atomics";
import { futexWake, unparkWith } from "../core/futex";
import { currentThread } from "../core/scheduler";
import { Thread } from "../core/layout";
import { heapTryAlloc, heapCapacity } from "../runtime/index";
import { gcAddRoots } from "../core/gc";
import { gcMarkMaybe, gcShadeMaybe } from "../runtime/gc";

// ╒════════════ Waiter (44 bytes, heap; wasm32 offsets) ════════════╕
//   0 │ state      i32    parker word of a single operation (PARK_*)  │
//   4 │ parker     usize  address of the word that decides this waiter│
//   8 │ next       usize  queue link; guarded by the channel's lock    │
//  12 │ prev       usize  queue link; guarded by the channel's lock    │
//  16 │ channel    usize  its channel; owner only                      │
//  20 │ caseIndex  i32    reported in the parker word when it fires;   │
//     │                   a single operation's INTERRUPTED mark (M:N,  │
//     │                   core/parked.ts), under the channel's lock    │
//  24 │ flags      i32    QUEUED (guarded by lock), SEND (owner only) │
//  28 │ thread     usize  its owner (a single operation's waiter)      │
//  32 │ value      u64    value to send / value received (T as bits)   │
//  40 │ all        usize  the next waiter ever made (the collector's   │
//     │                   list of them; pushed once, never removed)    │
// ╘══════════════════════════════════════════════════════════════════╛
// `value`: written by the owner before step 2 or by the claimer in wake step 3; read by the owner after
// DONE, or by the claimer of a sender.
//
// Parker word: bits 0-1 phase, bit 2 CLOSED, bits 3-31 case index. Phases, changed only by the parker*
// functions: WAITING (owner sleeps or is about to) -> CLAIMED (a waker owns the waiter; selects only)
// -> DONE (result in place; the owner may return) -> WAITING (owner only, when a Select waits again).
// A single operation's owner that sleeps makes it PARKED first (M:N: WAITING -> PARKED; the word then holds
// its Thread's address | PARKED, records being 16-aligned), and whoever takes it out of PARKED wakes the
// owner: its waker, storing DONE, or a signal, putting WAITING back — in M:N both under the channel's
// lock (core/parked.ts).
//
// Values travel as 64-bit patterns (toBits / fromBits), so one copy of the code serves every T and one
// Select mixes channels of different element types. T must be a number, bool or reference. A reference
// is then a number the compiler does not see, so the collector (core/gc.ts) looks at every pool waiter
// ever made (they are never freed) and keeps alive what a waiter's value points at: a parked sender's
// value, a value handed to a receiver that has not run yet. A waiter back in the pool holds 0. A
// Select's waiters are its own, in its cases block, and its __visit marks them (select.ts).

/** The parker word's phases and fields (see "Parker word"). */
export const enum Parker { WAITING = 0, CLAIMED = 1, DONE = 2, PARKED = 3, PHASE = 3, CLOSED = 4, CASE_SHIFT = 3 }
/** Waiter.flags. */
export const enum WaiterFlag { QUEUED = 1, SEND = 2 }
@unmanaged export class Waiter {
  state: i32;
  parker: usize;
  next: usize;
  prev: usize;
  channel: usize;
  caseIndex: i32;
  flags: i32;
  thread: usize;
  value: u64;
  all: usize;
}

// @ts-ignore: decorator
@inline export const WAITER_SIZE: usize = 44;

// ─── Values as bits ───

/** The write barrier for a value stored as bits where a collection must find it (a buffer slot, a
 *  waiter): while marking runs, what it points at is marked (runtime/gc.ts, gcShade). */
// @ts-ignore: decorator
@inline export function shadeBits(value: u64): void {
  if ((value >> 32) == 0) gcShadeMaybe(<usize>value);
}

/** T's bits in a u64 (the form values take in buffers, waiters and select cases). */
// @ts-ignore: decorator
@inline export function toBits<T>(value: T): u64 {
  if (isReference<T>()) return <u64>changetype<usize>(value);
  if (isFloat<T>()) {
    if (sizeof<T>() == 8) return reinterpret<u64>(value);
    return <u64>reinterpret<u32>(value);
  }
  if (isInteger<T>()) return <u64>value;
  ERROR("Channel<T>: T must be an integer, float, bool or reference type");
  return 0;
}

/** The T whose bits toBits gave. fromBits<T>(0) is T's zero value (0, false, null). */
// @ts-ignore: decorator
@inline export function fromBits<T>(bits: u64): T {
  if (isReference<T>()) return changetype<T>(<usize>bits);
  if (isFloat<T>()) {
    if (sizeof<T>() == 8) return reinterpret<T>(bits);
    return reinterpret<T>(<u32>bits);
  }
  return <T>bits;
}

// ─── Parker transitions (the phases under "Parker word") ───

/** WAITING -> CLAIMED. False if the parker is no longer WAITING (a select fired by another case). */
// @ts-ignore: decorator
@inline export function parkerClaim(parker: usize): bool {
  return atomicCas(parker, Parker.WAITING, Parker.CLAIMED) == Parker.WAITING;
}

/** WAITING -> DONE with the result for a single operation's waiter, whose owner parks outside the futex
 *  table (core/futex.ts, parkOn and parkUnseen): it is made runnable directly, with no lookup (wake
 *  protocol, step 4). M:N: with the channel's lock held (core/parked.ts, "The invariant"). */
// @ts-ignore: decorator
@inline export function waiterComplete(w: Waiter, result: i32): void {
  let parker = changetype<usize>(w);
  if ((atomicLoad(parker) & Parker.PHASE) == Parker.DONE) abort("parkerComplete: the waiter is already done");
  unparkWith(changetype<Thread>(w.thread), parker, Parker.DONE | result);   // the owner read first
}

/** WAITING or CLAIMED -> DONE with the result, then wakes the owner (wake protocol, step 4). */
// @ts-ignore: decorator
@inline export function parkerComplete(parker: usize, result: i32): void {
  if ((atomicLoad(parker) & Parker.PHASE) == Parker.DONE) abort("parkerComplete: the waiter is already done");
  atomicStore(parker, Parker.DONE | result);
  futexWake(parker, 1);
}

/** DONE (or new) -> WAITING, by the owner before it queues the parker's waiters again. */
// @ts-ignore: decorator
@inline export function parkerReset(parker: usize): void {
  atomicStore(parker, Parker.WAITING);
}

// ─── Waiter pool (per processor: a Wasm global, so no lock; waiters may migrate between pools) ───

let freeWaiters: usize = 0;
/** Heap bytes every processor's pool holds, together (pools only grow): lets a program tell what is
 *  kept for reuse from what leaked. A word of its own, added to atomically by each processor. */
const pooledBytes: usize = memory.data(8, 8);

/** A waiter from this processor's pool, or a new one. Inlined: a channel operation that waits takes one
 *  each time; the allocation is the rare path. */
// @ts-ignore: decorator
@inline export function waiterAcquire(): Waiter {
  let w = freeWaiters;
  if (w == 0) return waiterNew();
  freeWaiters = changetype<Waiter>(w).next;
  return changetype<Waiter>(w);
}

function waiterNew(): Waiter {
  let w = heapTryAlloc(WAITER_SIZE);
  if (w == 0) abort("waiterAcquire: no memory for a waiter record");
  atomicAdd(pooledBytes, <i32>heapCapacity(w));
  waiterRegister(changetype<Waiter>(w));
  return changetype<Waiter>(w);
}

// ─── Every waiter, for the collector ───

/** The newest waiter ever made; each names the one made before it (Waiter.all). A word of its own,
 *  pushed with a compare-and-swap (a processor making a waiter takes no lock), read by the collector
 *  while every processor is stopped. */
const allWaiters: usize = memory.data(8, 8);

/** Adds a pool waiter just made to the collector's list. */
function waiterRegister(w: Waiter): void {
  gcAddRoots(markWaiterValues);
  w.value = 0;
  let head = atomicLoad(allWaiters);
  while (true) {
    w.all = <usize>head;
    let seen = atomicCas(allWaiters, head, <i32>changetype<usize>(w));
    if (seen == head) return;
    head = seen;
  }
}

/** Roots: what every pool waiter's value points at (see "Values travel as 64-bit patterns"), and a queued
 *  one's channel. A waiter back in the pool keeps the address of the channel it last waited on, which
 *  may be freed since: only core/parked.ts reads it there, to find that the waiter is no longer that
 *  channel's. */
function markWaiterValues(): void {
  let w = <usize>atomicLoad(allWaiters);
  while (w != 0) {
    let waiter = changetype<Waiter>(w);
    let value = waiter.value;
    if ((value >> 32) == 0) gcMarkMaybe(<usize>value);
    if (waiter.flags & WaiterFlag.QUEUED) gcMarkMaybe(waiter.channel);
    w = waiter.all;
  }
}

/** Heap bytes held by the waiter pools (see pooledBytes). */
export function waiterPoolBytes(): usize { return <usize>atomicLoad(pooledBytes); }

// @ts-ignore: decorator
@inline export function waiterRelease(w: Waiter): void {
  w.value = 0;                                // a pooled waiter keeps nothing alive
  w.next = freeWaiters;
  freeWaiters = changetype<usize>(w);
}

/** Makes `w` a single operation's waiter: it decides itself. */
// @ts-ignore: decorator
@inline export function waiterPrepare(w: Waiter, flags: i32, value: u64, channel: usize): void {
  // WAITING (`state` is at offset 0), by a plain store: the waiter is nobody else's until the caller's
  // unlock of the channel publishes it (queued under the lock), and its last waker's stores came before
  // the DONE this thread read when it last used it. (parkerReset's seq-cst store is a locked instruction.)
  store<i32>(changetype<usize>(w), Parker.WAITING);
  w.parker = changetype<usize>(w);
  w.thread = currentThread;
  w.channel = channel;
  w.caseIndex = 0;                            // M:N: the INTERRUPTED mark (core/parked.ts)
  w.flags = flags;
  shadeBits(value);
  w.value = value;
}
