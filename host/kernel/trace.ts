// The timeline trace, host side: the core's records (assembly/core/trace.ts) into the Chrome trace event
// format, which Perfetto (ui.perfetto.dev) and chrome://tracing open.
//
// Design note
// -----------
// Each processor hands over its records between calls of weft_run (TraceRecorder.take); a record carries
// no time of its own but CLOCK records come often (trace.ts says when), so a record's time is placed
// evenly between the two clock readings around it (placeTimes). The processors' streams are then merged
// by time and replayed through one state machine per thread (chromeTrace):
//   - RUN … STOP is a run span, on the processor's track ("processors", a track per processor, named by
//     the thread) and on the thread's ("threads", a track per thread, "running on N");
//   - STOP then WAKE is a wait span on the thread's track, named by what it waited on ("blocked: mutex",
//     "sleeping", "io: read"); WAKE (or a yield or preemption) then RUN is "runnable";
//   - a WAKE is an arrow (a flow) from the waker's track to the woken thread's next run; a SPAWN an
//     instant on the parent's track; a preemption an instant on the thread's; a collector's pause a span on
//     the processor's track; dropped records an instant saying how many.
// Across processors the placing can put a thread's run a little before the wake that made it runnable
// (each processor's times are exact only at its own clock readings); the arrow then ends at the run after.

import { TRACE, TRACE_STOP_REASONS, WAIT_KINDS } from "../abi.js";
import { OP_NAMES } from "../io/abi.js";

/** One event of the Chrome trace event format (the fields weft writes). `ts` and `dur` are µs. */
export interface TraceEvent {
  name: string; ph: "X" | "i" | "s" | "f" | "M"; ts: number; pid: number; tid: number;
  dur?: number; cat?: string; id?: number; bp?: "e"; s?: "t" | "p"; args?: Record<string, unknown>;
}

/** What `run(..., { trace: true })` gives in RunResult.trace: `JSON.stringify` it to a file. */
export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: "ms";
  /** records read, and dropped for want of room (assembly/core/trace.ts, CAPACITY). */
  otherData: { weft: { processors: number; records: number; dropped: number } };
}

/** The processes of the trace: one holds a track per processor, the other a track per thread. */
const PROCESSORS = 1, THREADS = 2;

/** Records a trace keeps: the first 1,000,000 (16 MB of records, a JSON file of ~200 MB that Perfetto
 *  opens); later ones are counted as dropped. A channel round trip makes ~6, so a tight loop fills it in
 *  well under a second: trace a short run, or the part that matters. Not configurable. */
export const TRACE_RECORDS_MAX = 1_000_000;

/** Collects each processor's records as its host takes them, up to TRACE_RECORDS_MAX in all. */
export class TraceRecorder {
  private streams = new Map<number, Uint8Array[]>();
  private kept = 0;
  private over = 0;                            // records past TRACE_RECORDS_MAX, not kept

  /** Copies `bytes` bytes at `address` of `memory` (a take: weft_trace_take) for processor `processor`. */
  take(memory: WebAssembly.Memory, address: number, bytes: number, processor: number): void {
    if (bytes <= 0) return;
    this.add(processor, new Uint8Array(memory.buffer, address, bytes).slice());
  }

  /** Whether more records are kept (a host need not copy them when not). */
  get full(): boolean { return this.kept >= TRACE_RECORDS_MAX; }

  /** `count` records were kept elsewhere (a processor's, sent to the run's recorder). */
  sent(count: number): void { this.kept += count; }

  /** Records not kept so far. */
  get dropped(): number { return this.over; }

  /** Records of processor `processor`, in the order it made them (a take's copy, sent from a Worker);
   *  `dropped`: records that processor did not send (it had sent TRACE_RECORDS_MAX). */
  add(processor: number, records: Uint8Array, dropped = 0): void {
    this.over += dropped;
    const count = records.length / TRACE.record;
    if (count === 0) return;
    if (this.full) { this.over += count; return; }
    this.kept += count;
    let list = this.streams.get(processor);
    if (!list) this.streams.set(processor, (list = []));
    list.push(records);
  }

  /** The Chrome trace of everything taken so far; `names` names threads (by id) where known. */
  trace(names: ReadonlyMap<number, string> = new Map()): ChromeTrace {
    const trace = chromeTrace([...this.streams.entries()].sort(([a], [b]) => a - b).map(([, chunks]) => concat(chunks)), names);
    trace.otherData.weft.dropped += this.over;
    return trace;
  }
}

/** The core's exports a program's trace uses (assembly/core/trace.ts). */
export interface TracedCore {
  memory: WebAssembly.Memory;
  /** Starts this processor's recording; the buffer's address, 0 when there is no memory for it. */
  weft_trace_start(): number;
  /** Bytes of records made since the last take (they are at the buffer's start). */
  weft_trace_take(): number;
}

/** One program's or processor's part of RunOptions.trace: the buffer the core records into, and the
 *  records taken from it between calls of weft_run. An N:1 program keeps them; a processor of a shared
 *  run sends them to the run's recorder (`send`: host/mn/run.ts). */
export class ProgramTrace {
  private buffer = 0;                          // where the core records (0: not recording)
  private readonly records = new TraceRecorder();

  constructor(private readonly core: () => TracedCore, private readonly send?: (records: Uint8Array, dropped: number) => void) {}

  /** Whether this program records (start succeeded). */
  get recording(): boolean { return this.buffer !== 0; }

  /** Starts recording. False when there is no memory for the buffer (1 MiB). */
  start(): boolean {
    this.buffer = this.core().weft_trace_start();
    return this.buffer !== 0;
  }

  /** Between two calls of weft_run: takes the records made since the last take. A process fork made of a
   *  traced one records too (its memory is a copy); its records are let go. */
  take(): void {
    const core = this.core();
    const bytes = core.weft_trace_take();
    if (bytes <= 0 || !this.buffer) return;
    if (this.records.full) {                   // past TRACE_RECORDS_MAX: counted, not copied
      this.records.add(0, new Uint8Array(0), bytes / TRACE.record);
      return;
    }
    const records = new Uint8Array(core.memory.buffer, this.buffer, bytes).slice();
    if (!this.send) this.records.add(0, records);
    else { this.records.sent(records.length / TRACE.record); this.send(records, 0); }
  }

  /** The program's end: the last take (none if the module is too damaged to answer), and a processor's
   *  last word on its trace, how many records it did not send. */
  end(): void {
    try { this.take(); } catch { /* the records taken so far */ }
    if (this.send && this.buffer && this.records.dropped) this.send(new Uint8Array(0), this.records.dropped);
  }

  /** Gives an N:1 program's `result` its trace, made when first read; a processor's result goes as it is. */
  withTrace<T extends object>(result: T, names: () => ReadonlyMap<number, string>): T {
    if (!this.buffer || this.send) return result;
    const records = this.records, named = names();
    return withTrace(result, () => records.trace(named));
  }
}

/** Gives `result` a `trace` made when first read (then kept): converting a million records takes seconds
 *  and much memory, which a caller that never looks at it (a benchmark's runs) should not pay. */
export function withTrace<T extends object>(result: T, make: () => ChromeTrace): T & { trace: ChromeTrace } {
  let made: ChromeTrace | undefined;
  return Object.defineProperty(result, "trace", { enumerable: true, configurable: true, get: () => (made ??= make()) }) as T & { trace: ChromeTrace };
}

/** Thread names by id, from a run's outcomes and statistics (threads joined before the end are not in
 *  them: the trace calls those by number). */
export function threadNames(...lists: { id: number; name?: string | null }[][]): Map<number, string> {
  const names = new Map<number, string>();
  for (const list of lists) for (const t of list) if (t.name) names.set(t.id, t.name);
  return names;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/** A record read back, with the time placeTimes gave it (ms). */
interface Rec { kind: number; reason: number; processor: number; thread: number; arg: number; time: number; order: number; text?: string }

/** One processor's stream of records, each with its time. */
export function placeTimes(bytes: Uint8Array, order = 0): Rec[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const recs: Rec[] = [];
  const clocks: number[] = [];                 // indexes of records that carry a time
  let prevWasName = false;
  for (let at = 0; at + TRACE.record <= bytes.length; at += TRACE.record) {
    const kind = view.getUint8(at);
    if (kind === TRACE.NAME) {                  // 4 units a record; a name's records come one after another
      const units: number[] = [];
      for (let u = 0; u < Math.min(view.getUint8(at + 1), 4); u++) units.push(view.getUint16(at + 8 + 2 * u, true));
      const last = recs[recs.length - 1], thread = view.getUint32(at + 4, true);
      const text = String.fromCharCode(...units);
      if (last?.kind === TRACE.NAME && last.thread === thread && prevWasName) last.text += text;
      else recs.push({ kind, reason: 0, processor: view.getUint16(at + 2, true), thread, arg: 0, time: NaN, order: 0, text });
      prevWasName = true;
      continue;
    }
    prevWasName = false;
    const timed = kind === TRACE.CLOCK || kind === TRACE.GC;
    recs.push({
      kind, reason: view.getUint8(at + 1), processor: view.getUint16(at + 2, true), thread: view.getUint32(at + 4, true),
      arg: timed ? 0 : view.getUint32(at + 8, true), time: timed ? view.getFloat64(at + 8, true) : NaN, order: 0,
    });
    if (timed) clocks.push(recs.length - 1);
  }
  if (clocks.length === 0) return [];
  for (let c = -1; c < clocks.length; c++) {
    const from = c < 0 ? -1 : clocks[c], to = c + 1 < clocks.length ? clocks[c + 1] : recs.length;
    const a = from < 0 ? recs[clocks[0]].time : recs[from].time;
    const b = to < recs.length ? Math.max(recs[to].time, a) : a;
    for (let i = from + 1; i < to; i++) recs[i].time = a + (b - a) * (i - from) / (to - from);
  }
  for (let i = 0; i < recs.length; i++) recs[i].order = order + i;
  return recs;
}

/** What a thread is doing, for the replay. */
interface ThreadState {
  runningOn: number | null; runStart: number;
  waitStart: number | null; waitName: string;
  runnableSince: number | null;
  flow: number | null;                         // an arrow waiting for the thread's next run
  io: string | null;                           // the I/O call it submitted last
}

/** The Chrome trace of the processors' streams (index = processor). */
export function chromeTrace(streams: Uint8Array[], names: ReadonlyMap<number, string> = new Map()): ChromeTrace {
  const all: Rec[] = [];
  streams.forEach((bytes, i) => { for (const r of placeTimes(bytes, i * 2 ** 32)) all.push(r); });
  all.sort((x, y) => x.time - y.time || x.order - y.order);
  const t0 = all.length ? all[0].time : 0;
  const us = (ms: number) => Math.round((ms - t0) * 1000 * 1000) / 1000;
  const events: TraceEvent[] = [];
  const threads = new Map<number, ThreadState>();
  const seenThreads = new Set<number>(), seenProcessors = new Set<number>();
  const named = new Map(names);                // the run's names, and those the records carry (NAME)
  const label = (id: number) => named.get(id) ? `thread ${id} "${named.get(id)}"` : `thread ${id}`;
  const state = (id: number): ThreadState => {
    let s = threads.get(id);
    if (!s) {
      threads.set(id, (s = { runningOn: null, runStart: 0, waitStart: null, waitName: "", runnableSince: null, flow: null, io: null }));
      seenThreads.add(id);
    }
    return s;
  };
  const span = (pid: number, tid: number, name: string, from: number, to: number, args?: Record<string, unknown>) => {
    events.push({ name, ph: "X", ts: us(from), dur: Math.max(0, us(to) - us(from)), pid, tid, ...(args ? { args } : {}) });
  };
  let flows = 0, records = 0, dropped = 0, pauseStart: number | null = null;
  for (const r of all) {
    records++;
    seenProcessors.add(r.processor);
    if (pauseStart !== null && r.kind === TRACE.CLOCK) {
      span(PROCESSORS, r.processor, "collector pause", pauseStart, r.time);
      pauseStart = null;
    }
    switch (r.kind) {
      case TRACE.GC: pauseStart = r.time; break;
      case TRACE.NAME: named.set(r.thread, r.text ?? ""); break;
      case TRACE.RUN: {
        const s = state(r.thread);
        if (s.waitStart !== null) { span(THREADS, r.thread, s.waitName, s.waitStart, r.time); s.waitStart = null; }
        if (s.runnableSince !== null) { span(THREADS, r.thread, "runnable", s.runnableSince, r.time); s.runnableSince = null; }
        if (s.flow !== null) {
          events.push({ name: "wake", cat: "wake", ph: "f", bp: "e", id: s.flow, ts: us(r.time), pid: THREADS, tid: r.thread });
          s.flow = null;
        }
        s.runningOn = r.processor;
        s.runStart = r.time;
        break;
      }
      case TRACE.STOP: {
        const s = state(r.thread);
        const why = TRACE_STOP_REASONS[r.reason] ?? `reason ${r.reason}`;
        const waitingOn = r.reason === 3 ? (r.arg === 13 && s.io ? `io: ${s.io}` : `blocked: ${WAIT_KINDS[r.arg] ?? r.arg}`) : null;
        const args = { stopped: waitingOn ?? why };
        span(PROCESSORS, r.processor, label(r.thread), s.runningOn === null ? r.time : s.runStart, r.time, args);
        span(THREADS, r.thread, `running on ${r.processor}`, s.runningOn === null ? r.time : s.runStart, r.time, args);
        s.runningOn = null;
        if (waitingOn) { s.waitStart = r.time; s.waitName = waitingOn; }
        else if (why === "sleeping") { s.waitStart = r.time; s.waitName = "sleeping"; }
        else if (why === "yielded" || why === "preempted" || why === "handler returned") s.runnableSince = r.time;
        if (why === "preempted") events.push({ name: "preempted", ph: "i", s: "t", ts: us(r.time), pid: THREADS, tid: r.thread });
        if (why === "exited" || why === "trapped") events.push({ name: why, ph: "i", s: "t", ts: us(r.time), pid: THREADS, tid: r.thread });
        s.io = null;
        break;
      }
      case TRACE.WAKE: {
        const s = state(r.thread);
        if (s.waitStart !== null) { span(THREADS, r.thread, s.waitName, s.waitStart, r.time); s.waitStart = null; }
        if (s.runningOn === null) s.runnableSince = r.time;
        const id = ++flows;
        const from = r.arg !== 0 ? { pid: THREADS, tid: r.arg } : { pid: PROCESSORS, tid: r.processor };
        if (r.arg !== 0) state(r.arg);
        events.push({ name: "wake", cat: "wake", ph: "s", id, ts: us(r.time), ...from });
        s.flow = id;
        break;
      }
      case TRACE.SPAWN: {
        state(r.thread);
        const at = r.arg !== 0 ? { pid: THREADS, tid: r.arg } : { pid: PROCESSORS, tid: r.processor };
        if (r.arg !== 0) state(r.arg);
        events.push({ name: `spawn ${label(r.thread)}`, ph: "i", s: "t", ts: us(r.time), ...at, args: { child: r.thread } });
        break;
      }
      case TRACE.IO: {
        const s = state(r.thread);
        s.io = OP_NAMES[r.arg] ?? `op ${r.arg}`;
        events.push({ name: `io: ${s.io}`, ph: "i", s: "t", ts: us(r.time), pid: THREADS, tid: r.thread });
        break;
      }
      case TRACE.LOST:
        dropped += r.arg;
        events.push({ name: `${r.arg} trace records dropped`, ph: "i", s: "p", ts: us(r.time), pid: PROCESSORS, tid: r.processor });
        break;
    }
  }
  const end = all.length ? all[all.length - 1].time : t0;
  for (const [id, s] of threads) {                 // what was under way when the trace ended
    if (s.runningOn !== null) span(THREADS, id, `running on ${s.runningOn}`, s.runStart, end);
    if (s.waitStart !== null) span(THREADS, id, s.waitName, s.waitStart, end);
  }
  const meta = (pid: number, tid: number | undefined, what: "process_name" | "thread_name", name: string): TraceEvent =>
    ({ name: what, ph: "M", ts: 0, pid, tid: tid ?? 0, args: { name } });
  const head = [meta(PROCESSORS, undefined, "process_name", "processors"), meta(THREADS, undefined, "process_name", "threads"),
    ...[...seenProcessors].sort((a, b) => a - b).map((p) => meta(PROCESSORS, p, "thread_name", `processor ${p}`)),
    ...[...seenThreads].sort((a, b) => a - b).map((id) => meta(THREADS, id, "thread_name", label(id)))];
  return {
    traceEvents: [...head, ...events], displayTimeUnit: "ms",
    otherData: { weft: { processors: seenProcessors.size, records, dropped } },
  };
}
