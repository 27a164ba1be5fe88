// A thread that traps with the heap full: the host's message for its death (which says what trapped)
// is a String the core must allocate, and the heap has no room for it. The death must still say what
// happened — not "trapped (no memory left for the message)", which is all the core can keep then
// (host/kernel/runner.ts, onTrap and `died`). tests/heap-limit.test.ts runs it under memoryLimit, built
// without safepoints (no switch but main's), N:1 and on processors.
// The worker waits until main has parked in its join (main's save area made, so main needs no memory
// until the worker is gone), takes every 16-byte block the heap has left (a fill of the smallest class
// splits every larger free block too: no block of any other size is left), keeps them, and traps.
// main then frees them and prints `joined=` (join's code: 0) and `main=ok`.
import { spawn, joinInto, JoinResult, yieldNow, print } from "weft";
import { heapTryAlloc, heapFree } from "weft/assembly/runtime/index";
import { currentThread } from "weft/assembly/core/scheduler";
import { Thread } from "weft/assembly/core/layout";

const JOINED_0 = "joined=0", JOINED_OTHER = "joined=other", OK = "main=ok";
let kept: usize = 0;                          // the worker's blocks, linked through their first word

function worker(mainRecord: usize): i32 {
  // main's save area is there once it has parked (it is kept across switches): on processors, main may
  // still be on its way into the join when this thread starts.
  while (atomic.load<usize>(mainRecord + offsetof<Thread>("saveArea")) == 0) yieldNow();
  while (true) {
    let block = heapTryAlloc(16);
    if (block == 0) break;
    store<usize>(block, kept);
    kept = block;
  }
  unreachable();
  return 0;
}

export function main(): i32 {
  let result = new JoinResult();
  let id = spawn(worker, currentThread);
  joinInto(id, result);
  while (kept != 0) { let next = load<usize>(kept); heapFree(kept); kept = next; }
  print(result.code == 0 ? JOINED_0 : JOINED_OTHER);
  print(OK);
  return 0;
}
