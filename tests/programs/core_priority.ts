// Priorities: higher-priority runnable threads always run before lower ones; within one level threads
// take turns (round robin). Every thread appends "<tag><step>" to one log; main prints it.
import { spawn, join, yieldNow, print, SpawnOptions } from "weft";

let log = new Array<string>();

// arg = tag character code | steps << 8
function stepper(arg: usize): i32 {
  let tag = String.fromCharCode(<i32>(arg & 0xff));
  let steps = <i32>(arg >> 8);
  for (let i = 0; i < steps; i++) {
    log.push(tag + i.toString());
    yieldNow();
  }
  return steps;
}

function spawnAt(tag: string, priority: i32, steps: i32): i32 {
  let options = new SpawnOptions();
  options.priority = priority;
  options.name = tag;
  return spawn(stepper, <usize>(tag.charCodeAt(0) | steps << 8), options);
}

function flush(key: string): void {
  print(key + "=" + log.join(" "));
  log = new Array<string>();
}

export function main(): i32 {
  // 1. Spawned in an order that mixes levels; none runs until main blocks in join. Main joins the lowest
  //    first, so it stays blocked until everything ran.
  let ids = new Array<i32>();
  ids.push(spawnAt("L", 1, 3));
  ids.push(spawnAt("H", 6, 3));
  ids.push(spawnAt("M", 3, 2));
  ids.push(spawnAt("l", 1, 3));
  ids.push(spawnAt("I", 6, 3));
  ids.push(spawnAt("J", 6, 3));
  ids.push(spawnAt("T", 7, 1));
  let total = 0;
  for (let i = 0; i < ids.length; i++) total += join(ids[i]).value;
  flush("mixed");
  print("mixed_total=" + total.toString());

  // 2. Main (priority 4) yields: a runnable priority-7 thread runs first, a priority-1 thread does not.
  let low = spawnAt("D", 1, 1);
  log.push("main0");
  yieldNow();
  log.push("main1");
  let high = spawnAt("U", 7, 1);
  yieldNow();
  log.push("main2");
  let same = spawnAt("S", 4, 2);
  yieldNow();
  log.push("main3");
  yieldNow();
  log.push("main4");
  join(high);
  join(same);
  join(low);
  flush("yield");

  // 3. A thread woken from a join wait at a higher priority runs before the lower ones already queued.
  let lows = new Array<i32>();
  for (let i = 0; i < 2; i++) lows.push(spawnAt(i == 0 ? "a" : "b", 2, 3));
  let top = spawnAt("Z", 5, 2);
  join(top);          // main (4) blocks; Z (5) runs first, then a and b, until Z's end wakes main (4 > 2)
  log.push("main");
  for (let i = 0; i < lows.length; i++) join(lows[i]);
  flush("wake");
  return 0;
}
