// fork while every other thread is busy (tests/processes.test.ts): threads compute, pass a token over
// channels, lock and unlock a mutex, spawn and join, sleep — on one processor or several — and main forks
// in the middle of it, again and again. Each child must find the runtime whole: it spawns threads, passes
// values over a fresh channel, locks a fresh mutex, sleeps, allocates, and exits with a code the parent
// checks. The parent's threads go on as if nothing happened.
import {
  spawn, join, sleep, print, fork, waitpid, yieldNow, Mutex, Channel, WIFEXITED, WEXITSTATUS,
} from "weft";

const FORKS = 6;
let stop = false;
let computed: i64 = 0;
const lock = new Mutex();
let locked = 0;
const ring = new Channel<i32>(0);
const back = new Channel<i32>(0);
let passed = 0;
let spawned = 0;
const status = new StaticArray<i32>(1);

function compute(arg: usize): i32 {
  let x: i64 = 1;
  while (!stop) { for (let i = 0; i < 10_000; i++) x = x * 31 + i; computed += 1; }
  return <i32>x & 1;
}
function ping(arg: usize): i32 {
  while (!stop) { ring.send(1); back.recv(); passed++; }
  ring.send(0);
  return 0;
}
function pong(arg: usize): i32 {
  while (ring.recv() != 0) back.send(1);
  return 0;
}
function locker(arg: usize): i32 {
  while (!stop) { lock.lock(); locked++; yieldNow(); lock.unlock(); }
  return 0;
}
function leaf(arg: usize): i32 { return <i32>arg; }
function spawner(arg: usize): i32 {
  while (!stop) { let t = spawn(leaf, 3); if (join(t).value == 3) spawned++; }
  return 0;
}
function sleeper(arg: usize): i32 {
  while (!stop) sleep(1);
  return 0;
}

/** The child's checks: its runtime works. Its exit code says which failed (0: none). */
function child(round: i32): i32 {
  let c = new Channel<i32>(4);
  let m = new Mutex();
  let total = 0;
  let workers = new Array<i32>();
  for (let i = 0; i < 4; i++) {
    workers.push(spawn((arg: usize): i32 => {
      return <i32>arg * 2;
    }, <usize>i));
  }
  for (let i = 0; i < 4; i++) total += join(workers[i]).value;
  if (total != 12) return 10;
  let producer = spawn((arg: usize): i32 => {
    let ch = changetype<Channel<i32>>(arg);
    for (let i = 1; i <= 100; i++) ch.send(i);
    return 0;
  }, changetype<usize>(c));
  let sum = 0;
  for (let i = 0; i < 100; i++) sum += c.recv();
  join(producer);
  if (sum != 5050) return 11;
  if (m.lock() != 0) return 12;
  m.unlock();
  sleep(2);
  let text = "";
  for (let i = 0; i < 200; i++) text += i.toString();   // allocates: the collector works
  if (text.length < 400) return 13;
  return 20 + round;
}

export function main(): i32 {
  let threads = [
    spawn(compute), spawn(ping), spawn(pong), spawn(locker), spawn(locker), spawn(spawner), spawn(sleeper),
  ];
  sleep(10);
  let good = 0;
  for (let round = 0; round < FORKS; round++) {
    let pid = fork();
    if (pid == 0) return child(round);
    if (pid < 0) { print("fork_failed=" + pid.toString()); break; }
    let got = waitpid(pid, status);
    if (got == pid && WIFEXITED(status[0]) && WEXITSTATUS(status[0]) == 20 + round) good++;
    else print("child_" + round.toString() + "=" + (got == pid ? status[0].toString() : "waitpid " + got.toString()));
    sleep(1);
  }
  print("children_whole=" + good.toString() + "/" + FORKS.toString());
  stop = true;
  for (let i = 0; i < threads.length; i++) join(threads[i]);
  print("parent_went_on=" + (passed > 0 && locked > 0 && spawned > 0 && computed > 0 ? "yes" : "no"));
  return 0;
}
