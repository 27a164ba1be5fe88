// Round trips over two unbuffered channels (the shape of the channel_roundtrip benchmark): main sends i to
// the echo thread, which replies i + 1. Prints the checksum and the time per round trip.
import { spawn, join, now, print } from "weft";
import { Channel } from "weft/assembly/lib/channel";

const ROUNDS = 20000;
const BATCHES = 5;        // the fastest batch is reported: the machine may be shared

let ping = new Channel<i32>();
let pong = new Channel<i32>();

function echo(arg: usize): i32 {
  let n = 0;
  while (true) {
    let v = ping.recv();
    if (v < 0) return n;
    pong.send(v + 1);
    n++;
  }
}

export function main(): i32 {
  let e = spawn(echo);
  let sum: i64 = 0;
  for (let i = 0; i < 1000; i++) { ping.send(i); sum += pong.recv(); }      // warm-up
  let best = Infinity;
  for (let b = 0; b < BATCHES; b++) {
    let start = now();
    for (let i = 0; i < ROUNDS; i++) { ping.send(i); sum += pong.recv(); }
    best = Math.min(best, now() - start);
  }
  ping.send(-1);
  let echoed = join(e).value;
  let expected: i64 = 0;
  for (let i = 0; i < 1000; i++) expected += i + 1;
  for (let i = 0; i < ROUNDS; i++) expected += <i64>(i + 1) * BATCHES;
  print("echoed=" + echoed.toString());
  print("sum_ok=" + (sum == expected ? "1" : "0"));
  print("ns_per_round_trip=" + (<i64>(best * 1e6 / ROUNDS)).toString());
  return 0;
}
