// weft build --shared: one module that K instances — the processors of M:N, one per Worker — run over one
// shared memory.
//
// Design note
// -----------
// The problem. Every instantiation of a Wasm module gets its own globals, writes the module's active data
// segments into memory and runs the start function. Over one shared memory that would give each processor
// its own copy of the program's top-level variables and of weft's shared tables; rewrite the static data,
// over whatever the program has changed there since (every memory.data block weft keeps state in is static
// data too); and run the top-level initialisers again, resetting variables and allocating fresh objects.
//
// What the build does, after the final optimisation (so that Asyncify and the optimiser saw an ordinary
// module; the loads and stores below mean what the global accesses meant):
//   1. data: every active data segment becomes passive. weft_init_memory() copies each one to its old
//      address and drops it; instantiating the module then writes nothing into memory.
//   2. start: the start section goes; its function (~start, the top-level initialisers) is exported as
//      weft_init, or an empty weft_init when there is none. A per-processor global that the start function
//      sets to a constant gets that constant as its initial value, so that every processor has it (e.g.
//      stack.ts's stackLimit = __data_end); one it sets to a computed value is refused: only the first
//      processor would have it.
//   3. globals: every mutable global except the per-processor ones (PER_PROCESSOR_GLOBALS) moves to a fixed
//      8-byte slot of a block of linear memory the generated entry reserves (sharedEntrySource); global.get
//      becomes a load, global.set a store of the same type, and weft_init_globals() writes each slot's
//      initial value. The block's address is read back from the optimised module.
//
// Start protocol (the host):
//   1. create the memory: new WebAssembly.Memory({ initial: SHARED_MEMORY_MAXIMUM,
//      maximum: SHARED_MEMORY_MAXIMUM, shared: true }) (host/abi.ts, pages; at its maximum, so that it
//      never grows under running processors: host/mn/run.ts), imported as env.memory;
//   2. the first processor instantiates the module and calls weft_init_memory(), weft_init_globals(),
//      weft_init() — in this order, once for the whole program;
//   3. the other processors instantiate it whenever they like (instantiation touches no memory), but call
//      nothing in it before step 2 has finished.
//
// Access rule for a moved global: it is a plain (non-atomic) load or store, exactly as the global was. A
// global the processors share is guarded by the scheduler lock (assembly/core/processor.ts) or read where a
// stale value is harmless; a word a processor spins or waits on must be an address used through
// assembly/core/atomics.ts, never a top-level variable.
//
// Approaches rejected: moving the globals before Asyncify (its own state must stay per instance, and the
// optimiser keeps globals in registers better than memory); rewriting weft's and the program's source to
// keep their variables in memory (every program would have to be written that way); shared Wasm globals
// (not in any engine weft runs on); rewriting the module's printed text and parsing it back (what this
// build once did: a third of a shared build's time went into printing and parsing the whole module). The
// accesses are replaced in place, in a walk of every function (passes/walk.ts).

import binaryen from "../binaryen.js";
import { BuildError } from "../errors.js";
import { walk, replaceChild, functionBody } from "./walk.js";
import { SHARED_EXPORTS, SHARED_MEMORY_INITIAL, SHARED_MEMORY_MAXIMUM } from "../../abi.js";

/** Bytes of the block the shared globals live in, 8 per global: 8192 holds 1,024 (weft itself has ~40,
 *  a program its top-level variables). A build that needs more fails and says so. Not configurable. */
export const SHARED_GLOBALS_BYTES = 8192;
const SLOT_BYTES = 8;

/** What a shared module exports besides REQUIRED_EXPORTS, and the pages of its memory, are part of the ABI
 *  (host/abi.ts): the first processor calls the SHARED_EXPORTS in their order, once (start protocol). */
export { SHARED_EXPORTS };

/** The compiler options of a shared build: the memory is imported as env.memory and shared, and
 *  WEFT_SHARED_MEMORY is defined, which turns on real atomics and the locks (assembly/core/atomics.ts). */
export const SHARED_ASC_OPTIONS = [
  "--importMemory", "--sharedMemory",
  "--initialMemory", String(SHARED_MEMORY_INITIAL), "--maximumMemory", String(SHARED_MEMORY_MAXIMUM),
  "--use", "WEFT_SHARED_MEMORY=1",
];

const WEFT = "~lib/weft/assembly/";
/** The mutable globals each processor keeps its own of; every other mutable global moves into shared
 *  memory. AssemblyScript's standard library (`~lib/` but not `~lib/weft/`) stays per processor too: its
 *  globals are scratch, e.g. number formatting's. A name the module lacks is simply not there; an
 *  immutable global never moves. */
export const PER_PROCESSOR_GLOBALS: ReadonlyMap<string, string> = new Map([
  ["__asyncify_state", "Asyncify's state: each processor unwinds and rewinds its own thread"],
  ["__asyncify_data", "Asyncify's save area pointer, for the switch in progress on this processor"],
  ["~lib/memory/__stack_pointer", "each processor runs on its own shadow stack"],
  ["~argumentsLength", "the compiler sets it just before an indirect call and the callee reads it at once"],
  [WEFT + "core/scheduler/currentThread", "the thread this processor runs"],
  [WEFT + "core/scheduler/tlsBase", "the TLS block of the thread this processor runs"],
  [WEFT + "core/scheduler/resuming", "a rewind this processor's loop started"],
  [WEFT + "core/inspect/probing", "a backtrace's rewind this processor started"],
  [WEFT + "core/inspect/stepThread", "a debugger's step: the thread this processor runs next, alone"],
  [WEFT + "core/scheduler/unwinding", "an unwind this processor's thread started"],
  [WEFT + "core/savearea/scratch", "this processor's scratch save area"],
  [WEFT + "core/savearea/scratchSize", "the size of that scratch area"],
  [WEFT + "core/scheduler/unwindArea", "where this processor's thread unwinds to: its own save area or the scratch area"],
  [WEFT + "core/scheduler/directUnwind", "the same on every processor: set by the build (a constant once optimised)"],
  [WEFT + "core/idle/wakeAt", "what this processor's loop returned with RUN_WAIT"],
  [WEFT + "core/scheduler/loopSp", "this processor's own stack pointer while its loop runs"],
  [WEFT + "core/scheduler/loopLimit", "this processor's own stack limit while its loop runs"],
  [WEFT + "core/scheduler/ticks", "switches since this processor's loop looked at the clock"],
  [WEFT + "core/scheduler/lastTurn", "when this processor's host last had a turn"],
  [WEFT + "core/scheduler/loopBudget", "switches until this processor's loop returns to its host"],
  [WEFT + "core/scheduler/loopCalls", "calls of this processor's loop, while their budgets still grow"],
  [WEFT + "core/scheduler/hostSliceMs", "N:1's host slice: a shared build's loop never returns RUN_POLL, and never reads it"],
  [WEFT + "core/completion/ioPending", "I/O requests this processor's host holds"],
  [WEFT + "core/completion/ring", "this processor's I/O completion ring (its host writes it)"],
  [WEFT + "core/stack/stackLimit", "the lower bound of the stack this processor runs on"],
  [WEFT + "lib/waiter/freeWaiters", "this processor's pool of free wait-queue nodes, used without a lock"],
  [WEFT + "core/table/cachedSlots", "this processor's list of free thread-table slots, used without a lock"],
  [WEFT + "core/table/cachedCount", "the length of that list"],
  [WEFT + "sys/abi/dying", "the thread whose trap this processor's host is handling"],
  [WEFT + "lib/channel/received", "the value the last receive on this processor produced, read right after it"],
  [WEFT + "core/parked/releaseAfterSwitch", "the channel lock this processor's loop releases once its parked thread is off"],
  [WEFT + "core/processor/processorIndex", "which processor this is"],
  [WEFT + "runtime/heap/cache", "this processor's heap cache, used without the heap's lock"],
  [WEFT + "runtime/gc/listHead", "the list this processor's new objects go on, pushed without a lock"],
  [WEFT + "runtime/gc/allocPending", "bytes of objects this processor allocated since it last reported them"],
  [WEFT + "runtime/gc/allocBudget", "when this processor next reports its allocations (the collector's slow path)"],
  [WEFT + "core/preempt/fuel", "N:1 builds only: the safepoints' countdown to the next tick"],
  [WEFT + "core/preempt/flagAddress", "this processor's request word, which its safepoints read"],
  [WEFT + "core/preempt/fuelGiven", "N:1 builds only: fuel given at the last tick"],
  [WEFT + "core/preempt/fuelRate", "N:1 builds only: how fast this processor spends fuel"],
  [WEFT + "core/preempt/keepTurn", "the thread this processor switches in next goes on with its turn"],
  [WEFT + "core/preempt/handoff", "when this processor last preempted a thread"],
  [WEFT + "core/preempt/runningPriority", "the level of the thread this processor runs"],
  [WEFT + "core/preempt/lastTick", "when this processor last ticked"],
  [WEFT + "core/preempt/turnStart", "when the thread this processor runs began its turn"],
  [WEFT + "core/preempt/turnFresh", "this processor switched since its last tick"],
  [WEFT + "core/preempt/switchedInAt", "when this processor switched its thread in (exact accounting)"],
  [WEFT + "core/scheduler/ticked", "this processor's thread unwound at a safepoint for a tick"],
  [WEFT + "core/handoff/nextThread", "the thread this processor runs next, woken by a thread of its own (its next slot)"],
  [WEFT + "core/handoff/nextEpoch", "this processor's tick count when its next slot was filled"],
  [WEFT + "core/handoff/epoch", "ticks this processor has taken"],
  [WEFT + "core/handoff/goingOn", "the thread that ticked on this processor and goes on"],
  [WEFT + "core/handoff/handedOff", "the thread this processor switches in came from its next slot"],
  [WEFT + "core/trace/traceBase", "this processor's trace buffer (each processor records on its own)"],
  [WEFT + "core/trace/traceAt", "where this processor's next trace record goes"],
  [WEFT + "core/trace/traceHalf", "past this, this processor's loop lets its host take the records"],
  [WEFT + "core/trace/traceEnd", "the end of this processor's trace buffer"],
  [WEFT + "core/trace/sinceClock", "trace records since this processor last read the clock"],
  [WEFT + "core/trace/dropped", "trace records this processor dropped since its host last took them"],
]);

/** scheduler.ts is the processor's loop, savearea.ts its scratch area, inspect.ts its backtraces and steps
 *  and idle.ts what it does with nothing to run: every global of them is per processor but this one. A
 *  global added there must be listed above, or here, or the build refuses it (schedulerGlobalsKnown). */
const SCHEDULER_SHARED = WEFT + "core/scheduler/programEnded";
const PER_PROCESSOR_FILES = ["core/scheduler/", "core/savearea/", "core/inspect/", "core/idle/"];

/** Whether global `name` stays per processor (PER_PROCESSOR_GLOBALS). */
export function isPerProcessor(name: string): boolean {
  return PER_PROCESSOR_GLOBALS.has(name) || (name.startsWith("~lib/") && !name.startsWith("~lib/weft/"));
}

/** A global of those files that is neither listed nor SCHEDULER_SHARED would silently be
 *  shared by every processor; refuse it instead. */
function schedulerGlobalsKnown(mod: binaryen.Module): void {
  for (const g of globalInfos(mod)) {
    const perProcessorFile = PER_PROCESSOR_FILES.some((file) => g.name.startsWith(WEFT + file));
    if (g.mutable && perProcessorFile && g.name !== SCHEDULER_SHARED && !isPerProcessor(g.name)) {
      throw new BuildError(`weft build --shared: ${g.name} is neither per processor nor shared in host/compiler/passes/shared.ts (PER_PROCESSOR_GLOBALS)`);
    }
  }
}

/** What a shared build adds to the generated entry: the block the shared globals move to. */
export function sharedEntrySource(): string {
  return [
    `export function ${GLOBALS_BLOCK}(): usize { return memory.data(${SHARED_GLOBALS_BYTES}, 16); }`,
    ``,
  ].join("\n");
}
const GLOBALS_BLOCK = "weft_shared_globals";

/** What the host needs to know of a shared module. */
export interface SharedLayout {
  /** The memory to create: new WebAssembly.Memory({ initial, maximum, shared: true }) (pages). */
  initialPages: number;
  maximumPages: number;
  /** Where the shared globals' block starts, and each moved global's address. */
  globalsBase: number;
  globals: Record<string, number>;
}

/** Binaryen's data segment calls (in binaryen.js, missing from its index.d.ts). */
interface DataSegments {
  getNumDataSegments(): number;
  getDataSegmentByIndex(index: number): number;
  getDataSegmentInfo(segment: number): { name: string; offset: number | null; data: ArrayBuffer; passive: boolean };
}

interface MovedGlobal { name: string; type: binaryen.Type; init: binaryen.ExpressionRef; address: number }

/** Steps 1-3 of the design note, on an optimised module, in place; where `optimize`, the functions whose
 *  globals became loads and stores are optimised again (their loads of one slot may share a local). Not
 *  the whole module: 88 of skynet's 228 functions change, and optimising only those took 220 ms against
 *  380 for the whole module, for code that differs only in the numbering of a few locals. Returns what the
 *  host needs to know. */
export function shareModule(mod: binaryen.Module, optimize: boolean): SharedLayout {
  schedulerGlobalsKnown(mod);
  const base = globalsBlock(mod);
  const moved = globalsToMove(mod, base);
  detachStart(mod);
  const memory = passiveData(mod);
  initGlobals(mod, moved);
  const changed = moveGlobals(mod, moved);
  if (optimize) for (const func of changed) mod.optimizeFunction(func);
  const globals: Record<string, number> = {};
  for (const g of moved) globals[g.name] = g.address;
  return { initialPages: memory.initial, maximumPages: memory.max ?? memory.initial, globalsBase: base, globals };
}

/** The address of the block the entry reserved; its function and export then go. */
function globalsBlock(mod: binaryen.Module): number {
  const ref = mod.getExport(GLOBALS_BLOCK);
  if (!ref) throw new BuildError(`weft build --shared: the entry lost its ${GLOBALS_BLOCK} export`);
  const func = binaryen.getExportInfo(ref).value;
  let body = binaryen.getFunctionInfo(mod.getFunction(func)).body;
  // Unoptimised, the constant may sit inside a block or a return.
  for (let info = binaryen.getExpressionInfo(body); info.id !== binaryen.ConstId; info = binaryen.getExpressionInfo(body)) {
    if (info.id === binaryen.BlockId && (info as binaryen.BlockInfo).children.length === 1) body = (info as binaryen.BlockInfo).children[0];
    else if (info.id === binaryen.ReturnId && (info as binaryen.ReturnInfo).value) body = (info as binaryen.ReturnInfo).value;
    else throw new BuildError(`weft build --shared: ${GLOBALS_BLOCK} does not return a constant address`);
  }
  const address = (binaryen.getExpressionInfo(body) as binaryen.ConstInfo).value as number;
  mod.removeExport(GLOBALS_BLOCK);
  mod.removeFunction(func);
  return address;
}

/** Every mutable global defined here that is not per processor, with its slot. */
function globalsToMove(mod: binaryen.Module, base: number): MovedGlobal[] {
  const exported = new Set<string>();
  for (let i = 0, n = mod.getNumExports(); i < n; i++) {
    const e = binaryen.getExportInfo(mod.getExportByIndex(i));
    if (e.kind === binaryen.ExternalGlobal) exported.add(e.value);
  }
  const moved: MovedGlobal[] = [];
  for (const g of globalInfos(mod)) {
    if (!g.mutable || g.module || isPerProcessor(g.name)) continue;
    if (![binaryen.i32, binaryen.i64, binaryen.f32, binaryen.f64].includes(g.type)) {
      throw new BuildError(`weft build --shared: global ${g.name} has a type that cannot move into memory (only i32, i64, f32, f64)`);
    }
    if (exported.has(g.name)) throw new BuildError(`weft build --shared: global ${g.name} is exported, so it cannot be shared by the processors`);
    moved.push({ name: g.name, type: g.type, init: g.init, address: base + moved.length * SLOT_BYTES });
  }
  if (moved.length * SLOT_BYTES > SHARED_GLOBALS_BYTES) {
    throw new BuildError(`weft build --shared: ${moved.length} shared globals do not fit in SHARED_GLOBALS_BYTES (${SHARED_GLOBALS_BYTES / SLOT_BYTES} at most, host/compiler/passes/shared.ts)`);
  }
  return moved;
}

/** Step 2: the start function becomes the export weft_init. */
function detachStart(mod: binaryen.Module): void {
  const start = mod.getStart();
  if (!start) {
    mod.addFunction(SHARED_EXPORTS[2], binaryen.none, binaryen.none, [], mod.nop());
    mod.addFunctionExport(SHARED_EXPORTS[2], SHARED_EXPORTS[2]);
    return;
  }
  const info = binaryen.getFunctionInfo(start);
  keepConstantInits(mod, info.body, info.name);
  mod.setStart(0 as binaryen.FunctionRef);
  mod.addFunctionExport(info.name, SHARED_EXPORTS[2]);
}

/** A global of weft's that stays per processor and that the start function sets must have that value on
 *  every processor: one constant set at the top level of the start function becomes the global's initial
 *  value (the set stays: same value); any other set is refused. The compiler's and the standard library's
 *  per-processor globals are scratch (the stack pointer, number formatting inlined into the start
 *  function): their values there do not outlive it. */
function keepConstantInits(mod: binaryen.Module, body: binaryen.ExpressionRef, start: string): void {
  const top = binaryen.getExpressionInfo(body);
  const statements = top.id === binaryen.BlockId ? (top as binaryen.BlockInfo).children : [body];
  const constants = new Map<string, binaryen.ExpressionRef>();
  for (const s of statements) {
    const set = binaryen.getExpressionInfo(s);
    if (set.id !== binaryen.GlobalSetId) continue;
    const { name, value } = set as binaryen.GlobalSetInfo;
    if (binaryen.getExpressionId(value) === binaryen.ConstId) constants.set(name, value);
  }
  const setsOf = new Map<string, number>();
  walk(body, (e) => {
    if (binaryen.getExpressionId(e) !== binaryen.GlobalSetId) return;
    const name = globalAccess.GlobalSet.getName(e);
    setsOf.set(name, (setsOf.get(name) ?? 0) + 1);
  });
  const weftPerProcessor = globalInfos(mod).filter((g) => g.mutable && g.name.startsWith(WEFT) && isPerProcessor(g.name));
  for (const g of weftPerProcessor) {
    const sets = setsOf.get(g.name) ?? 0;
    if (sets === 0) continue;
    const value = constants.get(g.name);
    if (sets > 1 || value === undefined) {
      throw new BuildError(`weft build --shared: the top-level code (${start}) sets the per-processor global ${g.name} to a computed value, which only the first processor would see; give it a constant initial value`);
    }
    mod.removeGlobal(g.name);
    mod.addGlobal(g.name, g.type, true, mod.copyExpression(value));
  }
}

function globalInfos(mod: binaryen.Module): binaryen.GlobalInfo[] {
  const infos: binaryen.GlobalInfo[] = [];
  for (let i = 0, n = mod.getNumGlobals(); i < n; i++) infos.push(binaryen.getGlobalInfo(mod.getGlobalByIndex(i)));
  return infos;
}

/** Step 1: every active segment becomes passive; weft_init_memory applies them once. A new memory is all
 *  zeros (start protocol, step 1), so only the runs of non-zero bytes are kept: the blocks weft reserves
 *  with memory.data are zeros and would otherwise double the module's size. */
function passiveData(mod: binaryen.Module): binaryen.MemoryInfo {
  const data = mod as unknown as DataSegments;
  const memoryName = binaryen.getExportInfo(mod.getExport("memory")).value;
  const memory = mod.getMemoryInfo(memoryName);
  if (memory.module !== "env" || memory.base !== "memory" || !memory.shared) {
    throw new BuildError("weft build --shared: the compiler did not import a shared env.memory");
  }
  const kept: binaryen.MemorySegment[] = [];              // passive already: left as they are
  const applied: { name: string; offset: number; data: Uint8Array }[] = [];
  for (let i = 0, n = data.getNumDataSegments(); i < n; i++) {
    const s = data.getDataSegmentInfo(data.getDataSegmentByIndex(i));
    const bytes = new Uint8Array(s.data);
    if (s.passive) { kept.push({ name: s.name, data: bytes, offset: 0, passive: true } as binaryen.MemorySegment); continue; }
    nonZeroRuns(bytes).forEach(([from, to], k) => {
      applied.push({ name: k ? `${s.name}:${k}` : s.name, offset: s.offset! + from, data: bytes.subarray(from, to) });
    });
  }
  const segments = [...kept, ...applied.map((s) => ({ name: s.name, data: s.data, offset: 0, passive: true }) as binaryen.MemorySegment)];
  mod.setMemory(memory.initial, memory.max ?? memory.initial, null, segments, true, false, memoryName);
  mod.addMemoryImport(memoryName, "env", "memory", true);             // setMemory made it a definition
  const apply = applied.flatMap((s) => [
    mod.memory.init(s.name, mod.i32.const(s.offset), mod.i32.const(0), mod.i32.const(s.data.length), memoryName),
    mod.data.drop(s.name),
  ]);
  mod.addFunction(SHARED_EXPORTS[0], binaryen.none, binaryen.none, [], mod.block(null, apply, binaryen.none));
  mod.addFunctionExport(SHARED_EXPORTS[0], SHARED_EXPORTS[0]);
  return memory;
}

/** A run of at least this many zero bytes splits a segment (bytes): a segment of its own and its
 *  memory.init and data.drop cost about as much. */
const ZERO_RUN = 32;

/** [from, to) of each stretch of `bytes` that is not a run of ZERO_RUN zeros or more. */
function nonZeroRuns(bytes: Uint8Array): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1, zeros = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] === 0) { zeros++; continue; }
    if (start >= 0 && (zeros >= ZERO_RUN || i === bytes.length)) { runs.push([start, i - zeros]); start = -1; }
    if (i < bytes.length && start < 0) start = i;
    zeros = 0;
  }
  return runs;
}

const ACCESS: Record<number, string> = { [binaryen.i32]: "i32", [binaryen.i64]: "i64", [binaryen.f32]: "f32", [binaryen.f64]: "f64" };

/** weft_init_globals: each moved global's initial value into its slot. */
function initGlobals(mod: binaryen.Module, moved: MovedGlobal[]): void {
  const stores = moved.map((g) => {
    const ops = mod[ACCESS[g.type] as "i32"] as unknown as { store(o: number, a: number, p: number, v: number): number };
    return ops.store(0, 0, mod.i32.const(g.address), mod.copyExpression(g.init));
  });
  mod.addFunction(SHARED_EXPORTS[1], binaryen.none, binaryen.none, [], mod.block(null, stores, binaryen.none));
  mod.addFunctionExport(SHARED_EXPORTS[1], SHARED_EXPORTS[1]);
}

/** binaryen.js's global access accessors (missing from its index.d.ts). */
const globalAccess = binaryen as unknown as {
  GlobalGet: { getName(e: number): string };
  GlobalSet: { getName(e: number): string; getValue(e: number): number };
};

/** Step 3: in every function, each access to a moved global becomes a load or a store of the same type
 *  at the global's slot; then the globals go. Nothing else can name them: a global's initial value may
 *  only read an immutable one. A reference the walk missed would leave the module invalid, and the
 *  pipeline validates what it emits. Returns the functions it changed. */
function moveGlobals(mod: binaryen.Module, moved: MovedGlobal[]): Set<binaryen.FunctionRef> {
  const changed = new Set<binaryen.FunctionRef>();
  if (moved.length === 0) return changed;
  const byName = new Map(moved.map((g) => [g.name, g]));
  const ops = (g: MovedGlobal) => mod[ACCESS[g.type] as "i32"] as unknown as {
    load(offset: number, align: number, ptr: number): number;
    store(offset: number, align: number, ptr: number, value: number): number;
  };
  const replacement = (expr: number): number => {
    const id = binaryen.getExpressionId(expr);
    if (id === binaryen.GlobalGetId) {
      const g = byName.get(globalAccess.GlobalGet.getName(expr));
      if (g) return ops(g).load(0, 0, mod.i32.const(g.address));
    } else if (id === binaryen.GlobalSetId) {
      const g = byName.get(globalAccess.GlobalSet.getName(expr));
      if (g) return ops(g).store(0, 0, mod.i32.const(g.address), globalAccess.GlobalSet.getValue(expr));
    }
    return 0;
  };
  for (let i = 0, n = mod.getNumFunctions(); i < n; i++) {
    const func = mod.getFunctionByIndex(i);
    const body = functionBody.get(func);
    if (!body) continue;                                        // an import
    walk(body, (expr, parent, slot) => {
      const by = replacement(expr);
      if (!by) return;
      changed.add(func);
      if (slot) replaceChild(parent, slot, by);
      else functionBody.set(func, by);
      return by;                                               // a store's value may read another
    });
  }
  for (const g of moved) mod.removeGlobal(g.name);
  return changed;
}
