// A program stopped from outside (tests/debug.test.ts): one thread computes without a call that
// switches until main, asleep meanwhile, tells it to stop; a pause finds it parked at a safepoint.
import { spawn, join, sleep, print, SpawnOptions } from "weft";

let stop = false;
let sum: u32 = 0;
function crunch(): void { let x: u32 = 1; while (!stop) { x = x * 31 + 7; sum += x >> 3; } }
function spinner(arg: usize): i32 { crunch(); return 0; }

export function main(): i32 {
  let o = new SpawnOptions();
  o.name = "spinner";
  let t = spawn(spinner, 0, o);
  sleep(300);
  stop = true;
  join(t);
  print("stopped");
  return 0;
}
