// browser_sum: eight threads sum 1..100000 in slices, yielding every 1000 numbers, so the scheduler
// switches between them many times; main joins them and prints the total (5000050000).
// Exit code: total % 251 (= 233), so a wrong total is very likely to show in the exit code too.

// "weft", not "../../assembly/index": weft build maps only "weft" onto ~lib/weft, and a relative path
// into assembly/ would compile a second copy of the runtime (duplicate identifiers).
import { spawn, join, yieldNow, print } from "weft";

const THREADS = 8;
const LAST = 100000;
const SLICE = LAST / THREADS; // 12500 numbers; the largest slice sum, 1171881250, fits in i32.
const YIELD_EVERY = 1000;

function sumSlice(slice: usize): i32 {
  const first = <i32>slice * SLICE + 1;
  let sum: i32 = 0;
  for (let n = first, i = 0; i < SLICE; n++, i++) {
    sum += n;
    if ((i + 1) % YIELD_EVERY == 0) yieldNow();
  }
  return sum;
}

export function main(): i32 {
  const ids = new Array<i32>(THREADS);
  for (let slice = 0; slice < THREADS; slice++) ids[slice] = spawn(sumSlice, <usize>slice);
  let total: i64 = 0;
  for (let slice = 0; slice < THREADS; slice++) {
    const result = join(ids[slice]);
    if (!result.ok) {
      print("slice " + slice.toString() + " failed: code " + result.code.toString() +
        (result.error !== null ? " " + result.error! : ""));
      return 255;
    }
    total += <i64>result.value;
  }
  print("total " + total.toString());
  return <i32>(total % 251);
}
