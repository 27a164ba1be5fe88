// A thread that cannot be kept for want of memory dies alone: the worker first switches shallow (its
// save area is made small), takes every 48-byte block the heap has left under its limit, then switches
// from DEPTH frames down, whose save area needs a bigger block than the full heap can give. The loop
// must end that thread with "out of memory: no room for the thread's save area" (a message it cannot
// build at run time then) and the others must go on: a second thread finishes, main joins both and
// prints the error. Everything main needs after the fill is made before it.
// Prints `joined=` (join's code), `error=` (the worker's error), `other=` (ok: the other thread went
// on and finished) and `main=ok`.
import { spawn, joinInto, JoinResult, yieldNow, print } from "weft";
import { heapTryAlloc } from "weft/assembly/runtime/index";

const DEPTH = 1000;
const OK = "main=ok", OTHER_OK = "other=ok", OTHER_FAILED = "other=failed";
const JOINED_0 = "joined=0", JOINED_OTHER = "joined=other", NO_ERROR = "error=none";

function deep(n: i32): i32 {
  if (n == 0) { yieldNow(); return 0; }
  return deep(n - 1) + 1;
}

// Keeps a thread runnable, so that the worker's yields switch (a yield with nobody to run returns at
// once). Its own switches are all at one site: its save area, made at the first, fits them all.
function other(arg: usize): i32 {
  for (let i = 0; i < 10; i++) yieldNow();
  return 0;
}

function worker(arg: usize): i32 {
  yieldNow();                                  // a switch at depth 1: a small save area
  while (heapTryAlloc(48) != 0) {}
  return deep(DEPTH);                          // never returns: the thread dies in the switch
}

export function main(): i32 {
  let result = new JoinResult();
  let otherResult = new JoinResult();
  let id = spawn(worker, 0);
  let otherId = spawn(other, 0);
  joinInto(id, result);
  print(result.code == 0 ? JOINED_0 : JOINED_OTHER);
  let error = result.error;
  joinInto(otherId, otherResult);
  print(otherResult.ok ? OTHER_OK : OTHER_FAILED);
  if (error === null) print(NO_ERROR);
  else { print("error="); print(error); }
  print(OK);
  return 0;
}
