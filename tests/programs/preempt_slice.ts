// Time slices (tests/preempt.test.ts): two spinners share one processor for RUN_MS, with a slice of 2 ms,
// then of 50 ms; each counts its turns — the times it finds that the last thread to run its loop was
// the other one. Turns per second follow the slice: ~1000 / slice, and never more.
// Prints slice_<ms>_turns_per_s= (both spinners' turns per second of the run) and slice_<ms>_set= (what
// setTimeSlice returned) and slice_<ms>_read= (timeSlice() afterwards).
import { spawn, join, sleep, now, print, setTimeSlice, timeSlice } from "weft";

const RUN_MS: f64 = 400;

let stop = false;
let last: i32 = -1;                      // which spinner ran its loop last
let turns = new StaticArray<i64>(2);

function spinner(arg: usize): i32 {
  let me = <i32>arg;
  while (!stop) {
    if (last != me) { last = me; turns[me]++; }
  }
  return 1;
}

function measure(slice: f64): void {
  let set = setTimeSlice(slice);
  stop = false;
  last = -1;
  turns[0] = 0;
  turns[1] = 0;
  let a = spawn(spinner, 0), b = spawn(spinner, 1);
  let t0 = now();
  sleep(RUN_MS);
  stop = true;
  let elapsed = now() - t0;
  join(a);
  join(b);
  let key = "slice_" + (<i32>slice).toString();
  print(key + "_set=" + set.toString());
  print(key + "_read=" + timeSlice().toString());
  print(key + "_turns_per_s=" + (<f64>(turns[0] + turns[1]) * 1000 / elapsed).toString());
}

export function main(): i32 {
  measure(2);
  measure(50);
  return 0;
}
