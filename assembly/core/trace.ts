// The timeline trace: what each processor did, as records the host turns into a Chrome trace.
//
// Design note
// -----------
// Problem: `weft run --trace out.json` shows, per processor and per thread, when each thread ran, why it
// stopped (blocked on what, asleep, preempted, yielded, ended), who woke it, spawns, the collector's
// pauses and I/O calls. Recording must cost nothing measurable when off and little when on, on paths
// that take tens of nanoseconds (a switch, a wake).
//
// Rejected: a clock read per record. Wasm has no clock of its own; the host's (performance.now() through
// an import) costs ~50–200 ns here, several times a whole yield, so timestamps on every switch would make
// a traced channel round trip 2–3× as slow. A host import per record or per full buffer (a new import
// every host — C, WASI — must supply) is rejected too: the host already gets a turn often (the loop
// returns every SWITCHES_PER_CALL switches, and sooner when the buffer is half full), and takes the
// records then (weft_trace_take).
// Chosen: each processor appends fixed-size records to a buffer of its own, and reads the clock only now
// and then: every TRACE_CLOCK_EVERY records, as its loop starts and stops (weft_run), around an idle
// sleep, at a preemption and for a collection's pause. The host places the records between two
// clock readings evenly in time (host/kernel/trace.ts): exact at every reading, and off by at most the
// gap between two readings, which is short wherever many records come close together. (Rejected: a
// reading when a thread stops after a long run, told by N:1's safepoint fuel: fuel is spent in loops
// only, so its rate is low and the test fired on short runs too, doubling the traced round trip.)
//
// ╒════════ record (RECORD bytes, little-endian) ════════╕
//   0 │ kind       u8   TRACE_* (host/abi.ts names the same numbers)
//   1 │ reason     u8   STOP: STOP_*; else 0
//   2 │ processor  u16  the processor that wrote it
//   4 │ thread     u32  the thread it is about (0: none)
//   8 │ arg        u32  WAKE: the waker (0: a timer, I/O or the host); SPAWN: the parent;
//     │                 STOP (blocked): the wait kind (WAIT_*); IO: the operation
//   8 │ units      u16×4 NAME only: up to 4 UTF-16 units of the thread's name (`reason` says how many);
//     │                 a name longer than 4 units takes consecutive NAME records
//   8 │ time       f64  CLOCK and GC (its pause's start; the CLOCK after it is the end) only: ms on
//     │                 the host's monotonic clock
// ╘══════════════════════════════════════════════════════╛
// Access rule: a processor's buffer and cursor are its own (PER_PROCESSOR_GLOBALS); its host reads the
// buffer only between two calls of weft_run, when the processor writes nothing.

import { heapTryAlloc } from "../runtime/index";
import { hostNow } from "./host";
import { processorIndex } from "./processor";
import { Thread, STATE_BLOCKED, STATE_SLEEPING, STATE_EXITED, STATE_TRAPPED } from "./layout";
import { switchHooksTrace } from "./preempt";

// @ts-ignore: decorator
@inline export const TRACE_CLOCK: u8 = 1;
// @ts-ignore: decorator
@inline export const TRACE_RUN: u8 = 2;
// @ts-ignore: decorator
@inline export const TRACE_STOP: u8 = 3;
// @ts-ignore: decorator
@inline export const TRACE_WAKE: u8 = 4;
// @ts-ignore: decorator
@inline export const TRACE_SPAWN: u8 = 5;
// @ts-ignore: decorator
@inline export const TRACE_GC: u8 = 6;
// @ts-ignore: decorator
@inline export const TRACE_IO: u8 = 7;
// @ts-ignore: decorator
@inline export const TRACE_LOST: u8 = 8;      // arg: records dropped since the last take (buffer full)
// @ts-ignore: decorator
@inline export const TRACE_NAME: u8 = 9;      // a thread's name, 4 UTF-16 units a record (traceName)

// Why a thread stopped running (TRACE_STOP's reason).
// @ts-ignore: decorator
@inline export const STOP_YIELDED: u8 = 1;
// @ts-ignore: decorator
@inline export const STOP_PREEMPTED: u8 = 2;
// @ts-ignore: decorator
@inline export const STOP_BLOCKED: u8 = 3;
// @ts-ignore: decorator
@inline export const STOP_SLEEPING: u8 = 4;
// @ts-ignore: decorator
@inline export const STOP_EXITED: u8 = 5;
// @ts-ignore: decorator
@inline export const STOP_TRAPPED: u8 = 6;
// @ts-ignore: decorator
@inline export const STOP_HANDLER: u8 = 7;     // a signal handler it ran returned

// @ts-ignore: decorator
@inline const RECORD: usize = 16;
/** Records a processor's buffer holds: 65,536 (1 MiB). The loop hands the host its turn once half are
 *  used (traceWantsTake), so only a burst of more than ~32,000 records within one thread's run (a
 *  broadcast to that many threads) drops any; the drop is counted (TRACE_LOST). Not configurable. */
// @ts-ignore: decorator
@inline const TRACE_CAPACITY: usize = 1 << 16;
/** Records between two clock readings at most: 128 keeps the clock's cost (~100–200 ns a reading) to
 *  ~1 ns a record (trace_overhead_on) while two readings are never far apart where records are dense:
 *  128 records of channel round trips take ~2 µs. */
// @ts-ignore: decorator
@inline const TRACE_CLOCK_EVERY: i32 = 128;

// Per processor (PER_PROCESSOR_GLOBALS): owner only.
let traceBase: usize = 0;     // the buffer, or 0: tracing is off on this processor
export let traceAt: usize = 0; // where the next record goes (0 while off: every hook tests this)
let traceHalf: usize = 0;     // past this, the loop gives the host its turn
let traceEnd: usize = 0;      // the buffer's end, less room for one clock record
let sinceClock: i32 = 0;      // records since the last clock reading
let dropped: u32 = 0;         // records dropped since the last take

/** Whether this processor records (one load and compare: what every hook costs while tracing is off).
 *  A build with `traceHooks: false` (WEFT_TRACE_OFF) has none: the baseline of trace_overhead_off. */
// @ts-ignore: decorator
@inline export function tracing(): bool {
  if (isDefined(WEFT_TRACE_OFF)) return false;
  return traceAt != 0;
}

/** The loop's test, made where a thread is switched in while tracing: the buffer is half used, give the
 *  host a turn to take it (weft_trace_take). */
// @ts-ignore: decorator
@inline export function traceWantsTake(): bool {
  if (isDefined(WEFT_TRACE_OFF)) return false;
  return traceAt > traceHalf;
}

function clockRecord(at: usize, kind: u8, time: f64): usize {
  store<u32>(at, <u32>kind | (<u32>processorIndex << 16));
  store<u32>(at, 0, 4);
  store<f64>(at, time, 8);
  return at + RECORD;
}

/** Appends a record; reads the clock after every TRACE_CLOCK_EVERY of them. */
// @ts-ignore: decorator
@inline function put(kind: u8, reason: u8, thread: u32, arg: u32): void {
  let at = traceAt;
  if (at >= traceEnd) { dropped++; return; }
  store<u64>(at, <u64>kind | (<u64>reason << 8) | (<u64>processorIndex << 16) | (<u64>thread << 32));
  store<u64>(at, <u64>arg, 8);
  at += RECORD;
  traceAt = at;
  if (++sinceClock >= TRACE_CLOCK_EVERY) traceClock();
}

/** A clock reading now (loop start and stop, idle sleeps, preemptions). */
export function traceClock(): void {
  if (traceAt == 0 || traceAt >= traceEnd) return;
  traceAt = clockRecord(traceAt, TRACE_CLOCK, hostNow());
  sinceClock = 0;
}

/** `t` is switched in. */
// @ts-ignore: decorator
@inline export function traceRun(t: Thread): void { put(TRACE_RUN, 0, t.id, 0); }

/** `t` stopped running for `reason` (STOP_*); `waitKind` says on what when it blocked. A preemption ends
 *  a run of a slice or more: the clock is read. */
// @ts-ignore: decorator
@inline export function traceStop(t: Thread, reason: u8, waitKind: i32): void {
  put(TRACE_STOP, reason, t.id, <u32>waitKind);
  if (reason == STOP_PREEMPTED) traceClock();
}

/** `t` was made runnable by the thread running here (`waker`, its record; 0: a timer, I/O or the host). */
// @ts-ignore: decorator
@inline export function traceWake(t: Thread, waker: usize): void {
  put(TRACE_WAKE, 0, t.id, waker != 0 ? <u32>changetype<Thread>(waker).id : 0);
}

/** Names longer than this (UTF-16 units) are cut in the trace: 32. Not configurable. */
// @ts-ignore: decorator
@inline const NAME_MAX: i32 = 32;

/** Thread `thread` is called `name` (a String): at its spawn, and when it renames itself. The host
 *  names the thread's track with it, whether or not the thread is still there at the end. */
export function traceName(thread: u32, name: usize): void {
  let units = min<i32>(changetype<string>(name).length, NAME_MAX);
  for (let i = 0; i < units; i += 4) {
    let at = traceAt;
    if (at >= traceEnd) { dropped++; return; }
    let n = min<i32>(4, units - i);
    store<u32>(at, <u32>TRACE_NAME | (<u32>n << 8) | (<u32>processorIndex << 16));
    store<u32>(at, thread, 4);
    store<u64>(at, 0, 8);
    memory.copy(at + 8, name + (<usize>i << 1), <usize>n << 1);
    traceAt = at + RECORD;
  }
}

/** `child` was spawned by `parent` (0: the host, for main). */
export function traceSpawn(child: u32, parent: u32): void { put(TRACE_SPAWN, 0, child, parent); }

/** The running thread `thread` submitted I/O operation `op` and waits for it. */
export function traceIo(thread: u32, op: i32): void { put(TRACE_IO, 0, thread, <u32>op); }

/** A collection's pause on this processor, from `start` to `end` (ms). */
export function tracePause(start: f64, end: f64): void {
  let at = traceAt;
  if (at == 0) return;
  if (at + RECORD >= traceEnd) { dropped++; return; }
  at = clockRecord(at, TRACE_GC, start);
  traceAt = clockRecord(at, TRACE_CLOCK, end);
  sinceClock = 0;
}

/** Starts recording on this processor. Returns the buffer's address, or 0 (no memory for it). */
export function traceStart(): usize {
  if (traceBase != 0) return traceBase;
  let bytes = TRACE_CAPACITY * RECORD;
  let block = heapTryAlloc(bytes);
  if (block == 0) return 0;
  traceBase = block;
  traceHalf = block + (bytes >> 1);
  traceEnd = block + bytes - 2 * RECORD;       // room for the take's clock and lost records
  traceAt = clockRecord(block, TRACE_CLOCK, hostNow());
  switchHooksTrace();
  return block;
}

/** The host takes the records: ends them with a clock reading (and a count of dropped ones), returns
 *  their length in bytes from the buffer's start, and starts the buffer again. The host copies them before
 *  it calls into the module again. 0 when tracing is off. */
export function traceTake(): i32 {
  if (traceBase == 0) return 0;
  let at = clockRecord(traceAt, TRACE_CLOCK, hostNow());
  if (dropped != 0) {
    store<u32>(at, <u32>TRACE_LOST | (<u32>processorIndex << 16));
    store<u32>(at, 0, 4);
    store<u32>(at, dropped, 8);
    store<u32>(at, 0, 12);
    at += RECORD;
    dropped = 0;
  }
  let used = <i32>(at - traceBase);
  traceAt = traceBase;
  sinceClock = 0;
  return used;
}

/** Why `t` stopped running (TRACE_STOP, trace.ts), read as it switched out (`ticked`: it unwound
 *  at a safepoint). On processors a thread that
 *  parked may already be runnable again (woken elsewhere): it then reads as a yield. */
export function stopReason(t: Thread, finishing: bool, handlerDone: bool, ticked: bool): u8 {
  if (handlerDone) return STOP_HANDLER;
  if (finishing) return STOP_EXITED;
  if (ticked) return STOP_PREEMPTED;
  let state = t.state;
  if (state == STATE_BLOCKED) return STOP_BLOCKED;
  if (state == STATE_SLEEPING) return STOP_SLEEPING;
  if (state == STATE_EXITED) return STOP_EXITED;
  if (state == STATE_TRAPPED) return STOP_TRAPPED;
  return STOP_YIELDED;
}
