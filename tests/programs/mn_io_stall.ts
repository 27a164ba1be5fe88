// What a 300 ms call stalls (tests/mn-io.test.ts): a blocker thread makes one ioDelay(300) in the mode
// the run names while a counter thread yields in a loop and counts the turns it takes while the call
// is out (a flag the blocker raises right before the call and lowers right after). Prints
// `during=<turns counted while the call was out>`, `delay=<its result>`, `elapsed_ok=1` when the call
// took at least 300 ms, `same=1` when the counter ran on the blocker's processor during the call.
import { spawn, join, print, yieldNow, ioDelay, now, processorId } from "weft";

const cell = memory.data(16);           // 0: the flag, 4: the blocker's processor, 8: done, 12: turns on it

function blocker(_: usize): i32 {
  ioDelay(20);                          // lets the counter start first
  atomic.store<i32>(cell + 4, processorId());
  let start = now();
  atomic.store<i32>(cell, 1);
  let r = ioDelay(300);
  atomic.store<i32>(cell, 0);
  print("delay=" + r.toString());
  print("elapsed_ok=" + (now() - start >= 299 ? "1" : "0"));
  atomic.store<i32>(cell + 8, 1);
  return 0;
}

function counter(_: usize): i32 {
  let during = 0;
  while (atomic.load<i32>(cell + 8) == 0) {
    if (atomic.load<i32>(cell) != 0) {
      during++;
      if (processorId() == atomic.load<i32>(cell + 4)) atomic.store<i32>(cell + 12, 1);
    }
    yieldNow();
  }
  print("during=" + during.toString());
  return 0;
}

export function main(): i32 {
  let c = spawn(counter, 0);
  let b = spawn(blocker, 0);
  join(b);
  join(c);
  print("same=" + atomic.load<i32>(cell + 12).toString());
  return 0;
}
