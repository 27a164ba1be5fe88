// browser_mn: M:N in a browser page (tests/browser.test.ts), small enough for a test and printing the
// same answer on any number of processors (N:1 included):
//   1. a gathering: one thread per processor claims the processor it runs on (an atomic bit per
//      processor); one that finds its processor claimed already moves on (migrate) and tries again, so
//      together they run on every processor, whatever the scheduler's choices (a spinning thread does
//      not keep its processor: a tick may preempt it for another gatherer);
//   2. WORKERS threads × ROUNDS lock/unlock pairs of one Mutex around a plain counter, yielding every
//      64 rounds (so they move between processors), while SENDERS threads each send 1..MESSAGES over
//      one Channel and main receives and sums them.
// Every thread notes the processors it ran on (processorId()). Prints `counter=`, `counter_expected=`,
// `channel_sum=`, `channel_expected=`, `processors=`, `ran_on=` (the processor ids any thread ran on,
// ascending, comma-separated). Exit code: 0 when both sums are right, 1 otherwise.
import { spawn, join, yieldNow, migrate, Mutex, Channel, processors, processorId, print } from "weft";

const WORKERS = 8;
const ROUNDS = 20_000;
const SENDERS = 4;
const MESSAGES = 2_000;

let lock = new Mutex();
let counter: i64 = 0;
let seenLock = new Mutex();
let seenMask: u64 = 0;
let channel = new Channel<i32>(16);
let claimed = new StaticArray<u64>(1);     // the gathering's processors, a bit each, read and written atomically

function noteProcessor(id: i32 = processorId()): void {
  seenLock.lock();
  seenMask |= <u64>1 << <u64>id;
  seenLock.unlock();
}

function gathering(_: usize): i32 {
  let word = changetype<usize>(claimed);
  while (true) {
    let id = processorId();
    let bit = <u64>1 << <u64>id;
    if ((atomic.or<u64>(word, bit) & bit) == 0) { noteProcessor(id); return 0; }
    migrate();                                // claimed by another gatherer: try the next processor
  }
}

function counting(_: usize): i32 {
  for (let i = 0; i < ROUNDS; i++) {
    lock.lock();
    counter++;
    lock.unlock();
    if ((i & 63) == 0) { yieldNow(); noteProcessor(); }
  }
  return 0;
}

function sending(_: usize): i32 {
  for (let i = 1; i <= MESSAGES; i++) channel.send(i);
  noteProcessor();
  return 0;
}

export function main(): i32 {
  noteProcessor();
  let gatherers = new StaticArray<i32>(processors());
  for (let i = 0; i < gatherers.length; i++) gatherers[i] = spawn(gathering, i);
  for (let i = 0; i < gatherers.length; i++) join(gatherers[i]);

  let ids = new StaticArray<i32>(WORKERS + SENDERS);
  for (let i = 0; i < WORKERS; i++) ids[i] = spawn(counting, i);
  for (let i = 0; i < SENDERS; i++) ids[WORKERS + i] = spawn(sending, i);
  let sum: i64 = 0;
  for (let i = 0; i < SENDERS * MESSAGES; i++) sum += channel.recv();
  for (let i = 0; i < ids.length; i++) join(ids[i]);

  let counterExpected = <i64>WORKERS * ROUNDS;
  let channelExpected = <i64>SENDERS * MESSAGES * (MESSAGES + 1) / 2;
  let ranOn = "";
  for (let p = 0; p < 64; p++) {
    if ((seenMask >> <u64>p) & 1) ranOn += (ranOn.length ? "," : "") + p.toString();
  }
  print("counter=" + counter.toString());
  print("counter_expected=" + counterExpected.toString());
  print("channel_sum=" + sum.toString());
  print("channel_expected=" + channelExpected.toString());
  print("processors=" + processors().toString());
  print("ran_on=" + ranOn);
  return counter == counterExpected && sum == channelExpected ? 0 : 1;
}
