// Scale: 10,000 threads alive at once, and switches from deep inside a call stack.
import { spawn, join, yieldNow, print, futexWait, futexWake, setTimeSlice } from "weft";
import { liveThreadCount } from "weft/assembly/core/thread";

const COUNT = 10000;
const GATE: usize = memory.data(16, 16);

let arrived = 0;
let maxLive = 0;

// Each thread arrives, then blocks on the gate until every thread exists; the last one to arrive
// records how many threads were alive.
function gated(arg: usize): i32 {
  arrived++;
  if (arrived == COUNT) maxLive = liveThreadCount();
  while (load<i32>(GATE) == 0) futexWait(GATE, 0);
  return <i32>arg;
}

// Recursion to `depth` with locals live in every frame, yielding at the bottom and every 100 levels
// on the way back up; the result depends on every frame's locals.
let trail = new Array<string>();
function descend(depth: i32, tag: i32): i64 {
  let local: i64 = <i64>depth * 7 + tag;
  let other: i32 = depth ^ tag;
  if (depth == 0) {
    trail.push("bottom" + tag.toString());
    yieldNow();
    trail.push("resume" + tag.toString());
    return local;
  }
  let below = descend(depth - 1, tag);
  if (depth % 100 == 0) yieldNow();
  return below + local + <i64>(other ^ tag) - <i64>depth;   // (depth ^ tag) ^ tag == depth
}

function deep(arg: usize): i32 {
  let r = descend(1000, <i32>arg);
  trail.push("done" + arg.toString());
  // expected: sum over d = 0..1000 of (7d + tag) = 7 * 500500 + 1001 * tag
  let expected: i64 = 7 * 500500 + 1001 * <i64>arg;
  return r == expected ? 1 : 0;
}

function shallow(arg: usize): i32 {
  for (let i = 0; i < 5; i++) { trail.push("s" + i.toString()); yieldNow(); }
  return 1;
}

export function main(): i32 {
  let ids = new StaticArray<i32>(COUNT);
  let failed = 0;
  for (let i = 0; i < COUNT; i++) {
    ids[i] = spawn(gated, <usize>i);
    if (ids[i] <= 0) failed++;
  }
  print("spawn_failed=" + failed.toString());
  while (arrived < COUNT) yieldNow();
  print("arrived=" + arrived.toString() + " max_live=" + maxLive.toString());
  store<i32>(GATE, 1);
  print("woken=" + futexWake(GATE, -1).toString());
  let sum: i64 = 0;
  let bad = 0;
  for (let i = 0; i < COUNT; i++) {
    let r = join(ids[i]);
    if (!r.ok) bad++;
    sum += r.value;
  }
  print("sum=" + sum.toString() + " bad_joins=" + bad.toString());
  print("live_after=" + liveThreadCount().toString());

  // The trail is the yields' round robin only while no tick preempts: a descent slowed past the 10 ms
  // slice (a loaded machine, an engine still in its first tier) would be preempted and reorder it.
  setTimeSlice(60_000);
  let a = spawn(deep, 3);
  let b = spawn(deep, 11);
  let c = spawn(shallow);
  let okA = join(a).value, okB = join(b).value, okC = join(c).value;
  print("deep_ok=" + okA.toString() + "," + okB.toString() + "," + okC.toString());
  print("trail=" + trail.join(" "));
  return 0;
}
