// Hand-offs on processors, run by bench/mn.js on 1 processor and on 2 (the same shared build):
//   ring_ns       ns per pass of a token around a ring of RING threads over unbuffered channels
//   pingpong_ns   ns per round trip over two unbuffered channels between two threads
// Each is run twice and the second run reported (the first warms the engine's tiers up).
import { spawn, join, Channel, now, print } from "weft";

const RING = 503;
const LAPS = 1_000;
const ROUND_TRIPS = 200_000;

let links = new StaticArray<Channel<i32>>(RING);
for (let i = 0; i < RING; i++) links[i] = new Channel<i32>(0);
let ringNs: f64 = 0;

/** Member `i` of the ring: takes the token from its link, passes it on with one more. Member 0 starts
 *  it and times the laps. */
function member(i: usize): i32 {
  let from = links[<i32>i], to = links[(<i32>i + 1) % RING];
  if (i != 0) {
    for (let k = 0; k < LAPS; k++) to.send(from.recv() + 1);
    return 0;
  }
  let t0 = now();
  let token = 0;
  for (let k = 0; k < LAPS; k++) { to.send(token + 1); token = from.recv(); }
  ringNs = (now() - t0) * 1e6 / <f64>(RING * LAPS);
  return token == RING * LAPS ? 0 : 1;
}

function ring(): f64 {
  let ids = new StaticArray<i32>(RING);
  for (let i = RING - 1; i >= 0; i--) ids[i] = spawn(member, i);
  let bad = 0;
  for (let i = 0; i < RING; i++) bad += join(ids[i]).value;
  if (bad != 0) abort("mn_handoff: the ring lost the token");
  return ringNs;
}

let ping = new Channel<i32>(0);
let pong = new Channel<i32>(0);
let pingNs: f64 = 0;
function echo(n: usize): i32 { for (let i = 0; i < <i32>n; i++) pong.send(ping.recv() + 1); return 0; }
function pinger(n: usize): i32 {
  let t0 = now();
  let sum: i64 = 0;
  for (let i = 0; i < <i32>n; i++) { ping.send(i); sum += pong.recv(); }
  pingNs = (now() - t0) * 1e6 / <f64>n;
  return sum == <i64>n * (<i64>n + 1) / 2 ? 0 : 1;
}

function pingpong(): f64 {
  let peer = spawn(echo, ROUND_TRIPS);
  let ok = join(spawn(pinger, ROUND_TRIPS)).value;
  join(peer);
  if (ok != 0) abort("mn_handoff: wrong sum");
  return pingNs;
}

export function main(): i32 {
  ring();
  print("ring_ns " + ring().toString());
  pingpong();
  print("pingpong_ns " + pingpong().toString());
  return 0;
}
