// A program that keeps everything alive still runs out of memory cleanly: under a heap limit, a hoarder
// thread keeps every string it makes until an allocation fails; it dies with "out of memory" (and only
// it), the collector frees what it held once it is gone, and main goes on allocating. Prints key=value.
import { spawn, join, print, gc, heapStats } from "weft";

let hoarded = 0;

function hoard(n: usize): i32 {
  let all = new Array<string>();
  while (true) {
    all.push("hoarded string number " + hoarded.toString());
    hoarded++;
  }
  return all.length;
}

export function main(): i32 {
  let r = join(spawn(hoard, 0));
  let error = r.error;
  print("hoarder_died=" + (error !== null ? "yes" : "no"));
  print("hoarder_error=" + (error !== null && (error as string).indexOf("out of memory") >= 0 ? "out of memory" : (error !== null ? error as string : "none")));
  print("hoarded_many=" + (hoarded > 10000 ? "yes" : hoarded.toString()));
  // Its strings are garbage now: the next allocations reuse their memory.
  gc();
  let kept = new Array<string>();
  for (let i = 0; i < 10000; i++) kept.push("after " + i.toString());
  let ok = kept.length == 10000 && kept[9999] == "after 9999";
  print("after=" + (ok ? "ok" : "broken"));
  print("freed=" + (heapStats().freedBytes > 1000000 ? "yes" : "no"));
  return ok ? 0 : 1;
}
