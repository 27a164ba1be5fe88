// M:N lab, run by bench/mn.js on a given number of processors:
//   spawn_mn   ns per spawn + join (joinInto), threads spawned and joined by main
//   mem_mn_1k, mem_mn_10k   heap bytes in use per parked thread, 1,000 / 10,000 threads parked in a futex
//   pingpong_mn   ns per round trip over two unbuffered channels between two spawned threads
import { spawn, joinInto, JoinResult, futexWait, futexWake, Channel, now, print } from "weft";
import { heapAllocated } from "weft/assembly/runtime/index";

const SPAWNS = 200_000;
const ROUND_TRIPS = 200_000;
const gate = memory.data(4, 4);
const parkedCount = memory.data(4, 4);

function nothing(arg: usize): i32 { return <i32>arg; }

function parker(_: usize): i32 {
  atomic.add<i32>(parkedCount, 1);
  while (atomic.load<i32>(gate) == 0) futexWait(gate, 0);
  return 0;
}

let ping = new Channel<i32>(0);
let pong = new Channel<i32>(0);
function echo(n: usize): i32 { for (let i = 0; i < <i32>n; i++) pong.send(ping.recv() + 1); return 0; }
let pingNs: f64 = 0;
function pinger(n: usize): i32 {
  let t0 = now();
  let sum: i64 = 0;
  for (let i = 0; i < <i32>n; i++) { ping.send(i); sum += pong.recv(); }
  pingNs = (now() - t0) * 1e6 / <f64>n;
  return sum == <i64>n * (<i64>n + 1) / 2 ? 0 : 1;
}

/** Bytes of heap per thread with `n` threads parked (each has run, and holds a save area). */
function parkedBytes(n: i32, ids: StaticArray<i32>, result: JoinResult): f64 {
  atomic.store<i32>(gate, 0);
  atomic.store<i32>(parkedCount, 0);
  let before = heapAllocated();
  for (let i = 0; i < n; i++) ids[i] = spawn(parker, 0);
  while (atomic.load<i32>(parkedCount) < n) futexWait(parkedCount, atomic.load<i32>(parkedCount), 1);
  let after = heapAllocated();
  atomic.store<i32>(gate, 1);
  futexWake(gate, -1);
  for (let i = 0; i < n; i++) joinInto(ids[i], result);
  return <f64>(after - before) / <f64>n;
}

export function main(): i32 {
  let result = new JoinResult();
  let ids = new StaticArray<i32>(10_000);
  print("mem_mn_10k " + parkedBytes(10_000, ids, result).toString());  // first: the heap grows for it
  print("mem_mn_1k " + parkedBytes(1_000, ids, result).toString());
  for (let i = 0; i < 1000; i++) joinInto(spawn(nothing, i), result);  // warm up
  let t0 = now();
  for (let i = 0; i < SPAWNS; i++) joinInto(spawn(nothing, i), result);
  print("spawn_mn " + ((now() - t0) * 1e6 / <f64>SPAWNS).toString());
  let peer = spawn(echo, ROUND_TRIPS);
  let ok = joinInto(spawn(pinger, ROUND_TRIPS), result) == 0 && result.value == 0;
  joinInto(peer, result);
  if (!ok) return 1;
  print("pingpong_mn " + pingNs.toString());
  return 0;
}
