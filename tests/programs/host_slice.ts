// Eight threads compute, each until the host says stop: `stopped()` (a sync import) turns true only once
// a 5 ms setInterval of the host has fired 10 times — which it can only do if the run gives the host's
// event loop turns while the threads compute (RunOptions.hostSlice). Each thread gives up after
// LIMIT_MS of computing, so a run that gives no turns ends too, and says so. Prints `key=value` lines.
import { spawn, join, now, print } from "weft";

// @ts-ignore: decorator
@external("app", "stopped") declare function stopped(): bool;

const LIMIT_MS: f64 = 3000;
let gaveUp = 0;
let work: f64 = 0;

function compute(seed: usize): i32 {
  let x = <f64>seed;
  let start = now();
  while (true) {
    for (let i = 0; i < 20_000; i++) x = x * 1.0000001 + 0.5;
    work += 1;
    if (stopped()) break;
    if (now() - start > LIMIT_MS) { gaveUp++; break; }
  }
  return x > 0 ? 1 : 0;
}

export function main(): i32 {
  let ids = new Array<i32>();
  for (let i = 0; i < 8; i++) ids.push(spawn(compute, i + 1));
  let ok = 0;
  for (let i = 0; i < ids.length; i++) ok += join(ids[i]).value;
  print("threads=" + ok.toString() + " gave_up=" + gaveUp.toString());
  return 0;
}
