// host_call_sync, host_call, host_call_resolved: ns per call of a function the run gives (bench/calls.js
// builds this with syncImports ["bench.direct"]): called directly as a Wasm import; through a host call
// answered at once; and a host call whose function returns an already resolved Promise, which parks the
// thread until the host's microtask settles it.
import { now, print } from "weft";

// @ts-ignore: decorator
@external("bench", "direct") declare function direct(x: i32): i32;
// @ts-ignore: decorator
@external("bench", "call") declare function call(x: i32): i32;
// @ts-ignore: decorator
@external("bench", "resolved") declare function resolved(x: i32): i32;

function timed(kind: i32, n: i32): f64 {
  let sum: i64 = 0;
  let t0 = now();
  if (kind == 0) for (let i = 0; i < n; i++) sum += direct(i);
  else if (kind == 1) for (let i = 0; i < n; i++) sum += call(i);
  else for (let i = 0; i < n; i++) sum += resolved(i);
  let ns = (now() - t0) * 1e6 / <f64>n;
  if (sum != <i64>n * (<i64>n + 1) / 2) abort("host_call: wrong sum");
  return ns;
}

export function main(): i32 {
  timed(0, 100_000); timed(1, 20_000); timed(2, 2_000);          // warm up
  print("host_call_sync " + timed(0, 2_000_000).toString());
  print("host_call " + timed(1, 200_000).toString());
  print("host_call_resolved " + timed(2, 20_000).toString());
  return 0;
}
