// host_slice_throughput, interval_late_max_ms: eight threads compute a fixed amount (bench/guest.js runs
// it beside a 5 ms setInterval, with the default host slice and with none); prints the run's ms.
import { spawn, join, now, print } from "weft";

function compute(seed: usize): i32 {
  let x = <f64>seed;
  for (let i = 0; i < 40_000_000; i++) x = x * 1.0000001 + 0.5;
  return x > 0 ? 1 : 0;
}

export function main(): i32 {
  let t0 = now();
  let ids = new Array<i32>();
  for (let i = 0; i < 8; i++) ids.push(spawn(compute, i + 1));
  let ok = 0;
  for (let i = 0; i < ids.length; i++) ok += join(ids[i]).value;
  print("guest_ms " + (now() - t0).toString());
  return ok == 8 ? 0 : 1;
}
