// Once semantics: the function runs exactly once while several threads race, every caller returns only
// after it finished, and a recursive call is EDEADLK.
import { spawn, join, yieldNow, sleep, print } from "weft";
import { Once } from "weft/assembly/sync/index";

const THREADS = 5;

let once = new Once();
let runs = 0;
let initialized = 0;
let early = 0;          // a caller returned before the function finished
let results = 0;        // sum of call() results (all 0)

function init(): void {
  runs++;
  yieldNow();           // the other callers arrive while it runs
  sleep(5);
  initialized = 1;
}

function caller(arg: usize): i32 {
  for (let k = 0; k < <i32>arg; k++) yieldNow();
  results += once.call(init);
  if (initialized != 1) early++;
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
  results += once.call(init);
  print("runs=" + runs.toString());
  print("early=" + early.toString());
  print("results=" + results.toString());
  print("done_after=" + (once.done() ? "1" : "0"));
  print("recursive=" + inner.call(recursive).toString() + "," + innerResult.toString() + "," + innerRuns.toString());
  return 0;
}
