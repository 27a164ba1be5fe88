// Thread statistics as the host reads them (tests/preempt-host.test.ts, and weft run --stats): two named
// threads that are never joined, so that they are still in the thread table when the run ends; the busy
// one in a fair-share group of its own (weight 3). main prints the slice in force, sleeps 40 ms, and ends
// once both have ended (each counts itself in `finished` as its last step), so that the table shows them
// exited however late the kernel let them run.
import { spawn, sleep, now, print, SpawnOptions, groupCreate, setGroup, timeSlice } from "weft";

let finished = 0;

/** Runs ~20 ms without yielding: the ticks charge it CPU time. */
function busy(arg: usize): i32 {
  let until = now() + 20;
  let spins = 0;
  while (now() < until) spins++;
  finished++;
  return spins > 0 ? 1 : 0;
}

/** Blocked ~5 ms. */
function napper(arg: usize): i32 {
  sleep(5);
  finished++;
  return 2;
}

function named(name: string): SpawnOptions {
  let options = new SpawnOptions();
  options.name = name;
  return options;
}

export function main(): i32 {
  print("slice=" + timeSlice().toString());
  let busyId = spawn(busy, 0, named("stats-busy"));
  setGroup(busyId, groupCreate(3));
  spawn(napper, 0, named("stats-napper"));
  sleep(40);                           // both finish meanwhile; neither is joined
  while (finished < 2) sleep(1);
  return 0;
}
