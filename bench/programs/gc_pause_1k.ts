// gc_pause_p99_ms_1k: the same with 1,000 parked threads (bench/programs/lib/gc_pause.ts).
import { pauses } from "./lib/gc_pause";
export function main(): i32 { return pauses(1_000, 200, "gc_pause_p99_ms_1k"); }
