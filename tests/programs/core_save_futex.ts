// Save-area overflow: a thread switches from a recursion so deep that its frames exceed the save area
// (the test runs this with saveAreaMax 4096; 1,000 frames take ~16 KiB). At the bottom it waits on a
// futex with a 5 ms timeout, so it is in a wait queue and the timer heap when its unwind fails.
// That thread must die with "save area overflow" and only it: the workers finish, memory that main
// allocated is untouched, and main prints. Run with the default limit, the same thread finishes.
import { spawn, join, yieldNow, sleep, futexWait, print, SpawnOptions } from "weft";

const WORD: usize = memory.data(16, 16);
const MARKERS = 64;
const MARKER_WORDS = 64;

let reachedBottom = 0;
let resumed = 0;
function dive(n: i32, x: i32): i32 {
  let local = x * 3 + n;
  if (n == 0) {
    reachedBottom = 1;
    futexWait(WORD, 0, 5);
    resumed = 1;
    return local;
  }
  return dive(n - 1, local ^ n) + local;
}

function diver(arg: usize): i32 {
  return dive(<i32>arg, 1);
}

// Shallow frames: each switch saves a few dozen bytes, well under the limit.
function worker(arg: usize): i32 {
  let sum = 0;
  for (let i = 1; i <= 10; i++) { sum += i * <i32>arg; yieldNow(); }
  sleep(2);
  return sum;
}

function named(name: string): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  return o;
}

export function main(): i32 {
  // Blocks allocated before the overflow, checked after it: an unwind must not write past its buffer.
  let markers = new StaticArray<StaticArray<i32>>(MARKERS);
  for (let i = 0; i < MARKERS; i++) {
    let m = new StaticArray<i32>(MARKER_WORDS);
    for (let k = 0; k < MARKER_WORDS; k++) m[k] = i * 1000 + k;
    markers[i] = m;
  }
  let w1 = spawn(worker, 1, named("good-1"));
  let d = spawn(diver, 1000, named("deep-futex"));
  let w2 = spawn(worker, 2, named("good-2"));
  let r = join(d);
  print("deep_ok=" + (r.ok ? "1" : "0"));
  print("deep_error=" + (r.error === null ? "none" : r.error!));
  print("reached_bottom=" + reachedBottom.toString() + " resumed=" + resumed.toString());
  print("good=" + join(w1).value.toString() + "," + join(w2).value.toString());
  print("after=" + join(spawn(worker, 3, named("good-3"))).value.toString());
  let damaged = 0;
  for (let i = 0; i < MARKERS; i++) {
    let m = markers[i];
    for (let k = 0; k < MARKER_WORDS; k++) if (m[k] != i * 1000 + k) damaged++;
  }
  print("markers_damaged=" + damaged.toString());
  return 0;
}
