// Frames lost while a thread on another processor wakes their thread (M:N; core/savearea.ts, "Frames lost").
// Run with saveAreaMax 4096 (the test): each round's diver recurses 1,000 deep (~16 KiB of frames) and
// parks at the bottom — on a futex in even rounds, on an unbuffered channel's receive in odd ones — while a
// waker spins beside it, waking it the moment it is parked, usually from the other processor and while
// the diver's own processor is still saving its frames. The frames do not fit: the diver must die with
// "save area overflow" in every round it parks, whoever won it, and nothing else may be hurt. On a futex it
// always parks (the word stays 0); a channel's receive may not park at all on processors, when the
// waker's send lands between the receiver's offer and its park (lib/channel.ts; core/futex.ts, parkOn):
// that diver keeps its frames on its stack and returns.
// Prints `rounds=`, `died=` (divers that died with that error), `survived=` (divers that returned),
// each also for the futex rounds (`died_futex=`, `survived_futex=`), `wakers=` (wakers that ended),
// `wakes=` (wakes that found the diver parked).
import { spawn, joinInto, JoinResult, yieldNow, futexWait, futexWake, Channel, print } from "weft";

const ROUNDS = 120;
const DEPTH = 1000;
const WORD = memory.data(4, 4);             // the futex word the diver waits on (it stays 0)
const STOP = memory.data(4, 4);             // 1: the waker stops
const WAKES = memory.data(4, 4);
let channel = new Channel<i32>(0);
let onChannel = false;

function dive(n: i32, x: i32): i32 {
  let local = x * 3 + n;
  if (n == 0) {
    if (onChannel) local += channel.recv();
    else futexWait(WORD, 0);
    return local;
  }
  return dive(n - 1, local ^ n) + local;
}

function diver(arg: usize): i32 {
  yieldNow();                               // a shallow switch first: the thread gets a save area of its own
  dive(DEPTH, 1);
  return 1;
}

function waker(arg: usize): i32 {
  while (atomic.load<i32>(STOP) == 0) {
    let woke = onChannel ? channel.trySend(1) : futexWake(WORD, 1) > 0;
    if (woke) atomic.add<i32>(WAKES, 1);
    yieldNow();                             // lets its processor switch the woken diver in at once
  }
  return 0;
}

export function main(): i32 {
  let result = new JoinResult();
  let died = 0, survived = 0, wakers = 0, diedFutex = 0, survivedFutex = 0;
  for (let round = 0; round < ROUNDS; round++) {
    onChannel = (round & 1) == 1;
    atomic.store<i32>(STOP, 0);
    let w = spawn(waker, 0);
    let d = spawn(diver, 0);
    if (w < 0 || d < 0) abort("mn_lost_woken: spawn failed");
    joinInto(d, result);
    if (result.error !== null && (<string>result.error).includes("save area overflow")) { died++; if (!onChannel) diedFutex++; }
    else if (result.error === null) { survived++; if (!onChannel) survivedFutex++; }
    atomic.store<i32>(STOP, 1);
    joinInto(w, result);
    if (result.code == 0 && result.error === null) wakers++;
  }
  print("rounds=" + ROUNDS.toString());
  print("died=" + died.toString());
  print("survived=" + survived.toString());
  print("died_futex=" + diedFutex.toString());
  print("survived_futex=" + survivedFutex.toString());
  print("wakers=" + wakers.toString());
  print("wakes=" + atomic.load<i32>(WAKES).toString());
  return 0;
}
