// The M:N ticker (tests/preempt-host.test.ts): three threads spin without ever yielding until main sets
// `stop`, and main sleeps first. On 2 processors the spinners hold both, so main runs again only when a
// tick preempts one of them; in a shared build only the host's ticker makes a spinning thread tick.
import { spawn, join, sleep, print } from "weft";
import { Counter } from "./lib/counter";

const SPINNERS = 3;
let stop = new Counter();             // atomic: main sets it on one processor, spinners read it on others

function spin(arg: usize): i32 {
  while (stop.get() == 0) {}
  return 1;
}

export function main(): i32 {
  let ids = new Array<i32>();
  for (let i = 0; i < SPINNERS; i++) ids.push(spawn(spin, 0));
  sleep(30);
  stop.inc();
  let joined = 0;
  for (let i = 0; i < ids.length; i++) joined += join(ids[i]).value;
  print("joined=" + joined.toString());
  return 0;
}
