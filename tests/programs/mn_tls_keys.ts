// TLS keys created from several threads at once (on processors, truly at once): every key must be a
// different one. THREADS threads create KEYS keys each and mark them; prints `keys=` (created),
// `duplicates=` (keys handed out twice).
import { spawn, join, tlsKeyCreate } from "weft";
import { print } from "weft";

const THREADS = 4;
const KEYS = 48;
const marks = new StaticArray<i32>(256);
const DUPLICATES = memory.data(4, 4);
const CREATED = memory.data(4, 4);

function creator(_: usize): i32 {
  for (let i = 0; i < KEYS; i++) {
    let k = tlsKeyCreate();
    if (k < 0) return 1;
    atomic.add<i32>(CREATED, 1);
    if (atomic.add<i32>(changetype<usize>(marks) + (<usize>k << 2), 1) != 0) atomic.add<i32>(DUPLICATES, 1);
  }
  return 0;
}

export function main(): i32 {
  let ids = new StaticArray<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(creator, i);
  let failed = 0;
  for (let i = 0; i < THREADS; i++) failed += join(ids[i]).value;
  print("keys=" + atomic.load<i32>(CREATED).toString());
  print("duplicates=" + atomic.load<i32>(DUPLICATES).toString());
  return failed;
}
