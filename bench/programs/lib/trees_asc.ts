// gc_alloc_ratio, the baseline: the same kernel as a plain AssemblyScript module (no weft), built by
// bench/gc.js with asc --runtime incremental -O3; the host calls run() and times it.
import { trees, MAX_DEPTH } from "./trees";
export function run(): i32 { return trees(MAX_DEPTH); }
