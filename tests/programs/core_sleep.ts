// sleep and the futex: wake-up order by deadline, other threads running meanwhile, timed waits, exact
// wake counts, and the not-equal fast path. Times are printed in whole milliseconds.
import {
  spawn, join, sleep, now, yieldNow, print, futexWait, futexWake,
  FUTEX_WOKEN, FUTEX_NOT_EQUAL, FUTEX_TIMED_OUT,
} from "weft";

const WORD: usize = memory.data(16, 16);      // futex word for the wake-count case
const GATE: usize = memory.data(16, 16);      // futex word for the timeout cases

let wakeOrder = new Array<string>();
let early = 0;                                // sleepers that woke before their deadline
let sleepersLeft = 0;
let ticks = 0;                                // iterations of the poller
let ticksAtWake = new Array<i32>();           // `ticks` when each sleeper woke

function sleeper(arg: usize): i32 {
  let ms = <f64>arg;
  let start = now();
  sleep(ms);
  let waited = now() - start;
  if (waited < ms) early++;
  wakeOrder.push(arg.toString());
  ticksAtWake.push(ticks);
  sleepersLeft--;
  return <i32>waited;
}

// Runs a few steps while the sleepers sleep, then ends: its steps land in the log before any wake-up.
function stepper(arg: usize): i32 {
  for (let i = 0; i < 3; i++) { wakeOrder.push("s" + i.toString()); yieldNow(); }
  return 3;
}

// Polls with yieldNow until the sleepers are done (or 10 s passed, so a scheduler that never wakes them
// cannot hang the test): a sleeper's deadline must be honoured while another thread keeps yielding.
let pollerGaveUp = 0;
function poller(arg: usize): i32 {
  let start = now();
  while (sleepersLeft > 0) {
    if (now() - start > 10_000) { pollerGaveUp = 1; break; }
    ticks++;
    yieldNow();
  }
  return ticks;
}

let waitersReady = 0;
let waitersWoken = 0;
let waitResults = 0;                          // sum of futexWait results (all must be FUTEX_WOKEN = 0)
function waiter(arg: usize): i32 {
  waitersReady++;
  let r = futexWait(WORD, 0);
  waitResults += r;
  waitersWoken++;
  return r;
}

let wokenEarlyResult = -1;
let wokenEarlyWaited: f64 = 0;
function longWaiter(arg: usize): i32 {
  let start = now();
  wokenEarlyResult = futexWait(GATE, 0, 5000);
  wokenEarlyWaited = now() - start;
  return 0;
}

export function main(): i32 {
  // 1. Three sleepers spawned as 150, 50, 100 ms wake as 50, 100, 150; another thread runs meanwhile (its
  //    steps take microseconds: even a stretch the kernel keeps the run off its core does not reach 50 ms).
  sleepersLeft = 3;
  let s150 = spawn(sleeper, 150), s50 = spawn(sleeper, 50), s100 = spawn(sleeper, 100);
  let st = spawn(stepper);
  let w150 = join(s150).value, w50 = join(s50).value, w100 = join(s100).value;
  join(st);
  print("wake_order=" + wakeOrder.join(","));
  print("sleep_early=" + early.toString());
  print("slept=" + w50.toString() + "," + w100.toString() + "," + w150.toString());

  // 1b. The same while a thread polls with yieldNow: the sleepers wake on time and the poller sees it.
  sleepersLeft = 2;
  ticks = 0;
  ticksAtWake = new Array<i32>();
  let p20 = spawn(sleeper, 20), p10 = spawn(sleeper, 10);
  let pl = spawn(poller);
  let pollTicks = join(pl).value;
  join(p20);
  join(p10);
  print("poller_gave_up=" + pollerGaveUp.toString());
  print("ticks_at_wake=" + ticksAtWake.join(","));
  print("poll_ticks=" + pollTicks.toString());

  // 2. A timed futex wait nobody wakes returns FUTEX_TIMED_OUT after about its timeout.
  store<i32>(GATE, 0);
  let t0 = now();
  let timed = futexWait(GATE, 0, 25);
  let waitedTimed = now() - t0;
  print("timed_result=" + timed.toString() + " expected=" + FUTEX_TIMED_OUT.toString());
  print("timed_waited=" + (<i32>waitedTimed).toString());

  // 3. A timeout of 0 and a word that differs both return at once, without switching.
  let t1 = now();
  let zero = futexWait(GATE, 0, 0);
  store<i32>(GATE, 5);
  let differs = futexWait(GATE, 4);
  let differsTimed = futexWait(GATE, 4, 1000);
  let waitedFast = now() - t1;
  print("zero_timeout=" + zero.toString());
  print("not_equal=" + differs.toString() + "," + differsTimed.toString() +
    " expected=" + FUTEX_NOT_EQUAL.toString());
  print("fast_waited=" + (<i32>waitedFast).toString());
  store<i32>(GATE, 0);

  // 4. A timed wait woken before its deadline returns FUTEX_WOKEN, early.
  let lw = spawn(longWaiter);
  yieldNow();
  sleep(10);
  print("wake_long=" + futexWake(GATE, 1).toString());
  join(lw);
  print("woken_early=" + wokenEarlyResult.toString() + " expected=" + FUTEX_WOKEN.toString());
  print("woken_early_waited=" + (<i32>wokenEarlyWaited).toString());

  // 5. futexWake wakes exactly `count` waiters.
  store<i32>(WORD, 0);
  let ids = new Array<i32>();
  for (let i = 0; i < 5; i++) ids.push(spawn(waiter));
  while (waitersReady < 5) yieldNow();
  yieldNow();
  print("woken_before=" + waitersWoken.toString());
  print("wake_2=" + futexWake(WORD, 2).toString());
  for (let i = 0; i < 4; i++) yieldNow();
  print("woken_after_2=" + waitersWoken.toString());
  print("wake_0=" + futexWake(WORD, 0).toString());
  print("wake_other_addr=" + futexWake(WORD + 4, 10).toString());
  print("wake_10=" + futexWake(WORD, 10).toString());
  for (let i = 0; i < ids.length; i++) join(ids[i]);
  print("woken_after_all=" + waitersWoken.toString() + " results=" + waitResults.toString());
  print("wake_none=" + futexWake(WORD, -1).toString());
  return 0;
}
