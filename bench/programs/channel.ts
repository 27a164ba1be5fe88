// channel_roundtrip: ns for one round trip between two threads: the pinger sends on an unbuffered channel,
// the echo receives and replies on another, the pinger receives. Both are spawned threads, so each
// switches at the same shallow depth (main would add the program's own frames).
import { Channel, spawn, join, now, print } from "weft";

const N = 500_000;
let ping = new Channel<i32>(0);
let pong = new Channel<i32>(0);

function echo(n: usize): i32 {
  for (let i = 0; i < <i32>n; i++) pong.send(ping.recv() + 1);
  return 0;
}

let elapsed: f64 = 0;
function pinger(n: usize): i32 {
  let t0 = now();
  let sum: i64 = 0;
  for (let i = 0; i < <i32>n; i++) { ping.send(i); sum += pong.recv(); }
  elapsed = now() - t0;
  return sum == <i64>n * (<i64>n + 1) / 2 ? 0 : 1;
}

function measure(): f64 {
  let peer = spawn(echo, N);
  let ok = join(spawn(pinger, N)).value;
  join(peer);
  if (ok != 0) abort("channel: wrong sum");
  return elapsed * 1e6 / <f64>N;
}

export function main(): i32 {
  measure();
  print("channel_roundtrip " + measure().toString());
  return 0;
}
