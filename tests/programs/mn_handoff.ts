// Hand-offs on processors (assembly/core/handoff.ts), for tests/mn-handoff.test.ts:
//   1. ping-pong and a ring over unbuffered channels: every value carries the processor its sender ran on,
//      and each receiver counts the values that came from its own processor (the sender parks right after
//      it sends, so the receiver should run next where the sender ran);
//   2. the bound: a thread of priority 7 wakes a thread of priority 0 and computes; the woken thread must
//      not wait for the computation to end: an idle processor takes it.
// Prints key=value lines.
import { spawn, join, Channel, processorId, setPriority, futexWait, futexWake, sleep, now, print } from "weft";

const PASSES = 20_000;
const RING = 32;
const LAPS = 500;
const ROUNDS = 5;
const GIVE_UP_MS = 3_000;

// ── 1. ping-pong and ring ────────────────────────────────────────────────────────────────────────────

@inline function tag(i: i32): i32 { return (i << 8) | processorId(); }
@inline function fromHere(v: i32): i32 { return (v & 0xff) == processorId() ? 1 : 0; }

let ping = new Channel<i32>(0);
let pong = new Channel<i32>(0);
let bad = 0;

function echo(n: usize): i32 {
  let same = 0;
  for (let i = 0; i < <i32>n; i++) {
    let v = ping.recv();
    same += fromHere(v);
    if (v >> 8 != i) bad++;
    pong.send(tag(i));
  }
  return same;
}

function pinger(n: usize): i32 {
  let same = 0;
  for (let i = 0; i < <i32>n; i++) {
    ping.send(tag(i));
    let v = pong.recv();
    same += fromHere(v);
    if (v >> 8 != i) bad++;
  }
  return same;
}

let links = new StaticArray<Channel<i32>>(RING);
for (let i = 0; i < RING; i++) links[i] = new Channel<i32>(0);

function member(i: usize): i32 {
  let from = links[<i32>i], to = links[(<i32>i + 1) % RING];
  let same = 0;
  if (i == 0) {
    let token = 0;
    for (let k = 0; k < LAPS; k++) {
      to.send(tag(token + 1));
      let v = from.recv();
      same += fromHere(v);
      token = v >> 8;
    }
    if (token != RING * LAPS) bad++;
    return same;
  }
  for (let k = 0; k < LAPS; k++) {
    let v = from.recv();
    same += fromHere(v);
    to.send(tag((v >> 8) + 1));
  }
  return same;
}

// A ping-pong that lasts QUIET_MS, between the lines "quiet_begin" and "quiet_end": the host counts the
// wake-ups of the run's threads meanwhile (no processor but the pair's should be woken).
const QUIET_MS: f64 = 500;
let quietPasses = 0;
function quietEcho(_: usize): i32 {
  while (true) { let v = ping.recv(); if (v < 0) return 0; pong.send(v); }
}
function quietPinger(_: usize): i32 {
  let t0 = now();
  let n = 0;
  while (now() - t0 < QUIET_MS) {
    for (let k = 0; k < 100; k++) { ping.send(n); if (pong.recv() != n) bad++; n++; }
  }
  ping.send(-1);
  quietPasses = n;
  return 0;
}

// ── 2. the bound ─────────────────────────────────────────────────────────────────────────────────────

const gate = memory.data(4, 4);        // 1 once the waker has woken the waiter
const parked = memory.data(4, 4);      // 1 once the waiter is about to wait
const ran = memory.data(4, 4);         // 1 once the waiter ran
const ranOn = memory.data(4, 4);       // the processor it ran on
let sink: u64 = 0;

function waiter(_: usize): i32 {
  setPriority(0, 0);
  atomic.store<i32>(parked, 1);
  while (atomic.load<i32>(gate) == 0) futexWait(gate, 0);
  atomic.store<i32>(ranOn, processorId());
  atomic.store<i32>(ran, 1);
  return 0;
}

let wokeOn = -1;
let waitedMs: f64 = 0;

function waker(_: usize): i32 {
  setPriority(0, 7);
  while (atomic.load<i32>(parked) == 0) sleep(1);
  sleep(20);                           // the waiter is parked in the futex by now
  wokeOn = processorId();
  atomic.store<i32>(gate, 1);
  futexWake(gate, 1);                  // the waiter goes in this processor's next slot
  let t0 = now();
  let x: u64 = 0x9e3779b97f4a7c15;
  while (atomic.load<i32>(ran) == 0 && now() - t0 < GIVE_UP_MS) {
    for (let i = 0; i < 1000; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
  }
  waitedMs = now() - t0;
  sink += x;
  return 0;
}

export function main(): i32 {
  let peer = spawn(echo, PASSES);
  let same = join(spawn(pinger, PASSES)).value;
  same += join(peer).value;
  print("pingpong_same=" + same.toString());
  print("pingpong_total=" + (2 * PASSES).toString());

  let ids = new StaticArray<i32>(RING);
  for (let i = RING - 1; i >= 0; i--) ids[i] = spawn(member, i);
  same = 0;
  for (let i = 0; i < RING; i++) same += join(ids[i]).value;
  print("ring_same=" + same.toString());
  print("ring_total=" + (RING * LAPS).toString());

  print("quiet_begin");
  let q = spawn(quietEcho, 0);
  join(spawn(quietPinger, 0));
  join(q);
  print("quiet_end");
  print("quiet_passes=" + quietPasses.toString());
  print("bad=" + bad.toString());

  let elsewhere = 0, late = 0;
  let worst: f64 = 0;
  for (let r = 0; r < ROUNDS; r++) {
    atomic.store<i32>(gate, 0);
    atomic.store<i32>(parked, 0);
    atomic.store<i32>(ran, 0);
    let w = spawn(waiter, 0);
    join(spawn(waker, 0));
    join(w);
    if (waitedMs >= GIVE_UP_MS) late++;
    if (atomic.load<i32>(ranOn) != wokeOn) elsewhere++;
    worst = max(worst, waitedMs);
  }
  print("bound_rounds=" + ROUNDS.toString());
  print("bound_late=" + late.toString());
  print("bound_elsewhere=" + elsewhere.toString());
  print("bound_worst_ms=" + worst.toString());
  return 0;
}
