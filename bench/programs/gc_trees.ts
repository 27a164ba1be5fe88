// gc_alloc_ratio, weft's side: the binary-trees kernel (lib/trees.ts) on weft's runtime; ms.
import { now, print } from "weft";
import { trees, MAX_DEPTH } from "./lib/trees";

export function main(): i32 {
  let t0 = now();
  let sum = trees(MAX_DEPTH);
  print("gc_trees_ms " + (now() - t0).toString());
  print("gc_trees_sum " + sum.toString());
  return 0;
}
