// channel_roundtrip: ns for one round trip: A sends on an unbuffered channel, B receives and replies on
// another, A receives.
import { spawn, join, now, print } from "weft";
import { Channel } from "weft/assembly/channel";

const N = 500_000;
let ping = new Channel<i32>(0);
let pong = new Channel<i32>(0);

function echo(n: usize): i32 {
  for (let i = 0; i < <i32>n; i++) pong.send(ping.recv() + 1);
  return 0;
}

function measure(): f64 {
  let peer = spawn(echo, N);
  let t0 = now();
  let sum: i64 = 0;
  for (let i = 0; i < N; i++) { ping.send(i); sum += pong.recv(); }
  let ns = (now() - t0) * 1e6 / <f64>N;
  join(peer);
  if (sum != <i64>N * (N + 1) / 2) abort("channel: wrong sum");
  return ns;
}

export function main(): i32 {
  measure();
  print("channel_roundtrip " + measure().toString());
  return 0;
}
