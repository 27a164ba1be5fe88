// The host half of weft's ABI. assembly/sys/abi.ts and assembly/core/layout.ts are the core half; the exported
// weft_layout() reports the core's offsets and tests/abi.test.ts checks that both halves agree.

/** Version of the core/host contract; a module reporting another version is refused. */
export const ABI_VERSION = 19;

/** Module name of the host functions the core imports. */
export const IMPORT_MODULE = "weft";

/** Host functions the core imports from IMPORT_MODULE (assembly/core/host.ts). */
export const HOST_IMPORTS = ["now", "wall", "write", "died", "io_submit", "processor_start", "frames"] as const;

/** The WASI flavour (`weft build --target wasi`, assembly/sys/wasi.ts): its module imports only from
 *  WASI_MODULE, a subset of WASI_IMPORTS, and exports `_start` (and `memory`) for any WASI runtime. */
export const WASI_MODULE = "wasi_snapshot_preview1";
export const WASI_IMPORTS = [
  "fd_write", "fd_read", "fd_pread", "fd_pwrite", "fd_close", "fd_readdir", "fd_prestat_get", "fd_prestat_dir_name",
  "path_open", "path_filestat_get", "path_unlink_file", "path_create_directory", "clock_time_get", "poll_oneoff",
  "random_get", "proc_exit",
] as const;

/** Host functions (assembly/sys/call.ts): the custom section in which a module lists the functions it
 *  calls through IO_OP_CALL, by index, as JSON HostCall[]; and the most arguments one takes. */
export const CALLS_SECTION = "weft.calls";
export const CALL_ARGS_MAX = 16;
export type ValueType = "i32" | "i64" | "f32" | "f64";
/** One host function: where the program imports it from, and its Wasm type. */
export interface HostCall { module: string; name: string; params: ValueType[]; results: ValueType[] }

/** The custom section in which a build with source lines (`weft build --lines`) lists each rebuilt
 *  function's frames and its locals' names, as JSON Record<function, FrameLayout>
 *  (host/compiler/passes/resumable.ts): what a debugger reads a parked thread's locals with. */
export const LOCALS_SECTION = "weft.locals";
/** One function's frames (LOCALS_SECTION): its locals' names (null: none kept, or one the build made) and
 *  types ("i32", "i64", "f32", "f64"), and per call site (the number in a frame's last 4 bytes) which
 *  locals the frame holds, at which offsets, and its size in bytes. */
export interface FrameLayout {
  names: (string | null)[];
  types: string[];
  sites: Record<number, { locals: number[]; offsets: number[]; size: number }>;
}

/** The custom section listing the functions JavaScript may call in an instance (host/serve.ts),
 *  written by host/compiler/passes/exports.ts: JSON { callable: CallableExport[], skipped: SkippedExport[] }. */
export const EXPORTS_SECTION = "weft.exports";
/** How a call's value crosses, by its AssemblyScript type (host/compiler/passes/exports.ts). */
export type CallKind = "i32" | "u32" | "bool" | "i64" | "f32" | "f64" | "string" | "bytes" | "buffer";
/** A function JavaScript may call: its parameters and result (null: void) with their AssemblyScript types. */
export interface CallableExport {
  name: string;
  params: { name: string; type: string; kind: CallKind }[];
  result: { type: string; kind: CallKind } | null;
}
/** An exported function a call cannot reach, and why. */
export interface SkippedExport { name: string; why: string }

/** Exports the host needs from a weft module. */
export const REQUIRED_EXPORTS = [
  "memory", "weft_abi_version", "weft_start", "weft_run", "weft_wake_at", "weft_trap_begin", "weft_trap_end",
  "weft_main_error",
  "weft_new_string", "weft_thread_at", "weft_thread_slots", "weft_current", "weft_main_value",
  "weft_live_threads", "weft_heap_allocated", "weft_heap_top", "weft_configure", "weft_save_area_max",
  "weft_layout", "weft_io_ring", "weft_io_pending", "weft_io_layout", "weft_processors_init", "weft_processor_enter",
  "weft_processor_idle",
  "weft_preempt_configure", "weft_host_slice", "weft_preempt_slice", "weft_preempt_tick", "weft_preempt_requests", "weft_groups",
  "weft_group_weight", "weft_group_cpu", "weft_gc_configure", "weft_gc_stats", "weft_gc_layout",
  "weft_signal", "weft_signal_word", "weft_signal_source", "weft_terminated_by", "weft_fork_child", "weft_fork_stop", "weft_fork_go",
  "weft_owner_fate",
  "weft_deadlock_policy", "weft_partial_deadlock", "weft_seed", "weft_seed_steps",
  "weft_serve", "weft_trace_start", "weft_trace_take", "weft_backtrace", "weft_step", "weft_waits_for",
  "asyncify_get_state", "asyncify_stop_unwind", "asyncify_stop_rewind",
] as const;

/** What a shared module (M:N, `weft build --shared`) exports besides REQUIRED_EXPORTS (memory excepted:
 *  it imports env.memory), and the shared memory's size in 64 KiB pages. */
export const SHARED_EXPORTS = ["weft_init_memory", "weft_init_globals", "weft_init"] as const;
export const SHARED_MEMORY_INITIAL = 64, SHARED_MEMORY_MAXIMUM = 32768;

export const GC_STATS_FIELDS = ["collections", "percent", "pauseTotal", "pauseLast", "pauseMax", "liveBytes", "heapBytes",
  "freedTotal", "allocated", "trigger", "markLast", "sweepLast", "pauses", "phase"] as const;
/** The collection statistics at weft_gc_stats() (assembly/core/gc.ts, GcStats): byte offsets. */
export const GC_STATS = {
  collections: 0, percent: 4, pauseTotal: 8, pauseLast: 16, pauseMax: 24, liveBytes: 32, heapBytes: 36,
  freedTotal: 40, allocated: 48, trigger: 52, markLast: 56, sweepLast: 64, pauses: 72, phase: 76, size: 80,
} as const;

/** weft_processor_idle(field, i)'s fields: the addresses an I/O host on another kernel thread needs to wake
 *  processor i (assembly/core/processor.ts, "I/O completions"). */
export const IDLE_WORD = 0, IDLE_ASLEEP = 1, IDLE_COUNT = 2, IDLE_TURN = 3;

/** What weft_run returns. */
export const RUN_EXITED = 0, RUN_WAIT = 1, RUN_DEADLOCK = 2, RUN_AGAIN = 3, RUN_POLL = 4, RUN_RETIRED = 5;

/** Thread record fields, in weft_layout()'s order, with their byte offsets (assembly/core/layout.ts). */
export const THREAD = {
  id: 0, state: 4, priority: 8, flags: 12, saveArea: 24, stackBase: 28, stackTop: 32, exitValue: 56,
  waitKind: 60, waitAddr: 64, deadline: 72, name: 84, error: 88, switches: 96, saveBytes: 104, tls: 44,
  joiner: 100, io: 108, onCpu: 112, pinned: 116, cpu: 120, stats: 128, group: 132, weight: 136, basePriority: 140,
  signals: 144, sigWake: 148, size: 160,
} as const;
export const THREAD_FIELDS = Object.keys(THREAD) as (keyof typeof THREAD)[];

/** Exact accounting block (assembly/core/preempt.ts), at the address in a record's `stats` field (0 until
 *  exact accounting is on and the thread was first switched in):
 *  ╒═══ exact block (32 bytes) ═══╕
 *    0 │ cpu       f64  ms on a processor
 *    8 │ runnable  f64  ms waiting to run
 *   16 │ blocked   f64  ms blocked or asleep
 *   24 │ since     f64  when its current state began (the core's own)
 *  ╘══════════════════════════════╛ */
export const STATS_CPU = 0, STATS_RUNNABLE = 8, STATS_BLOCKED = 16;

/** Most processors a shared run may have (assembly/core/processor.ts): arrays indexed by processor have as many
 *  entries. */
export const PROCESSORS_MAX = 1024;

/** The tick words of a shared build, at weft_preempt_requests() (assembly/core/preempt.ts, TICKS); the host's
 *  ticker writes them (host/mn/ticker.ts):
 *  ╒═══ tick words (16 + 8 × PROCESSORS_MAX bytes) ═══╕
 *     0 │ raised   i32  how many request words are 1; every safepoint loads it, and only when it is not 0
 *       │               looks at its processor's request word
 *     4 │ asleep   i32  1 while the ticker sleeps, no processor running a thread (host/mn/ticker.ts,
 *       │               "Sleeping"); a processor that starts running after it was idle sets it to 0 and
 *       │               notifies it
 *    16 │ busy     i32 × PROCESSORS_MAX  1 while processor i runs a thread (its loop writes it)
 *  4112 │ request  i32 × PROCESSORS_MAX  1: processor i has a tick due (the ticker sets it, the processor
 *       │               clears it and takes 1 from `raised`)
 *  ╘═════════════════════════════════════════════════╛ */
export const TICK_WORDS = { raised: 0, asleep: 4, busy: 16, request: 16 + 4 * PROCESSORS_MAX } as const;

/** N:1: how often (ms of running) weft_run gives the host's event loop a turn while threads keep running
 *  (assembly/core/scheduler.ts, HOST_SLICE_MS_DEFAULT). */
export const HOST_SLICE_MS_DEFAULT = 8;

/** Ranges weft_preempt_configure accepts (ms): a time slice in (0, SLICE_MS_MAX], a tick in
 *  (0, TICK_MS_MAX] (0 there keeps the value in force; the host's options take positive values only). */
export const SLICE_MS_MAX = 60_000, TICK_MS_MAX = 1_000;


/** Thread states (assembly/core/layout.ts). */
export const STATE_NAMES = ["free", "runnable", "running", "blocked", "sleeping", "exited", "trapped"] as const;
export const STATE_EXITED = 5, STATE_TRAPPED = 6;

/** Thread flags. */
export const FLAG_DETACHED = 1, FLAG_MAIN = 2;

/** What a blocked thread waits on (assembly/core/futex.ts, WAIT_*). */
export const WAIT_KINDS = [
  "futex", "mutex", "cond", "rwlock", "semaphore", "barrier", "once", "waitgroup", "channel send",
  "channel receive", "select", "join", "sleep", "io", "sigwait", "rwlock write",
] as const;

/** The timeline trace's records (assembly/core/trace.ts): 16 bytes each, their kinds and a STOP's reasons. */
export const TRACE = {
  record: 16,
  CLOCK: 1, RUN: 2, STOP: 3, WAKE: 4, SPAWN: 5, GC: 6, IO: 7, LOST: 8, NAME: 9,
} as const;
/** TRACE.STOP's reason byte, by value (index 0 unused). */
export const TRACE_STOP_REASONS = ["", "yielded", "preempted", "blocked", "sleeping", "exited", "trapped", "handler returned"] as const;

/** Asyncify's states (asyncify_get_state). */
export const ASYNCIFY_NORMAL = 0, ASYNCIFY_UNWINDING = 1, ASYNCIFY_REWINDING = 2;
