// 2,000 threads in one async system call each (ioDelay 30 ms): they wait together, so the run takes about
// one delay, and their completions arrive at once — more than the completion ring holds (1,024), so the
// host must keep the rest until the loop drains it. Prints `threads=`, `ok=` (calls that returned 0), `ms=`.
import { spawn, join, ioDelay, now, print } from "weft";

const N = 2000;
let ok = 0;

function worker(_: usize): i32 {
  if (ioDelay(30) == 0) ok++;
  return 0;
}

export function main(): i32 {
  let t0 = now();
  let ids = new StaticArray<i32>(N);
  for (let i = 0; i < N; i++) ids[i] = spawn(worker, 0);
  for (let i = 0; i < N; i++) join(ids[i]);
  print("threads=" + N.toString());
  print("ok=" + ok.toString());
  print("ms=" + (<i32>(now() - t0)).toString());
  return 0;
}
