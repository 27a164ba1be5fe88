// Reading the core's memory from the host: AssemblyScript strings, the thread table (every thread record,
// for the deadlock report, the run's result and statistics), what a blocked thread waits on, and the
// fair-share group table.
// Web-standard APIs only: this file runs in Node and in browsers.
//
// Access rule: the core owns both tables; the host only reads them, with plain loads. In N:1 it reads
// between two calls of weft_run, when nothing runs, and at the end of a run (RunResult). In M:N the result
// is read once every loop has ended; statistics asked for while processors still run are a best-effort
// snapshot: a record being changed gives a stale number, and one reaped meanwhile a wrong line (or a
// RangeError, if what was its name pointer now points outside the memory).
//
// A shared run's tables from the thread that started it (SharedRunOptions.onStart): that thread has no
// instance of its own, so tableReader instantiates the module once more over the run's memory, every
// import a stub. The reader only calls the table exports, which read memory and call no import; a shared
// module has no start function and only passive data segments (host/compiler/passes/shared.ts), so
// instantiating it writes nothing.

import { THREAD, STATE_NAMES, WAIT_KINDS, STATS_CPU, STATS_RUNNABLE, STATS_BLOCKED } from "../abi.js";
import { REQUEST, OP_NAMES } from "../io/abi.js";

/** What the readers need of an instance: its memory and the core's table exports (assembly/sys/abi.ts). */
export interface CoreTables {
  memory: WebAssembly.Memory;
  weft_thread_at(slot: number): number;
  weft_thread_slots(): number;
  weft_groups(): number;
  weft_group_weight(group: number): number;
  weft_group_cpu(group: number): number;
}

/** One thread's statistics, as the host reads them from its record. Times are in ms. */
export interface ThreadStats {
  id: number;
  /** Its name, or "" when it has none. */
  name: string;
  /** free, runnable, running, blocked, sleeping, exited (not joined) or trapped. */
  state: string;
  /** What a blocked thread waits on, as its record says (WAIT_KINDS: "mutex", "channel receive", "join",
   *  "io", ...); "" when it is not blocked. */
  waitKind: string;
  /** The priority it was given (0..7); aging may raise it for a while, which is not shown. */
  priority: number;
  /** Its fair-share group (0: the default group) and its weight within the group. */
  group: number;
  weight: number;
  /** Times switched in. */
  switches: number;
  /** CPU time charged by ticks (sampled; always kept). */
  cpu: number;
  /** Exact accounting (RunOptions.exactAccounting): CPU time from a clock read at every switch, time spent
   *  runnable (waiting for a processor) and time blocked or asleep. null while the thread has no exact
   *  block (accounting off, or the thread never switched in since it was turned on). */
  cpuExact: number | null;
  runnable: number | null;
  blocked: number | null;
}

/** One fair-share group: its weight and the CPU time charged to its threads (ms, sampled). */
export interface GroupStats {
  id: number;
  weight: number;
  cpu: number;
}

export function readU32(memory: WebAssembly.Memory, addr: number): number {
  return new Uint32Array(memory.buffer, addr, 1)[0];
}
export function readI32(memory: WebAssembly.Memory, addr: number): number {
  return new Int32Array(memory.buffer, addr, 1)[0];
}
/** An f64 at `addr` (8-aligned in every record and block that holds one). */
export function readF64(memory: WebAssembly.Memory, addr: number): number {
  return new Float64Array(memory.buffer, addr, 1)[0];
}

/** `units` UTF-16 code units at `ptr`. */
export function readUtf16(memory: WebAssembly.Memory, ptr: number, units: number): string {
  const view = new Uint16Array(memory.buffer, ptr, units);
  let s = "";
  for (let i = 0; i < units; i += 4096) s += String.fromCharCode(...view.subarray(i, Math.min(units, i + 4096)));
  return s;
}

/** An AssemblyScript String at `ptr` (its byte length is the u32 before it); "" for 0. */
export function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return "";
  return readUtf16(memory, ptr, readU32(memory, ptr - 4) >>> 1);
}

/** The address of every thread record in the table, in slot order (slot 0 is never used). */
export function threadRecords(core: CoreTables): number[] {
  const slots = core.weft_thread_slots();
  const records: number[] = [];
  for (let slot = 1; slot < slots; slot++) {
    const t = core.weft_thread_at(slot);
    if (t) records.push(t);
  }
  return records;
}

/** The state of the record at `t`, as a word. */
export function threadState(core: CoreTables, t: number): string {
  return STATE_NAMES[readI32(core.memory, t + THREAD.state)] ?? "unknown";
}

/** What the exports waitText needs besides the tables: whom a wait waits for, and a mutex owner's fate. */
export interface CoreWaits extends CoreTables {
  weft_waits_for(t: number): number;
  weft_owner_fate(id: number): number;
}

/** What blocked thread `t` waits on, for a dump or a deadlock report: "mutex at 0x1a2b0 held by thread 3",
 *  "join of thread 4", "read on fd 5 (I/O)", "channel recv at 0x…" (ABI.md, Thread record: waitKind and
 *  waitAddr). */
export function waitText(core: CoreWaits, t: number): string {
  const memory = core.memory;
  const kind = WAIT_KINDS[readI32(memory, t + THREAD.waitKind)] ?? "futex";
  const addr = readU32(memory, t + THREAD.waitAddr);
  if (kind === "join") return `join of thread ${readI32(memory, addr - THREAD.state + THREAD.id)}`;
  if (kind === "io") {
    const op = OP_NAMES[readU32(memory, addr + REQUEST.op)] ?? "call";
    if (op === "dump") return "dumpThreads()";
    if (op === "break") return "debugBreak()";
    return `${op} on fd ${readI32(memory, addr + REQUEST.fd)} (I/O)`;
  }
  if (kind === "mutex") return `mutex at 0x${addr.toString(16)}${heldBy(core, readI32(memory, addr) & 0x7fffffff)}`;
  if (kind === "rwlock" || kind === "rwlock write") {
    // A writer waits on the lock's writerNotify word, 4 bytes after its state word (ABI.md, Thread record).
    const writer = core.weft_waits_for(t);
    return `rwlock at 0x${(kind === "rwlock" ? addr : addr - 4).toString(16)} to ${kind === "rwlock" ? "read" : "write"}` +
      (writer ? `, write-locked by thread ${writer}` : "");
  }
  return `${kind} at 0x${addr.toString(16)}`;
}

/** Who holds a mutex, for the deadlock report: its owner, and whether it still exists here. */
function heldBy(core: CoreWaits, owner: number): string {
  if (!owner) return "";
  const fate = core.weft_owner_fate(owner);
  if (fate === 1) return ` held by thread ${owner}, which does not exist in this process: it was not copied by fork()`;
  if (fate === 2) return ` held by thread ${owner}, which has ended holding it`;
  return ` held by thread ${owner}`;
}

/** Statistics of every thread in the table (not yet reaped: a joined thread is gone). */
export function readThreadStats(core: CoreTables): ThreadStats[] {
  const memory = core.memory;
  return threadRecords(core).map((t) => {
    const stats = readU32(memory, t + THREAD.stats);
    const state = threadState(core, t);
    return {
      id: readI32(memory, t + THREAD.id),
      name: readString(memory, readU32(memory, t + THREAD.name)),
      state,
      waitKind: state === "blocked" ? WAIT_KINDS[readI32(memory, t + THREAD.waitKind)] ?? "futex" : "",
      priority: readI32(memory, t + THREAD.basePriority),
      group: readI32(memory, t + THREAD.group),
      weight: readI32(memory, t + THREAD.weight),
      switches: readU32(memory, t + THREAD.switches),
      cpu: readF64(memory, t + THREAD.cpu),
      cpuExact: stats ? readF64(memory, stats + STATS_CPU) : null,
      runnable: stats ? readF64(memory, stats + STATS_RUNNABLE) : null,
      blocked: stats ? readF64(memory, stats + STATS_BLOCKED) : null,
    };
  });
}

/** The tables of a shared run over `memory` (see the top of this file), for readThreadStats / readGroups
 *  while its processors run. */
export async function tableReader(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<CoreTables> {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    imports[from] ??= {};
    imports[from][name] = kind === "memory" ? memory : () => { throw new Error(`tableReader: the reader calls no import (${from}.${name})`); };
  }
  const { exports } = await WebAssembly.instantiate(module, imports);
  const core = exports as unknown as CoreTables;
  return {
    memory, weft_thread_at: core.weft_thread_at, weft_thread_slots: core.weft_thread_slots,
    weft_groups: core.weft_groups, weft_group_weight: core.weft_group_weight, weft_group_cpu: core.weft_group_cpu,
  };
}

/** Every fair-share group (group 0, the default, first). */
export function readGroups(core: CoreTables): GroupStats[] {
  const groups: GroupStats[] = [];
  for (let id = 0, n = core.weft_groups(); id < n; id++) {
    groups.push({ id, weight: core.weft_group_weight(id), cpu: core.weft_group_cpu(id) });
  }
  return groups;
}
