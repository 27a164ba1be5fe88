// gc_pause_p99_ms with 100,000 parked threads (bench/programs/lib/gc_pause.ts).
import { pauses } from "./lib/gc_pause";
export function main(): i32 { return pauses(100_000, 40, "gc_pause_p99_ms"); }
