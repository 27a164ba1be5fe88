// live_threads_100k: bytes of linear memory per parked thread, with 100,000 threads parked at once.
// Each thread has run, and waits in a futex (so it holds a save area); the heap's growth is divided by the
// number of threads.
import { spawn, join, futexWait, futexWake, yieldNow, print } from "weft";
import { heapTop } from "weft/assembly/runtime/index";

const N = 100_000;
let gate = 0;
let parked = 0;

function parker(arg: usize): i32 {
  parked++;
  while (atomic.load<i32>(changetype<usize>(gateAddr)) == 0) futexWait(gateAddr, 0);
  return <i32>arg & 1;
}

const gateAddr = memory.data(4);

export function main(): i32 {
  let ids = new StaticArray<i32>(N);
  yieldNow();
  let before = heapTop();
  for (let i = 0; i < N; i++) ids[i] = spawn(parker, i);
  while (parked < N) yieldNow();
  let after = heapTop();
  print("live_threads_100k " + ((<f64>(after - before)) / <f64>N).toString());
  store<i32>(gateAddr, 1);
  futexWake(gateAddr, -1);
  let odd = 0;
  for (let i = 0; i < N; i++) odd += join(ids[i]).value;
  if (odd != N / 2) abort("live_threads: wrong result");
  return 0;
}
