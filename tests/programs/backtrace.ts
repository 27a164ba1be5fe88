// Backtraces (tests/backtrace.test.ts): threads parked at different depths in different calls — a mutex
// three calls down, a sleep two down, a condition one down, a yield loop, a loop preempted at a safepoint —
// then a thread dump; and a thread that traps four calls down.
import { spawn, join, sleep, print, yieldNow, dumpThreads, Mutex, Cond, SpawnOptions } from "weft";

const lock = new Mutex();
const gate = new Mutex();
const opened = new Cond();
let open = false;
let stop = false;

function lockDeep3(): void { lock.lock(); lock.unlock(); }
function lockDeep2(): void { lockDeep3(); }
function lockDeep1(): void { lockDeep2(); }
function locker(arg: usize): i32 { arrive(); lockDeep1(); return 0; }

function napInner(): void { sleep(60_000); }
function napOuter(): void { napInner(); }
function sleeper(arg: usize): i32 { arrive(); napOuter(); return 0; }

function waitOpen(): void { gate.lock(); while (!open) opened.wait(gate); gate.unlock(); }
function gatekeeper(arg: usize): i32 { arrive(); waitOpen(); return 0; }

function spinTurns(): void { while (!stop) yieldNow(); }
function spinner(arg: usize): i32 { arrive(); spinTurns(); return 0; }

let sum: u32 = 0;
function crunch(): void { let x: u32 = 1; while (!stop) { x = x * 31 + 7; sum += x >> 3; } }
function cruncher(arg: usize): i32 { arrive(); crunch(); return 0; }

let zero = 0;
function crash4(n: i32): i32 { return n / zero; }
function crash3(n: i32): i32 { return crash4(n + 1) + 1; }
function crash2(n: i32): i32 { return crash3(n + 1) + 1; }
function crash1(arg: usize): i32 { return crash2(<i32>arg) + 1; }

function named(name: string): SpawnOptions { let o = new SpawnOptions(); o.name = name; return o; }

export function main(): i32 {
  lock.lock();
  let l = spawn(locker, 0, named("locker"));
  let s = spawn(sleeper, 0, named("sleeper"));
  let g = spawn(gatekeeper, 0, named("gatekeeper"));
  let p = spawn(spinner, 0, named("spinner"));
  let k = spawn(cruncher, 0, named("cruncher"));
  while (atomic.load<i32>(ARRIVED) < 5) yieldNow();
  for (let i = 0; i < 10; i++) yieldNow();
  dumpThreads();
  let c = join(spawn(crash1, 7, named("crasher")));
  print("crashed: " + (c.error !== null ? c.error! : "no"));
  lock.unlock();
  gate.lock(); open = true; opened.broadcast(); gate.unlock();
  stop = true;
  join(l); join(g); join(p); join(k);
  print("done");
  return 0;
}

// Each thread says it started (on processors they start on any processor, at any time): a thread that
// never ran has no frames to show.
// @ts-ignore: decorator
@lazy const ARRIVED: usize = memory.data(4, 4);
function arrive(): void { atomic.add<i32>(ARRIVED, 1); }
