import { spawn, join, yieldNow, print } from "weft";

function worker(arg: usize): i32 {
  let sum = 0;
  for (let i = 0; i < 5; i++) { sum += <i32>arg * i; yieldNow(); }
  return sum;
}

export function main(): i32 {
  let a = spawn(worker, 1);
  let b = spawn(worker, 10);
  let ra = join(a), rb = join(b);
  print("a=" + ra.value.toString() + " b=" + rb.value.toString());
  return ra.value + rb.value;
}
