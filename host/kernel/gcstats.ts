// The collector's statistics, read from the core's record at weft_gc_stats() (assembly/core/gc.ts,
// GcStats; offsets in host/abi.ts, GC_STATS), and its option checked. Web-standard APIs only.
//
// Access rule: as for the thread table (tables.ts): read between two calls of weft_run in N:1, and once
// every loop has ended in M:N; a read while processors run is a snapshot.

import { GC_STATS } from "../abi.js";

/** What the collector did in a run. Bytes and ms. */
export interface GcStats {
  /** Collections finished, and the pauses they took (marking goes in short pauses: core/gc.ts). */
  collections: number;
  pauses: number;
  pauseTotalMs: number;
  pauseLastMs: number;
  pauseMaxMs: number;
  /** Bytes of objects the last finished sweep kept, and bytes in use then (objects and weft's own). */
  liveBytes: number;
  heapBytes: number;
  /** Bytes of objects freed by all collections. */
  freedBytes: number;
  /** Bytes of objects allocated since the last collection began, and where the next one begins. */
  allocatedBytes: number;
  nextCollection: number;
  /** The collection percentage (-1: automatic collections off). */
  gcPercent: number;
}

/** The statistics of an instance with the weft_gc_stats export (null for a module without one). */
export function readGcStats(ex: { memory: WebAssembly.Memory; weft_gc_stats?: () => number }): GcStats | null {
  if (!ex.weft_gc_stats) return null;
  const at = ex.weft_gc_stats();
  const view = new DataView(ex.memory.buffer);
  const u32 = (field: keyof typeof GC_STATS) => view.getUint32(at + GC_STATS[field], true);
  const f64 = (field: keyof typeof GC_STATS) => view.getFloat64(at + GC_STATS[field], true);
  return {
    collections: u32("collections"), pauses: u32("pauses"), pauseTotalMs: f64("pauseTotal"),
    pauseLastMs: f64("pauseLast"), pauseMaxMs: f64("pauseMax"), liveBytes: u32("liveBytes"),
    heapBytes: u32("heapBytes"), freedBytes: f64("freedTotal"), allocatedBytes: u32("allocated"),
    nextCollection: u32("trigger"), gcPercent: view.getInt32(at + GC_STATS.percent, true),
  };
}

/** Why `options.gcPercent` is refused, or null (an integer from -1 up). */
export function gcOptionsError(options: { gcPercent?: number }): string | null {
  const p = options.gcPercent;
  if (p === undefined || (Number.isInteger(p) && p >= -1 && p <= 1_000_000)) return null;
  return `gcPercent must be an integer from -1 (automatic collections off) to 1000000, got ${p}`;
}
