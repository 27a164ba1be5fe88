// idle_cpu_4p, run by bench/mn.js on 4 processors: the only thread sleeps, so every processor has
// nothing to do. Prints "idle_begin" once the run has settled and "idle_end" IDLE_MS later; the bench
// reads the process's CPU time at the two lines.
import { sleep, print } from "weft";

const SETTLE_MS = 300;
const IDLE_MS = 2_000;

export function main(): i32 {
  sleep(SETTLE_MS);
  print("idle_begin");
  sleep(IDLE_MS);
  print("idle_end");
  return 0;
}
