// Clocks, from the host.
import { hostNow, hostWall } from "../core/host";

/** Monotonic time in milliseconds, with sub-millisecond precision where the host has it. */
export function now(): f64 { return hostNow(); }

/** Wall-clock time in milliseconds since the Unix epoch. */
export function wallTime(): f64 { return hostWall(); }
