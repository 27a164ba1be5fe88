// Imports built as syncImports (called directly, no instrumentation): one that answers, one that
// returns a Promise and one that throws — each of the last two kills only the thread that called it.
// Prints `key=value` lines (tests/host-calls.test.ts).
import { spawn, join, print, SpawnOptions } from "weft";

// @ts-ignore: decorator
@external("app", "add") declare function add(a: i32, b: i32): i32;
// @ts-ignore: decorator
@external("app", "promise") declare function promise(): i32;
// @ts-ignore: decorator
@external("app", "throws") declare function throws(): i32;

function callsPromise(arg: usize): i32 { return promise(); }
function callsThrows(arg: usize): i32 { return throws(); }

function named(name: string): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  return o;
}

export function main(): i32 {
  let sum = 0;
  for (let i = 0; i < 1000; i++) sum = add(sum, i);
  print("add=" + sum.toString());
  let a = join(spawn(callsPromise, 0, named("promiser")));
  let b = join(spawn(callsThrows, 0, named("thrower")));
  print("promise_died=" + (a.error != null ? "yes" : "no") + " throws_died=" + (b.error != null ? "yes" : "no"));
  print("after=" + add(1, 2).toString());
  return 0;
}
