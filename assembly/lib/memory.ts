// The collector, as a program sees it: gc(), setGcPercent(), heapStats(). What is collected and when is
// core/gc.ts's design note.

import { gcCollect, gcSetPercent, gcStatsAddress, GcStats } from "../core/gc";
import { heapAllocated, heapTop } from "../runtime/index";

/** What heapStats() tells. Sizes in bytes, times in ms. */
export class HeapStats {
  /** Bytes of objects the last collection kept (0 before the first). */
  liveBytes: usize = 0;
  /** Bytes in use now: objects and everything weft keeps for threads (records, stacks, save areas). */
  inUseBytes: usize = 0;
  /** Bytes of address space the heap spans (its high-water mark: freed memory is reused, not returned). */
  heapSize: usize = 0;
  /** Bytes of objects allocated since the last collection (M:N: as reported by the processors). */
  allocatedBytes: usize = 0;
  /** Bytes of objects allocated since the last collection at which the next one starts. */
  nextCollection: usize = 0;
  /** Collections finished so far, and pauses (a collection marks in several short pauses). */
  collections: u32 = 0;
  pauses: u32 = 0;
  /** ms the program was paused by collections: in all, the last pause, the longest. */
  pauseTotalMs: f64 = 0;
  pauseLastMs: f64 = 0;
  pauseMaxMs: f64 = 0;
  /** ms of the last pause spent marking (waiting for the other processors included) and sweeping. */
  markLastMs: f64 = 0;
  sweepLastMs: f64 = 0;
  /** Bytes of objects freed by all collections. */
  freedBytes: f64 = 0;
  /** The collection percentage (setGcPercent; -1: automatic collections off). */
  gcPercent: i32 = 0;
}

/** Collects garbage now: every object no thread can reach any more is freed. */
export function gc(): void { gcCollect(); }

/** Sets how much may be allocated between collections, as a percentage of the heap in use — objects and
 *  weft's own records, stacks and save areas for threads — (default 100, as Go's GOGC); -1 turns
 *  automatic collections off. Returns the previous setting. */
export function setGcPercent(percent: i32): i32 { return gcSetPercent(percent); }

/** The heap and the collector's figures (a new HeapStats; heapStatsInto reuses one). */
export function heapStats(): HeapStats {
  let out = new HeapStats();
  heapStatsInto(out);
  return out;
}

/** heapStats, filling `out`. */
export function heapStatsInto(out: HeapStats): void {
  let s = changetype<GcStats>(gcStatsAddress());
  out.liveBytes = s.liveBytes;
  out.inUseBytes = heapAllocated();
  out.heapSize = heapTop() - __heap_base;
  out.allocatedBytes = s.allocated;
  out.nextCollection = s.trigger;
  out.collections = s.collections;
  out.pauses = s.pauses;
  out.pauseTotalMs = s.pauseTotal;
  out.pauseLastMs = s.pauseLast;
  out.pauseMaxMs = s.pauseMax;
  out.markLastMs = s.markLast;
  out.sweepLastMs = s.sweepLast;
  out.freedBytes = s.freedTotal;
  out.gcPercent = s.percent;
}
