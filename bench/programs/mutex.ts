// mutex_uncontended: ns per lock + unlock of a Mutex nobody else holds.
import { now, print } from "weft";
import { Mutex } from "weft/assembly/lib/sync/mutex";

const N = 20_000_000;
let counter = 0;

function measure(m: Mutex): f64 {
  let t0 = now();
  for (let i = 0; i < N; i++) { m.lock(); counter++; m.unlock(); }
  return (now() - t0) * 1e6 / <f64>N;
}

export function main(): i32 {
  let m = new Mutex();
  measure(m);
  let ns = measure(m);
  if (counter != 2 * N) abort("mutex: lost an increment");
  print("mutex_uncontended " + ns.toString());
  return 0;
}
