// Buffered channels: sends do not block until the buffer is full, then block until a slot frees; values
// come out in FIFO order; len/cap report the buffer.
import { spawn, join, yieldNow, print } from "weft";
import { Channel, Received } from "weft/assembly/lib/channel";

const CAPACITY = 3;
const FIFO_COUNT = 200;

let ch = new Channel<i32>(CAPACITY);
let consumerTook = 0;       // values the slow consumer has taken so far

function slowConsumer(arg: usize): i32 {
  for (let i = 0; i < 20; i++) yieldNow();
  consumerTook++;
  return ch.recv();
}

let fifo = new Channel<i64>(4);
let fifoMismatches = 0;
let fifoSum: i64 = 0;
let fifoReceived = 0;

function fifoConsumer(arg: usize): i32 {
  let out = new Received<i64>();
  let expected: i64 = 1;
  while (fifo.recvInto(out)) {
    if (out.value != expected * 1000000007) fifoMismatches++;
    fifoSum += out.value;
    fifoReceived++;
    expected++;
    if (expected % 7 == 0) yieldNow();        // let the buffer fill up now and then
  }
  return 0;
}

export function main(): i32 {
  // 1. CAPACITY sends complete with nobody receiving (main is the only thread: blocking would deadlock).
  let sentAlone = 0;
  for (let i = 1; i <= CAPACITY; i++) if (ch.send(i * 10)) sentAlone++;
  print("sent_alone=" + sentAlone.toString());
  print("len_full=" + ch.len().toString() + " cap=" + ch.cap().toString());
  print("trysend_full=" + (ch.trySend(99) ? "1" : "0"));

  // 2. The next send blocks until the slow consumer takes a value (the oldest: 10).
  let c = spawn(slowConsumer);
  let ok = ch.send(40);
  print("blocked_send=" + (ok ? "1" : "0") + ",took_before_return=" + consumerTook.toString());
  print("consumer_got=" + join(c).value.toString());
  print("len_after=" + ch.len().toString());

  // 3. The rest drains in order: 20, 30, 40; then tryRecv says empty (not closed).
  let out = new Received<i32>();
  let drained = "";
  while (ch.tryRecv(out)) drained += out.value.toString() + ",";
  print("drained=" + drained);
  print("empty_tryrecv=" + (out.ok ? "1" : "0") + "," + (out.closed ? "closed" : "open"));

  // 4. FIFO through a small buffer with a consumer that lags behind.
  c = spawn(fifoConsumer);
  let expectedSum: i64 = 0;
  for (let i: i64 = 1; i <= FIFO_COUNT; i++) {
    fifo.send(i * 1000000007);
    expectedSum += i * 1000000007;
  }
  fifo.close();
  join(c);
  print("fifo_received=" + fifoReceived.toString());
  print("fifo_mismatches=" + fifoMismatches.toString());
  print("fifo_sum_ok=" + (fifoSum == expectedSum ? "1" : "0:" + fifoSum.toString() + "!=" + expectedSum.toString()));

  // 5. Other element types keep their bits: f64, bool, references.
  let floats = new Channel<f64>(2);
  floats.send(-2.5);
  floats.send(1.0 / 3.0);
  let f1 = floats.recv(), f2 = floats.recv();
  print("floats=" + f1.toString() + "," + (f2 == 1.0 / 3.0 ? "third" : f2.toString()));
  let f32s = new Channel<f32>(1);
  f32s.send(<f32>0.1);
  print("f32=" + (f32s.recv() == <f32>0.1 ? "same" : "changed"));
  let bools = new Channel<bool>(2);
  bools.send(true);
  bools.send(false);
  let b1 = bools.recv(), b2 = bools.recv();
  print("bools=" + (b1 ? "t" : "f") + (b2 ? "t" : "f"));
  let strings = new Channel<string>(1);
  strings.send("hello " + "weft");
  print("string=" + strings.recv());
  return 0;
}
