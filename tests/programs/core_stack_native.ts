// Stack overflow of the engine's native stack: plain recursion that keeps everything in Wasm locals. Only
// that thread dies, with "stack overflow" in its error; the workers around it finish.
import { spawn, join, yieldNow, print, SpawnOptions } from "weft";

let nativeDepth = 0;
function native(n: i32, x: i64): i64 {
  nativeDepth = n;
  if (n < 0) return x;                   // never: keeps the recursion from being proven infinite
  return native(n + 1, x * 31 + n) ^ x;
}

function nativeEntry(arg: usize): i32 {
  yieldNow();
  return <i32>native(0, <i64>arg);
}

function worker(arg: usize): i32 {
  let words = new Array<string>();
  for (let i = 0; i < 8; i++) { words.push("w" + i.toString()); yieldNow(); }
  return words.join("").length * <i32>arg;
}

function named(name: string): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  return o;
}

export function main(): i32 {
  let w1 = spawn(worker, 1, named("good-1"));
  let n = spawn(nativeEntry, 5, named("native-rec"));
  let w2 = spawn(worker, 2, named("good-2"));
  let r = join(n);
  print("native_ok=" + (r.ok ? "1" : "0"));
  print("native_error=" + (r.error === null ? "none" : r.error!));
  print("native_depth=" + nativeDepth.toString());
  print("good=" + join(w1).value.toString() + "," + join(w2).value.toString());
  print("after=" + join(spawn(worker, 3, named("good-3"))).value.toString());
  return 0;
}
