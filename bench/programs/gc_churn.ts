// gc_churn_peak_mb: 4 threads build and split 2,000,000 request lines in all, as a program written the
// usual way does ("GET /item/" + i + " HTTP/1.1", split(" ")). Prints the heap's high-water mark (MB of
// address space ever handed out: memory is reused, never returned) and the run's time.
import { spawn, join, yieldNow, now, print, heapStats } from "weft";

const THREADS = 4;
const REQUESTS = 2_000_000;

function worker(n: usize): i32 {
  let total = 0;
  for (let i = 0; i < REQUESTS / THREADS; i++) {
    let line = "GET /item/" + i.toString() + " HTTP/1.1";
    let parts = line.split(" ");
    total += parts[1].length;
    if ((i & 63) == 0) yieldNow();
  }
  return total;
}

export function main(): i32 {
  let t0 = now();
  let ids = new StaticArray<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(worker, i);
  let total = 0;
  for (let i = 0; i < THREADS; i++) total += join(ids[i]).value;
  let ms = now() - t0;
  if (total <= 0) return 1;
  let s = heapStats();
  print("gc_churn_peak_mb " + (<f64>s.heapSize / 1048576.0).toString());
  print("gc_churn_ms " + ms.toString());
  print("gc_churn_collections " + s.collections.toString());
  return 0;
}
