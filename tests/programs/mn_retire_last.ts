// 1:1: the last processor awake is the one whose thread finishes. main joins "stuck", which waits on a
// futex nobody wakes; "late" sleeps 100 ms and returns, so its processor retires after the other two have
// gone to sleep having seen it running. The run must end in a deadlock report, not sleep forever.
import { spawn, join, sleep, futexWait, SpawnOptions } from "weft";

const WORD: usize = memory.data(16, 16);

function stuck(arg: usize): i32 { futexWait(WORD, 0); return 0; }
function late(arg: usize): i32 { sleep(100); return 7; }

function named(name: string): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  return o;
}

export function main(): i32 {
  let s = spawn(stuck, 0, named("stuck"));
  spawn(late, 0, named("late"));
  return join(s).value;
}
