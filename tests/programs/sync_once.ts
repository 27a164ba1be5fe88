// Once semantics: the function runs exactly once while several threads race, every caller returns only
// after it finished, and a recursive call is EDEADLK.
import { spawn, join, yieldNow, sleep, print } from "weft";
import { Once } from "weft/assembly/lib/sync/index";
import { Counter, addAt } from "./lib/counter";

const THREADS = 5;

let once = new Once();
let runs = new Counter();
const INITIALIZED = memory.data(4, 4);   // set by the once function, read by every caller
let early = new Counter();   // a caller returned before the function finished
let results = new Counter(); // sum of call() results (all 0)

function init(): void {
  runs.inc();
  yieldNow();           // the other callers arrive while it runs
  sleep(5);
  atomic.store<i32>(INITIALIZED, 1);
}

function caller(arg: usize): i32 {
  for (let k = 0; k < <i32>arg; k++) yieldNow();
  results.add(once.call(init));
  if (atomic.load<i32>(INITIALIZED) != 1) early.inc();
  return 0;
}

let inner = new Once();
let innerResult = -1;
let innerRuns = 0;
function recursive(): void {
  innerRuns++;
  innerResult = inner.call(recursive);
}

export function main(): i32 {
  print("done_before=" + (once.done() ? "1" : "0"));
  let ids = new Array<i32>();
  for (let i = 0; i < THREADS; i++) ids.push(spawn(caller, <usize>i));
  for (let i = 0; i < THREADS; i++) join(ids[i]);
  results.add(once.call(init));
  print("runs=" + runs.toString());
  print("early=" + early.toString());
  print("results=" + results.toString());
  print("done_after=" + (once.done() ? "1" : "0"));
  print("recursive=" + inner.call(recursive).toString() + "," + innerResult.toString() + "," + innerRuns.toString());
  return 0;
}
