// Many producers and consumers: every value sent is received exactly once (exact count and sum), over an
// unbuffered and a buffered channel; with one consumer, each producer's values arrive in its send order.
import { spawn, join, yieldNow, print } from "weft";
import { Channel, Received } from "weft/assembly/lib/channel";

const PRODUCERS = 4;
const CONSUMERS = 3;
const PER_PRODUCER = 500;

let ch = new Channel<i32>();
let received = 0;
let sum: i64 = 0;
let orderErrors = 0;
let lastSeen = new StaticArray<i32>(PRODUCERS);

function producer(arg: usize): i32 {
  let id = <i32>arg;
  for (let i = 1; i <= PER_PRODUCER; i++) {
    if (!ch.send(id * 100000 + i)) return -1;
    if (i % 13 == id) yieldNow();
  }
  return 0;
}

function consumer(arg: usize): i32 {
  let out = new Received<i32>();
  let mine = 0;
  while (ch.recvInto(out)) {
    received++;
    sum += out.value;
    let id = out.value / 100000, seq = out.value % 100000;
    if (id < 0 || id >= PRODUCERS || seq <= lastSeen[id]) orderErrors++;
    else lastSeen[id] = seq;
    mine++;
    if ((mine & 15) == <i32>arg) yieldNow();
  }
  return mine;
}

function round(capacity: i32, consumers: i32): string {
  ch = new Channel<i32>(capacity);
  received = 0;
  sum = 0;
  orderErrors = 0;
  for (let i = 0; i < PRODUCERS; i++) lastSeen[i] = 0;
  let producers = new Array<i32>(), takers = new Array<i32>();
  for (let i = 0; i < consumers; i++) takers.push(spawn(consumer, i));
  for (let i = 0; i < PRODUCERS; i++) producers.push(spawn(producer, i));
  let failures = 0;
  for (let i = 0; i < PRODUCERS; i++) if (join(producers[i]).value != 0) failures++;
  ch.close();
  let perConsumer = 0, idle = 0;
  for (let i = 0; i < consumers; i++) {
    let n = join(takers[i]).value;
    perConsumer += n;
    if (n == 0) idle++;
  }
  let expected: i64 = 0;
  for (let p = 0; p < PRODUCERS; p++) for (let i = 1; i <= PER_PRODUCER; i++) expected += p * 100000 + i;
  return "received=" + received.toString() + ",per_consumer_total=" + perConsumer.toString() +
    ",sum_ok=" + (sum == expected ? "1" : "0") + ",send_failures=" + failures.toString() +
    ",idle_consumers=" + idle.toString() +
    // with several consumers the order in which they record values is up to the scheduler
    (consumers == 1 ? ",order_errors=" + orderErrors.toString() : "");
}

export function main(): i32 {
  print("unbuffered=" + round(0, CONSUMERS));
  print("buffered=" + round(8, CONSUMERS));
  print("single_consumer=" + round(5, 1));
  return 0;
}
