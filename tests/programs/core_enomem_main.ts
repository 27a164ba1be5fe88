// Main exhausts memory with spawn (the test runs this with memoryLimit 8 MiB) before it ever switched,
// then yields: spawn left a reserve, so main's first save area still fits and it goes on.
import { spawn, yieldNow, print, SpawnOptions } from "weft";

const MAX = 200000;

function worker(arg: usize): i32 {
  return <i32>arg & 0xff;
}

export function main(): i32 {
  print("start");
  let options = new SpawnOptions();
  let count = 0;
  while (count < MAX) {
    if (spawn(worker, <usize>count, options) < 0) break;
    count++;
  }
  yieldNow();                            // the first switch of main: its save area must be allocated now
  print("resumed");
  return 0;
}
