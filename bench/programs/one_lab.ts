// 1:1 lab (bench/mn.js runs it with a Worker per thread):
//   spawn_1to1   ns per spawn + join (each spawn starts a Worker; each join waits for its thread)
//   parked 100   100 threads parked in a futex at once: the host reads the process's memory while they
//                are (a Worker's own memory is most of what a 1:1 thread costs), and `heap=` is the linear
//                memory per thread, as mem_mn_* measures it. (1,000 and 10,000: see bench/mn.js.)
import { spawn, joinInto, JoinResult, futexWait, futexWake, sleep, now, print } from "weft";
import { heapAllocated } from "weft/assembly/runtime/index";

const SPAWNS = 20;
const gate = memory.data(4, 4);
const parkedCount = memory.data(4, 4);

function nothing(arg: usize): i32 { return <i32>arg; }

function parker(_: usize): i32 {
  atomic.add<i32>(parkedCount, 1);
  futexWake(parkedCount, 1);
  while (atomic.load<i32>(gate) == 0) futexWait(gate, 0);
  return 0;
}

function park(n: i32, ids: StaticArray<i32>, result: JoinResult): void {
  atomic.store<i32>(gate, 0);
  atomic.store<i32>(parkedCount, 0);
  let before = heapAllocated();
  for (let i = 0; i < n; i++) {
    ids[i] = spawn(parker, 0);
    if (ids[i] < 0) { print("spawn_failed_at " + i.toString() + " " + ids[i].toString()); n = i; break; }
  }
  while (atomic.load<i32>(parkedCount) < n) futexWait(parkedCount, atomic.load<i32>(parkedCount), 100);
  print("parked " + n.toString() + " heap=" + (<f64>(heapAllocated() - before) / <f64>n).toString());
  sleep(300);                                     // the host reads the process's memory meanwhile
  atomic.store<i32>(gate, 1);
  futexWake(gate, -1);
  for (let i = 0; i < n; i++) joinInto(ids[i], result);
}

export function main(): i32 {
  let result = new JoinResult();
  let t0 = now();
  for (let i = 0; i < SPAWNS; i++) joinInto(spawn(nothing, i), result);
  print("spawn_1to1 " + ((now() - t0) * 1e6 / <f64>SPAWNS).toString());
  let ids = new StaticArray<i32>(100);
  park(100, ids, result);
  return 0;
}
