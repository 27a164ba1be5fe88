// WaitGroup semantics: wait returns only when every task called done, several waiters all return, and
// wait on a zero counter returns at once.
import { spawn, join, yieldNow, sleep, print } from "weft";
import { WaitGroup } from "weft/assembly/lib/sync/index";
import { Counter, addAt } from "./lib/counter";

const TASKS = 5;

let wg = new WaitGroup();
let finished = new Counter();
let seenByWaiters = new Counter();  // sum of `finished` as each extra waiter saw it on return

function task(arg: usize): i32 {
  for (let k = 0; k < <i32>arg; k++) yieldNow();
  sleep(<f64>(arg * 2));
  finished.inc();
  wg.done();
  return 0;
}

function waiter(arg: usize): i32 {
  wg.wait();
  seenByWaiters.add(finished.get());
  return 0;
}

export function main(): i32 {
  let empty = new WaitGroup();
  empty.wait();
  print("empty_wait=returned");

  wg.add(TASKS);
  print("count=" + wg.count().toString());
  let ids = new Array<i32>();
  for (let i = 0; i < 2; i++) ids.push(spawn(waiter));
  for (let i = 0; i < TASKS; i++) ids.push(spawn(task, <usize>(TASKS - i)));
  wg.wait();
  print("finished_at_wait=" + finished.toString());
  for (let i = 0; i < ids.length; i++) join(ids[i]);
  print("seen_by_waiters=" + seenByWaiters.toString());
  print("count_end=" + wg.count().toString());

  // Reuse after reaching zero.
  wg.add(1);
  let t = spawn(task, 1);
  wg.wait();
  print("reuse_finished=" + finished.toString());
  join(t);
  return 0;
}
