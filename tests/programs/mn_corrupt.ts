// A processor's own loop fails (the scheduler traps), not a thread: the run must end with that reason
// instead of leaving the other processors waiting for it. main spawns a thread that sleeps, overwrites
// its record's state while it sleeps (nothing else would ever do that), and joins it: the processor that
// fires the timer finds a state no thread can be in and aborts inside its loop.
import { spawn, join, sleep, yieldNow } from "weft";
import { threadById } from "weft/assembly/core/thread";
import { STATE_SLEEPING } from "weft/assembly/core/layout";

function sleeper(arg: usize): i32 {
  sleep(50);
  return 0;
}

export function main(): i32 {
  let id = spawn(sleeper);
  let t = threadById(id)!;
  while (t.state != STATE_SLEEPING) yieldNow();
  t.state = 30;                             // no state: transition() refuses it
  join(id);
  return 0;
}
