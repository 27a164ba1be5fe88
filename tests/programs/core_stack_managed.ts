// Stack overflow on weft's linear-memory stack: recursion whose frames hold strings and arrays keeps them
// on the thread's shadow stack, which may grow only to SpawnOptions.stackSize (4096 bytes here). That
// thread must die with "stack overflow" and only it; a bounded recursion of the same kind on a default
// stack (which grows on demand) must compute its result; the workers around them finish.
import { spawn, join, yieldNow, print, SpawnOptions } from "weft";

let managedDepth = 0;
function managed(n: i32): i32 {
  managedDepth = n;
  let parts = new Array<string>(2);
  parts[0] = "level";
  parts[1] = n.toString();
  let label = parts.join("-");
  return managed(n + 1) + label.length + parts.length;
}

// The same frames, to a fixed depth: returns the total length of every label ("level-<n>").
function bounded(n: i32, limit: i32): i32 {
  let parts = new Array<string>(2);
  parts[0] = "level";
  parts[1] = n.toString();
  let label = parts.join("-");
  if (n == limit) { yieldNow(); return label.length; }
  return bounded(n + 1, limit) + label.length;
}

function overflowEntry(arg: usize): i32 {
  yieldNow();
  return managed(0);
}

function boundedEntry(arg: usize): i32 {
  yieldNow();
  return bounded(0, <i32>arg);
}

function worker(arg: usize): i32 {
  let words = new Array<string>();
  for (let i = 0; i < 8; i++) { words.push("w" + i.toString()); yieldNow(); }
  return words.join("").length * <i32>arg;
}

function options(name: string, stackSize: i32): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  o.stackSize = stackSize;
  return o;
}

export function main(): i32 {
  let w1 = spawn(worker, 1, options("good-1", 0));
  let m = spawn(overflowEntry, 0, options("managed-rec", 4096));
  let b = spawn(boundedEntry, 1000, options("bounded-rec", 0));
  let w2 = spawn(worker, 2, options("good-2", 4096));
  let r = join(m);
  print("managed_ok=" + (r.ok ? "1" : "0"));
  print("managed_error=" + (r.error === null ? "none" : r.error!));
  print("managed_depth=" + managedDepth.toString());
  let rb = join(b);
  print("bounded=" + rb.value.toString() + " error=" + (rb.error === null ? "none" : rb.error!));
  print("good=" + join(w1).value.toString() + "," + join(w2).value.toString());
  print("after=" + join(spawn(worker, 3, options("good-3", 4096))).value.toString());
  return 0;
}
