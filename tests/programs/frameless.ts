// Typed arrays read and written byte by byte while the collector runs (tests/frameless.test.ts): the
// element access has no frame of its own (host/compiler/passes/frameless.ts), and every array a thread
// still holds must survive the collections its allocations set off. Prints `sum=` (a checksum of every
// array's bytes, each thread's kept arrays read again at its end) and `collections=`.
import { print, spawn, join, heapStats } from "weft";

const ROUNDS = 4000;
const BYTES = 4096;

function fill(a: Uint8Array, seed: i32): void {
  for (let i = 0; i < a.length; i++) a[i] = <u8>(seed + i * 7);
}

function total(a: Uint8Array): i32 {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

function churn(seed: usize): i32 {
  let kept = new Array<Uint8Array>();
  let sum = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let a = new Uint8Array(BYTES);               // most are garbage at once: collections come
    fill(a, <i32>seed + round);
    sum = (sum * 31 + total(a)) & 0x7fffffff;
    if (round % 100 == 0) kept.push(a);
  }
  for (let i = 0; i < kept.length; i++) sum = (sum * 31 + total(kept[i])) & 0x7fffffff;
  return sum;
}

export function main(): i32 {
  let a = spawn(churn, 1), b = spawn(churn, 2);
  let sum = <i64>churn(3);
  sum += join(a).value;
  sum += join(b).value;
  print("sum=" + sum.toString());
  print("collections=" + heapStats().collections.toString());
  return 0;
}
