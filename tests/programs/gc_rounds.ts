// Memory returns: the same churn (4 threads building and splitting request lines) run ROUNDS times in
// one instance. After each round and a collection, prints the heap's size (its address space: memory is
// reused, never returned) and the bytes in use; a collector that frees everything garbage gives the same
// figures round after round. Prints `round<i>=<heapSize>,<inUse>` and `collections=<n>`.
import { spawn, join, yieldNow, print, gc, heapStats } from "weft";

const ROUNDS = 10;
const REQUESTS = 20000;

function churn(n: usize): i32 {
  let total = 0;
  for (let i = 0; i < REQUESTS; i++) {
    let line = "GET /item/" + (i + <i32>n * REQUESTS).toString() + " HTTP/1.1";
    let parts = line.split(" ");
    total += parts[1].length;
    if (i % 64 == 0) yieldNow();
  }
  return total;
}

export function main(): i32 {
  for (let round = 0; round < ROUNDS; round++) {
    let ids = new StaticArray<i32>(4);
    for (let i = 0; i < 4; i++) ids[i] = spawn(churn, i);
    for (let i = 0; i < 4; i++) if (join(ids[i]).value <= 0) return 1;
    gc();
    let s = heapStats();
    print("round" + round.toString() + "=" + s.heapSize.toString() + "," + s.inUseBytes.toString());
  }
  print("collections=" + heapStats().collections.toString());
  return 0;
}
