// Save-area overflow: a thread switches from a recursion so deep that its frames exceed the save area
// (the test runs this with saveAreaMax 4096; 1,000 frames take ~16 KiB). Three rounds, one for each way
// of switching at the bottom: it yields (so it is on the run queue when its unwind fails), sleeps 1 ms
// (the timer heap), or waits on a futex with a 5 ms timeout (a wait queue and the timer heap).
// That thread must die with "save area overflow" and only it: the workers finish, memory that main
// allocated is untouched, and main prints `<mode>.<key>=<value>`. With the default limit it finishes.
// The deep thread first switches shallow, so that it has a save area of its own: a thread unwinds into
// that directly, and the deep unwind must move to the scratch area on the way (scheduler.ts, "Direct
// unwinds"). `regrow` switches at depths that grow and shrink, and checks what the recursion computes.
import { spawn, join, yieldNow, sleep, futexWait, print, SpawnOptions } from "weft";

const WORD: usize = memory.data(16, 16);
const MARKERS = 64;
const MARKER_WORDS = 64;

const YIELD = 0, SLEEP = 1, FUTEX = 2;
let mode = YIELD;
let reachedBottom = 0;
let resumed = 0;
function dive(n: i32, x: i32): i32 {
  let local = x * 3 + n;
  if (n == 0) {
    reachedBottom = 1;
    if (mode == YIELD) yieldNow();
    else if (mode == SLEEP) sleep(1);
    else futexWait(WORD, 0, 5);
    resumed = 1;
    return local;
  }
  return dive(n - 1, local ^ n) + local;
}

/** What dive computes, without switching. */
function diveExpected(n: i32, x: i32): i32 {
  let local = x * 3 + n;
  if (n == 0) return local;
  return diveExpected(n - 1, local ^ n) + local;
}

function diver(arg: usize): i32 {
  yieldNow();                                  // a shallow switch first: the thread gets its own save area
  let got = dive(<i32>arg, 1);
  return got == diveExpected(<i32>arg, 1) ? 1 : 0;
}

/** Switches at depths 1, 61, 13, 117, ... (each a yield at the bottom of a recursion), in turn with a
 *  worker that yields too; 1 if every recursion computed what it does without switching. */
function regrow(arg: usize): i32 {
  let ok = 1;
  let saved = mode;
  for (let i = 0; i < 40; i++) {
    let depth = (i * 61) % 128;
    mode = YIELD;
    if (dive(depth, i) != diveExpected(depth, i)) ok = 0;
    mode = saved;
  }
  return ok;
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

function round(name: string): void {
  reachedBottom = 0;
  resumed = 0;
  // Blocks allocated before the overflow, checked after it: an unwind must not write past its buffer.
  let markers = new StaticArray<StaticArray<i32>>(MARKERS);
  for (let i = 0; i < MARKERS; i++) {
    let m = new StaticArray<i32>(MARKER_WORDS);
    for (let k = 0; k < MARKER_WORDS; k++) m[k] = i * 1000 + k;
    markers[i] = m;
  }
  let w1 = spawn(worker, 1, named("good-1"));
  let d = spawn(diver, 1000, named("deep-" + name));
  let w2 = spawn(worker, 2, named("good-2"));
  let r = join(d);
  print(name + ".deep_ok=" + (r.ok ? "1" : "0"));
  print(name + ".deep_value_ok=" + (r.ok ? r.value.toString() : "-"));
  print(name + ".deep_error=" + (r.error === null ? "none" : r.error!));
  print(name + ".reached_bottom=" + reachedBottom.toString() + " resumed=" + resumed.toString());
  print(name + ".good=" + join(w1).value.toString() + "," + join(w2).value.toString());
  print(name + ".after=" + join(spawn(worker, 3, named("good-3"))).value.toString());
  let damaged = 0;
  for (let i = 0; i < MARKERS; i++) {
    let m = markers[i];
    for (let k = 0; k < MARKER_WORDS; k++) if (m[k] != i * 1000 + k) damaged++;
  }
  print(name + ".markers_damaged=" + damaged.toString());
}

export function main(): i32 {
  mode = YIELD; round("yield");
  mode = SLEEP; round("sleep");
  mode = FUTEX; round("futex");
  let g = spawn(regrow, 0, named("regrow"));
  let w = spawn(worker, 4, named("good-4"));
  let rg = join(g);
  print("regrow=" + (rg.ok ? rg.value.toString() : rg.error!) + " good=" + join(w).value.toString());
  return 0;
}
