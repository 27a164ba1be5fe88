// exit() called by main from deep inside a call stack ends the program with that value, like POSIX exit
// from main's thread: nothing after the call runs, main's TLS destructors run, other threads are dropped.
import { spawn, exit, yieldNow, print, tlsKeyCreate, tlsSet } from "weft";

function spinner(arg: usize): i32 {
  while (true) yieldNow();
  return 0;
}

function destructor(value: usize): void {
  print("main_destructor=" + value.toString());
}

function descend(depth: i32): i32 {
  if (depth == 0) {
    yieldNow();
    exit(42);
    print("after_exit_bottom");
    return 0;
  }
  let r = descend(depth - 1);
  print("after_exit_depth_" + depth.toString());
  return r;
}

export function main(): i32 {
  let key = tlsKeyCreate(destructor);
  tlsSet(key, 5150);
  spawn(spinner);
  print("before_exit");
  descend(20);
  print("after_descend");
  return 7;
}
