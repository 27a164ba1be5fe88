// spawn_join: ns to spawn a thread that returns at once and join it (with joinInto, which allocates
// nothing; join itself would add a JoinResult per call).
import { spawn, joinInto, JoinResult, now, print } from "weft";

const N = 300_000;
function nothing(arg: usize): i32 { return <i32>arg; }

const result = new JoinResult();           // reused: join's own result would be a fresh object each time

function measure(): f64 {
  let t0 = now();
  let sum = 0;
  for (let i = 0; i < N; i++) { joinInto(spawn(nothing, i & 7), result); sum += result.value; }
  let ns = (now() - t0) * 1e6 / <f64>N;
  if (sum != (N / 8) * 28) abort("spawn_join: wrong sum");
  return ns;
}

export function main(): i32 {
  measure();
  print("spawn_join " + measure().toString());
  return 0;
}
