// Stress across processors, with forced migrations (every counting thread moves to the next processor
// every 64 rounds: migrate()):
//   - THREADS threads × ROUNDS lock/unlock pairs of one Mutex around a plain counter (1,000,000 ops);
//   - PAIRS producer/consumer pairs handing MESSAGES values each over a Semaphore-guarded slot (futex
//     waits and wakes across processors), and one Channel carrying every value again;
//   - heap bytes before and after: every thread is joined (joinInto), so nothing may be left (a small
//     warm-up run first makes the futex table; the processors' waiter pools, kept for reuse, and main's
//     own save area and stack, which grow with its deepest switch and frame, are not counted).
// Each counting thread keeps a TLS value, checked after every move (its TLS block follows it).
// Prints `mutex_total=`, `expected=`, `handoff_sum=`, `handoff_expected=`, `channel_sum=`, `processors=`,
// `ran_on=` (processors any thread ran on), `migrations=`, `leaked=` (heap bytes), `tls_mismatches=`.
import {
  spawn, joinInto, JoinResult, migrate, Mutex, Semaphore, Channel, processors, processorId, print,
  tlsKeyCreate, tlsSet, tlsGet, gc,
} from "weft";
import { heapAllocated, heapCapacity } from "weft/assembly/runtime/index";
import { waiterPoolBytes } from "weft/assembly/lib/waiter";
import { currentThread } from "weft/assembly/core/scheduler";
import { Thread } from "weft/assembly/core/layout";
import { STACK_NONE } from "weft/assembly/core/stack";

const THREADS = 8;
const ROUNDS = 62_500;
const PAIRS = 4;
const MESSAGES = 20_000;

let lock = new Mutex();
let counter: i64 = 0;
let seenMask: u64 = 0;
let migrations: i32 = 0;
let seenLock = new Mutex();
let channel = new Channel<i32>(16);
let key: i32 = -1;                          // a TLS key: each counting thread's value must follow it
const TLS_MISMATCHES = memory.data(4, 4);
let rounding = ROUNDS;
let messaging = MESSAGES;

class Slot {
  empty: Semaphore = new Semaphore(1);
  full: Semaphore = new Semaphore(0);
  value: i32 = 0;
  sum: i64 = 0;
}
let slots = new StaticArray<Slot>(PAIRS);
let ids = new StaticArray<i32>(THREADS + 2 * PAIRS + 1);   // made once

function note(mask: u64, moved: i32): void {
  seenLock.lock();
  seenMask |= mask;
  migrations += moved;
  seenLock.unlock();
}

function counting(arg: usize): i32 {
  let where = processorId(), mask: u64 = <u64>1 << <u64>where, moved = 0;
  tlsSet(key, arg + 1);
  for (let i = 0; i < rounding; i++) {
    lock.lock();
    counter++;
    lock.unlock();
    if ((i & 63) == 0) {
      migrate();
      if (tlsGet(key) != arg + 1) atomic.add<i32>(TLS_MISMATCHES, 1);
      let now = processorId();
      if (now != where) { moved++; where = now; mask |= <u64>1 << <u64>now; }
    }
  }
  note(mask, moved);
  return 0;
}

function producer(pair: usize): i32 {
  let slot = slots[<i32>pair];
  for (let i = 1; i <= messaging; i++) {
    slot.empty.acquire();
    slot.value = i;
    slot.full.release();
  }
  return 0;
}

function consumer(pair: usize): i32 {
  let slot = slots[<i32>pair];
  for (let i = 1; i <= messaging; i++) {
    slot.full.acquire();
    let v = slot.value;
    slot.empty.release();
    slot.sum += v;
    channel.send(v);
  }
  return 0;
}

let channelSum: i64 = 0;
function draining(_: usize): i32 {
  let sum: i64 = 0;
  for (let i = 0; i < PAIRS * messaging; i++) sum += channel.recv();
  channelSum = sum;
  return 0;
}

/** The whole workload once, small: the futex table and the processors' waiter pools (kept for reuse,
 *  never freed) are made here, so the measured run starts with them. */
function workload(rounds: i32, messages: i32, result: JoinResult): void {
  rounding = rounds;
  messaging = messages;
  let n = 0;
  for (let i = 0; i < THREADS; i++) ids[n++] = spawn(counting, i);
  for (let p = 0; p < PAIRS; p++) { ids[n++] = spawn(producer, p); ids[n++] = spawn(consumer, p); }
  ids[n++] = spawn(draining, 0);
  for (let i = 0; i < n; i++) joinInto(ids[i], result);
}

/** Heap bytes in use, less the waiter pools and main's own blocks: its save area, as big as its deepest
 *  switch so far (a tick deeper in spawn than any before grows it), and its stack, which grows as deep.
 *  Neither is another thread's leftovers. */
function heapInUse(): isize {
  let t = changetype<Thread>(currentThread);
  let own = t.saveArea != 0 ? heapCapacity(t.saveArea) : 0;
  if (t.stackBase != STACK_NONE) own += heapCapacity(t.stackBase);
  return <isize>heapAllocated() - <isize>waiterPoolBytes() - <isize>own;
}

export function main(): i32 {
  for (let p = 0; p < PAIRS; p++) slots[p] = new Slot();
  key = tlsKeyCreate();
  let result = new JoinResult();
  workload(64, 64, result);
  counter = 0; seenMask = 0; migrations = 0;
  for (let p = 0; p < PAIRS; p++) slots[p].sum = 0;
  gc();                                 // what the first round left as garbage is not counted
  let before = heapInUse();
  workload(ROUNDS, MESSAGES, result);
  gc();
  let after = heapInUse();
  let handoff: i64 = 0;
  for (let p = 0; p < PAIRS; p++) handoff += slots[p].sum;
  print("mutex_total=" + counter.toString());
  print("expected=" + (<i64>THREADS * ROUNDS).toString());
  print("handoff_sum=" + handoff.toString());
  print("handoff_expected=" + (<i64>PAIRS * MESSAGES * (MESSAGES + 1) / 2).toString());
  print("channel_sum=" + channelSum.toString());
  print("processors=" + processors().toString());
  print("ran_on=" + popcnt<u64>(seenMask).toString());
  print("migrations=" + migrations.toString());
  print("leaked=" + (after - before).toString());
  print("tls_mismatches=" + atomic.load<i32>(TLS_MISMATCHES).toString());
  return 0;
}
