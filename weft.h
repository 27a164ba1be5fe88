/* weft.h: the weft kernel ABI for a host written in C.
 *
 * The same contract as ABI.md (its reference, with the protocols this header only names) and
 * host/abi.ts, host/io/abi.ts (the host's half in TypeScript): the version, the constants a host needs,
 * the records a host reads or writes in the module's linear memory, and the functions on both sides.
 * tests/abi-doc.test.ts compiles this header and checks every number in it against host/abi.ts.
 *
 * Records. Each struct overlays a record in linear memory, laid out for wasm32: an address is a
 * uint32_t (an offset into linear memory, never a C pointer), i32 is int32_t, u32 is uint32_t, f64 is
 * double. Every field sits at its natural alignment, so no struct has padding; _Static_assert pins each
 * offset the host's half names. Linear memory is little-endian: a host on a little-endian machine may
 * cast `memory_base + address` to a struct pointer (every record is at least 16-byte aligned); elsewhere
 * it reads each field with its runtime's little-endian loads. Fields in brackets in ABI.md (marked
 * "core's own" here) are named only to keep the layout whole: a host does not use them.
 *
 * Shared builds. A word the host and a running processor both use (a request's `result`, the ring's
 * `head` and `tail`, the processor idle words, the tick words) is accessed with 32-bit sequentially
 * consistent atomics (C11 <stdatomic.h> on the address, or the runtime's atomic loads and stores);
 * everything else is read once every processor's loop has ended.
 *
 * Names. An export keeps its Wasm name, with weft_ put in front where it lacks it
 * (asyncify_get_state is weft_asyncify_get_state); an import is weft_ and its name, whatever its module
 * (weft.now is weft_now, env.abort is weft_abort). The prototypes below are what a host implements
 * (imports) and what it calls (exports); with a module turned into C these are one-line glue.
 *
 * C11: the header uses _Static_assert and a flexible array member (weft_ring.entries).
 *
 * wasm2c. wasm2c names things differently, and passes instances explicitly. For a module compiled with
 * `wasm2c app.wasm -n app -o app.c` (module id `app`; an underscore in a module id or an import's
 * module name is doubled there, e.g. my_app gives w2c_my__app):
 *   - the instance type is w2c_app, made by wasm2c_app_instantiate(&app, ...) with one pointer per
 *     imported module (struct w2c_env *, struct w2c_weft *: structs the host defines), freed by
 *     wasm2c_app_free(&app);
 *   - an export E is w2c_app_E(w2c_app *, ...): weft_run() is w2c_app_weft_run(&app), and
 *     weft_asyncify_get_state() is w2c_app_asyncify_get_state(&app); the memory export is
 *     wasm_rt_memory_t *w2c_app_memory(w2c_app *), whose ->data is the memory's base;
 *   - an import M.N is a function the host defines as w2c_M_N(struct w2c_M *, ...): weft_now() is
 *     `f64 w2c_weft_now(struct w2c_weft *)`, weft_io_submit() is `u32 w2c_weft_io_submit(struct
 *     w2c_weft *, u32)`, weft_abort() is `void w2c_env_abort(struct w2c_env *, u32, u32, u32, u32)`; a
 *     shared build's env.memory is w2c_env_memory(struct w2c_env *), defined by the host (wasm2c's
 *     threads support gives it a shared memory type);
 *   - wasm2c types every i32 as u32 (signedness is the reader's) and f64 as f64 (double).
 * A trap unwinds to the runtime's catch point (wasm-rt-impl.h: wasm_rt_impl_try, a setjmp): the host
 * calls weft_run under one and follows ABI.md's "Traps" when it fires. weft_abort must not return to
 * the module: it ends in wasm_rt_trap(...), which unwinds the same way.
 */
#ifndef WEFT_H
#define WEFT_H

#include <stddef.h>
#include <stdint.h>

/* ── Version ───────────────────────────────────────────────────────────────────────────────────── */

/** The contract this header states. A host calls weft_abi_version() before any other export and
 *  refuses a module that reports another number ("weft ABI mismatch: the module speaks version V, this
 *  host N; rebuild it"). */
#define WEFT_ABI_VERSION 19

/** Module name of the host functions (weft.now, weft.write, ...). AssemblyScript's abort and a shared
 *  build's memory come from module "env". */
#define WEFT_IMPORT_MODULE "weft"

/* ── weft_run's codes ──────────────────────────────────────────────────────────────────────────── */

#define WEFT_RUN_EXITED 0    /* the program ended: read weft_main_value() / weft_main_error() */
#define WEFT_RUN_WAIT 1      /* N:1: every thread waits; sleep until weft_wake_at() or an I/O completion */
#define WEFT_RUN_DEADLOCK 2  /* nothing can ever run again: read the thread table, report, stop */
#define WEFT_RUN_AGAIN 3     /* call weft_run again at once */
#define WEFT_RUN_POLL 4      /* N:1: let the host's event loop run once, then call again */
#define WEFT_RUN_RETIRED 5   /* 1:1: this processor's thread finished; end this processor */

/* ── Shared builds ─────────────────────────────────────────────────────────────────────────────── */

/** env.memory, in 64 KiB pages: the module's minimum and maximum. The host makes it at the maximum
 *  (initial = maximum) so that it never grows while processors run. */
#define WEFT_PAGE_BYTES 65536
#define WEFT_SHARED_MEMORY_INITIAL 64
#define WEFT_SHARED_MEMORY_MAXIMUM 32768

/** Most processors a shared run may have (weft_processors_init's count, processor indexes). */
#define WEFT_PROCESSORS_MAX 1024

/** weft_processor_idle's fields. */
#define WEFT_IDLE_WORD 0     /* processor i's wake word: add 1 and notify to wake it */
#define WEFT_IDLE_ASLEEP 1   /* 1 while processor i is marked asleep: exchange it to 0 to take the wake-up */
#define WEFT_IDLE_COUNT 2    /* processors marked asleep: subtract 1 when you took a wake-up */
#define WEFT_IDLE_TURN 3     /* store 1, then wake processor i: its loop returns to its host soon */

/** weft_preempt_configure's ranges (ms); 0 keeps the value in force. */
#define WEFT_SLICE_MS_MAX 60000
#define WEFT_TICK_MS_MAX 1000

/* ── Threads ───────────────────────────────────────────────────────────────────────────────────── */

/** weft_thread.state. */
#define WEFT_STATE_FREE 0
#define WEFT_STATE_RUNNABLE 1
#define WEFT_STATE_RUNNING 2
#define WEFT_STATE_BLOCKED 3
#define WEFT_STATE_SLEEPING 4
#define WEFT_STATE_EXITED 5   /* finished; a zombie until joined */
#define WEFT_STATE_TRAPPED 6  /* died; `error` says why */

/** weft_thread.flags bits a host may read (the others are the core's). */
#define WEFT_FLAG_DETACHED 1u
#define WEFT_FLAG_MAIN 2u

/** weft_thread.waitKind while BLOCKED. waitAddr is the futex word; for JOIN the joined thread's
 *  `state` field (its record is at waitAddr - 4); for IO the request. */
#define WEFT_WAIT_FUTEX 0
#define WEFT_WAIT_MUTEX 1
#define WEFT_WAIT_COND 2
#define WEFT_WAIT_RWLOCK 3
#define WEFT_WAIT_SEMAPHORE 4
#define WEFT_WAIT_BARRIER 5
#define WEFT_WAIT_ONCE 6
#define WEFT_WAIT_WAITGROUP 7
#define WEFT_WAIT_CHANNEL_SEND 8
#define WEFT_WAIT_CHANNEL_RECEIVE 9
#define WEFT_WAIT_SELECT 10
#define WEFT_WAIT_JOIN 11
#define WEFT_WAIT_SLEEP 12
#define WEFT_WAIT_IO 13
#define WEFT_WAIT_SIGWAIT 14
#define WEFT_WAIT_RWLOCK_WRITE 15

/** weft_asyncify_get_state(). */
#define WEFT_ASYNCIFY_NORMAL 0
#define WEFT_ASYNCIFY_UNWINDING 1
#define WEFT_ASYNCIFY_REWINDING 2

/* ── I/O ───────────────────────────────────────────────────────────────────────────────────────── */

/** What weft_io_submit returns. */
#define WEFT_SUBMIT_DONE 0     /* `result` is written; the thread goes on */
#define WEFT_SUBMIT_PENDING 1  /* the thread parks; complete it later through the ring */

/** weft_io_request.status (the core writes it; the host only reads it). */
#define WEFT_IO_IDLE 0u
#define WEFT_IO_PENDING 1u     /* the host holds the request */
#define WEFT_IO_DONE 2u

/** weft_io_request.mode. */
#define WEFT_MODE_DEFAULT 0u   /* the run's own mode */
#define WEFT_MODE_ASYNC 1u
#define WEFT_MODE_BLOCKING 2u
#define WEFT_MODE_OFFLOAD 3u

/** weft_io_request.op; ABI.md's table says which fields each one uses. */
#define WEFT_OP_OPEN 1u
#define WEFT_OP_CLOSE 2u
#define WEFT_OP_READ 3u
#define WEFT_OP_WRITE 4u
#define WEFT_OP_STAT 5u
#define WEFT_OP_READDIR 6u
#define WEFT_OP_UNLINK 7u
#define WEFT_OP_LISTEN 8u
#define WEFT_OP_ACCEPT 9u
#define WEFT_OP_CONNECT 10u
#define WEFT_OP_SHUTDOWN 11u
#define WEFT_OP_DELAY 12u
#define WEFT_OP_ADDRESS 13u
#define WEFT_OP_MKDIR 14u
#define WEFT_OP_CALL 15u
#define WEFT_OP_CALL_TEXT 16u
#define WEFT_OP_FORK 17u
#define WEFT_OP_WAITPID 18u
#define WEFT_OP_PIPE 19u
#define WEFT_OP_KILL 20u
#define WEFT_OP_ARGS 21u
#define WEFT_OP_SPAWN 22u
#define WEFT_OP_EXEC 23u
#define WEFT_OP_DUMP 24u
#define WEFT_OP_RETURN 25u
#define WEFT_OP_CALL_NEXT 26u
#define WEFT_OP_CALL_FILL 27u
#define WEFT_OP_BREAK 28u
#define WEFT_OP_CANCEL 29u

/** weft_io_request.flags on WEFT_OP_WRITE: ptr/len is UTF-16 text (len in code units), written as UTF-8. */
#define WEFT_IO_FLAG_UTF16 0x80000000u

/** weft_io_request.flags on WEFT_OP_OPEN. */
#define WEFT_O_READ 1u
#define WEFT_O_WRITE 2u
#define WEFT_O_CREATE 4u
#define WEFT_O_TRUNCATE 8u
#define WEFT_O_APPEND 16u
#define WEFT_O_EXCLUSIVE 32u

/** weft_io_request.flags on WEFT_OP_SHUTDOWN. */
#define WEFT_SHUT_RD 0u
#define WEFT_SHUT_WR 1u
#define WEFT_SHUT_RDWR 2u

/** weft_stat.kind. */
#define WEFT_KIND_FILE 1
#define WEFT_KIND_DIR 2
#define WEFT_KIND_SYMLINK 3
#define WEFT_KIND_OTHER 4

/** Error numbers (Linux's). A result < 0 is one of these, negated. WEFT_ESRCH: a thread id that names no
 *  live thread (the core), or a process id that names no process (kill). */
#define WEFT_EPERM 1
#define WEFT_ENOENT 2
#define WEFT_ESRCH 3
#define WEFT_EINTR 4
#define WEFT_EIO 5
#define WEFT_ENOEXEC 8
#define WEFT_EBADF 9
#define WEFT_ECHILD 10
#define WEFT_EAGAIN 11
#define WEFT_ENOMEM 12
#define WEFT_EACCES 13
#define WEFT_EBUSY 16
#define WEFT_EEXIST 17
#define WEFT_ENOTDIR 20
#define WEFT_EISDIR 21
#define WEFT_EINVAL 22
#define WEFT_EMFILE 24
#define WEFT_ENOSPC 28
#define WEFT_EPIPE 32
#define WEFT_ERANGE 34
#define WEFT_EDEADLK 35
#define WEFT_ENAMETOOLONG 36
#define WEFT_ENOSYS 38
#define WEFT_ENOTEMPTY 39
#define WEFT_ENOTSUP 95
#define WEFT_EADDRINUSE 98
#define WEFT_EADDRNOTAVAIL 99
#define WEFT_ENETUNREACH 101
#define WEFT_ECONNABORTED 103
#define WEFT_ECONNRESET 104
#define WEFT_ENOTCONN 107
#define WEFT_ETIMEDOUT 110
#define WEFT_ECONNREFUSED 111
#define WEFT_EHOSTUNREACH 113
#define WEFT_ECANCELED 125

/* ── Records ───────────────────────────────────────────────────────────────────────────────────── */

_Static_assert(sizeof(double) == 8 && sizeof(uint32_t) == 4, "weft.h: wasm32 needs an 8-byte double");

/** Thread record, 160 bytes (assembly/core/layout.ts; host/abi.ts THREAD). The host only reads it. */
typedef struct weft_thread {
  int32_t id;              /*   0  slot | generation << 22; never 0 */
  int32_t state;           /*   4  WEFT_STATE_* */
  int32_t priority;        /*   8  0 (lowest) .. 7 (highest); aging raises it for a while */
  uint32_t flags;          /*  12  WEFT_FLAG_* (and bits of the core's own) */
  uint32_t next;           /*  16  core's own: run-queue / wait-queue link */
  uint32_t prev;           /*  20  core's own: wait-queue link */
  uint32_t saveArea;       /*  24  its save area while suspended, else 0 */
  uint32_t stackBase;      /*  28  lowest byte of its shadow stack (0: none yet) */
  uint32_t stackTop;       /*  32  one past the stack's highest byte */
  uint32_t stackPointer;   /*  36  core's own: saved stack pointer */
  uint32_t stackMax;       /*  40  core's own: the most bytes the stack may grow to */
  uint32_t tls;            /*  44  its TLS block, 0 until it sets a key */
  uint32_t entry;          /*  48  core's own: the entry function */
  uint32_t arg;            /*  52  core's own: the entry's argument */
  int32_t exitValue;       /*  56  what the entry returned or exit() was given */
  int32_t waitKind;        /*  60  WEFT_WAIT_* while BLOCKED */
  uint32_t waitAddr;       /*  64  what it waits on while BLOCKED */
  int32_t waitResult;      /*  68  core's own: the waker's answer */
  double deadline;         /*  72  wake-up time (ms, weft_now's clock) while in the timer heap */
  int32_t timerSlot;       /*  80  core's own: index in the timer heap, -1 when not in it */
  uint32_t name;           /*  84  a String, or 0 */
  uint32_t error;          /*  88  a String saying why it died, or 0 */
  int32_t errnoValue;      /*  92  core's own: the thread's errno (not `errno`: <errno.h> defines that) */
  uint32_t switches;       /*  96  times it was switched in */
  int32_t joiner;          /* 100  id of the thread joining it, 0 if none */
  uint32_t saveBytes;      /* 104  bytes in the save area at its last suspend */
  uint32_t io;             /* 108  its weft_io_request, 0 until its first system call */
  int32_t onCpu;           /* 112  1 while a processor runs it or saves its frames (shared builds) */
  int32_t pinned;          /* 116  1:1: its processor's index + 1; 0: any */
  double cpu;              /* 120  CPU time charged by ticks (ms, sampled) */
  uint32_t stats;          /* 128  its weft_exact_stats, 0 unless exact accounting is on */
  int32_t group;           /* 132  fair-share group (0: the default) */
  int32_t weight;          /* 136  its weight within the group (>= 1) */
  int32_t basePriority;    /* 140  the priority it was given */
  uint32_t signals;        /* 144  core's own: its signal block, 0 until it meets a signal */
  int32_t sigWake;         /* 148  1: a signal it may take is pending */
  uint32_t reserved[2];    /* 152  core's own: waitIntent, seedRank */
} weft_thread;

_Static_assert(offsetof(weft_thread, id) == 0, "weft_thread.id");
_Static_assert(offsetof(weft_thread, state) == 4, "weft_thread.state");
_Static_assert(offsetof(weft_thread, priority) == 8, "weft_thread.priority");
_Static_assert(offsetof(weft_thread, flags) == 12, "weft_thread.flags");
_Static_assert(offsetof(weft_thread, saveArea) == 24, "weft_thread.saveArea");
_Static_assert(offsetof(weft_thread, stackBase) == 28, "weft_thread.stackBase");
_Static_assert(offsetof(weft_thread, stackTop) == 32, "weft_thread.stackTop");
_Static_assert(offsetof(weft_thread, tls) == 44, "weft_thread.tls");
_Static_assert(offsetof(weft_thread, exitValue) == 56, "weft_thread.exitValue");
_Static_assert(offsetof(weft_thread, waitKind) == 60, "weft_thread.waitKind");
_Static_assert(offsetof(weft_thread, waitAddr) == 64, "weft_thread.waitAddr");
_Static_assert(offsetof(weft_thread, deadline) == 72, "weft_thread.deadline");
_Static_assert(offsetof(weft_thread, name) == 84, "weft_thread.name");
_Static_assert(offsetof(weft_thread, error) == 88, "weft_thread.error");
_Static_assert(offsetof(weft_thread, switches) == 96, "weft_thread.switches");
_Static_assert(offsetof(weft_thread, joiner) == 100, "weft_thread.joiner");
_Static_assert(offsetof(weft_thread, saveBytes) == 104, "weft_thread.saveBytes");
_Static_assert(offsetof(weft_thread, io) == 108, "weft_thread.io");
_Static_assert(offsetof(weft_thread, onCpu) == 112, "weft_thread.onCpu");
_Static_assert(offsetof(weft_thread, pinned) == 116, "weft_thread.pinned");
_Static_assert(offsetof(weft_thread, cpu) == 120, "weft_thread.cpu");
_Static_assert(offsetof(weft_thread, stats) == 128, "weft_thread.stats");
_Static_assert(offsetof(weft_thread, group) == 132, "weft_thread.group");
_Static_assert(offsetof(weft_thread, weight) == 136, "weft_thread.weight");
_Static_assert(offsetof(weft_thread, basePriority) == 140, "weft_thread.basePriority");
_Static_assert(offsetof(weft_thread, signals) == 144, "weft_thread.signals");
_Static_assert(offsetof(weft_thread, sigWake) == 148, "weft_thread.sigWake");
_Static_assert(sizeof(weft_thread) == 160, "weft_thread: 160 bytes");

/** Exact accounting block, 32 bytes, at weft_thread.stats (host/abi.ts STATS_*). Times in ms. */
typedef struct weft_exact_stats {
  double cpu;              /*   0  on a processor */
  double runnable;         /*   8  waiting to run */
  double blocked;          /*  16  blocked or asleep */
  double since;            /*  24  core's own: when its current state began */
} weft_exact_stats;

_Static_assert(offsetof(weft_exact_stats, cpu) == 0, "weft_exact_stats.cpu");
_Static_assert(offsetof(weft_exact_stats, runnable) == 8, "weft_exact_stats.runnable");
_Static_assert(offsetof(weft_exact_stats, blocked) == 16, "weft_exact_stats.blocked");
_Static_assert(sizeof(weft_exact_stats) == 32, "weft_exact_stats: 32 bytes");

/** I/O request, 64 bytes (assembly/core/completion.ts; host/io/abi.ts REQUEST). The thread writes it
 *  before weft_io_submit; the host writes `result` (atomically in shared builds) and the op's output
 *  buffers, and nothing else. */
typedef struct weft_io_request {
  uint32_t op;             /*   0  WEFT_OP_* */
  uint32_t mode;           /*   4  WEFT_MODE_* */
  int32_t fd;              /*   8  the descriptor it works on (-1: none) */
  uint32_t flags;          /*  12  per op: open flags, listen backlog, shutdown how, WEFT_IO_FLAG_UTF16 */
  uint32_t ptr;            /*  16  first buffer: data, or a path / address (UTF-16) */
  uint32_t len;            /*  20  its length (bytes; code units for UTF-16) */
  uint32_t ptr2;           /*  24  second buffer: stat record, readdir names, address out */
  uint32_t len2;           /*  28  its length (bytes) */
  double arg;              /*  32  per op: file position (-1: the current one), delay (ms) */
  int32_t result;          /*  40  >= 0 a value, < 0 a negated WEFT_E* */
  uint32_t status;         /*  44  WEFT_IO_* */
  uint32_t thread;         /*  48  the weft_thread that made it; 0 once it is gone */
  uint32_t reserved[3];    /*  52 */
} weft_io_request;

_Static_assert(offsetof(weft_io_request, op) == 0, "weft_io_request.op");
_Static_assert(offsetof(weft_io_request, mode) == 4, "weft_io_request.mode");
_Static_assert(offsetof(weft_io_request, fd) == 8, "weft_io_request.fd");
_Static_assert(offsetof(weft_io_request, flags) == 12, "weft_io_request.flags");
_Static_assert(offsetof(weft_io_request, ptr) == 16, "weft_io_request.ptr");
_Static_assert(offsetof(weft_io_request, len) == 20, "weft_io_request.len");
_Static_assert(offsetof(weft_io_request, ptr2) == 24, "weft_io_request.ptr2");
_Static_assert(offsetof(weft_io_request, len2) == 28, "weft_io_request.len2");
_Static_assert(offsetof(weft_io_request, arg) == 32, "weft_io_request.arg");
_Static_assert(offsetof(weft_io_request, result) == 40, "weft_io_request.result");
_Static_assert(offsetof(weft_io_request, status) == 44, "weft_io_request.status");
_Static_assert(offsetof(weft_io_request, thread) == 48, "weft_io_request.thread");
_Static_assert(sizeof(weft_io_request) == 64, "weft_io_request: 64 bytes");

/** The stat record the host writes at ptr2 for WEFT_OP_STAT, 32 bytes (host/io/abi.ts STAT). */
typedef struct weft_stat {
  int32_t kind;            /*   0  WEFT_KIND_* */
  int32_t mode;            /*   4  permission bits */
  double size;             /*   8  bytes */
  double mtimeMs;          /*  16  last modification, ms since the epoch */
  double ctimeMs;          /*  24  last status change */
} weft_stat;

_Static_assert(offsetof(weft_stat, kind) == 0, "weft_stat.kind");
_Static_assert(offsetof(weft_stat, mode) == 4, "weft_stat.mode");
_Static_assert(offsetof(weft_stat, size) == 8, "weft_stat.size");
_Static_assert(offsetof(weft_stat, mtimeMs) == 16, "weft_stat.mtimeMs");
_Static_assert(offsetof(weft_stat, ctimeMs) == 24, "weft_stat.ctimeMs");
_Static_assert(sizeof(weft_stat) == 32, "weft_stat: 32 bytes");

/** Completion ring header, per processor, at weft_io_ring() (host/io/abi.ts RING); the entries follow.
 *  head and tail count up for ever (mod 2^32); full when tail - head == capacity. The host stores the
 *  entries, then `tail` (atomically, last); the loop stores `head`. */
typedef struct weft_ring {
  uint32_t head;           /*   0  next entry the loop reads (the loop writes it) */
  uint32_t tail;           /*   4  next entry the host writes (the host writes it) */
  uint32_t capacity;       /*   8  entries, a power of two */
  uint32_t reserved;       /*  12 */
  uint32_t entries[];      /*  16  request addresses; entry i at entries[i & (capacity - 1)] */
} weft_ring;

_Static_assert(offsetof(weft_ring, head) == 0, "weft_ring.head");
_Static_assert(offsetof(weft_ring, tail) == 4, "weft_ring.tail");
_Static_assert(offsetof(weft_ring, capacity) == 8, "weft_ring.capacity");
_Static_assert(offsetof(weft_ring, entries) == 16, "weft_ring.entries");
_Static_assert(sizeof(weft_ring) == 16, "weft_ring: a 16-byte header");

/** Collection statistics, 80 bytes, at weft_gc_stats() (assembly/core/gc.ts; host/abi.ts GC_STATS). */
typedef struct weft_gc_stats_record {
  uint32_t collections;    /*   0  collections finished */
  int32_t percent;         /*   4  the collection percentage (-1: automatic ones off) */
  double pauseTotal;       /*   8  ms paused by collections, in all */
  double pauseLast;        /*  16  ms of the last pause */
  double pauseMax;         /*  24  ms of the longest */
  uint32_t liveBytes;      /*  32  bytes of objects the last finished sweep kept */
  uint32_t heapBytes;      /*  36  bytes in use then */
  double freedTotal;       /*  40  bytes of objects freed, in all */
  uint32_t allocated;      /*  48  bytes allocated since the last collection began */
  uint32_t trigger;        /*  52  the next one begins when `allocated` reaches it */
  double markLast;         /*  56  ms the last collection spent marking */
  double sweepLast;        /*  64  ms it spent sweeping */
  uint32_t pauses;         /*  72  pauses so far */
  uint32_t phase;          /*  76  0 idle, 1 marking, 2 sweeping */
} weft_gc_stats_record;

_Static_assert(offsetof(weft_gc_stats_record, collections) == 0, "weft_gc_stats_record.collections");
_Static_assert(offsetof(weft_gc_stats_record, percent) == 4, "weft_gc_stats_record.percent");
_Static_assert(offsetof(weft_gc_stats_record, pauseTotal) == 8, "weft_gc_stats_record.pauseTotal");
_Static_assert(offsetof(weft_gc_stats_record, pauseLast) == 16, "weft_gc_stats_record.pauseLast");
_Static_assert(offsetof(weft_gc_stats_record, pauseMax) == 24, "weft_gc_stats_record.pauseMax");
_Static_assert(offsetof(weft_gc_stats_record, liveBytes) == 32, "weft_gc_stats_record.liveBytes");
_Static_assert(offsetof(weft_gc_stats_record, heapBytes) == 36, "weft_gc_stats_record.heapBytes");
_Static_assert(offsetof(weft_gc_stats_record, freedTotal) == 40, "weft_gc_stats_record.freedTotal");
_Static_assert(offsetof(weft_gc_stats_record, allocated) == 48, "weft_gc_stats_record.allocated");
_Static_assert(offsetof(weft_gc_stats_record, trigger) == 52, "weft_gc_stats_record.trigger");
_Static_assert(offsetof(weft_gc_stats_record, markLast) == 56, "weft_gc_stats_record.markLast");
_Static_assert(offsetof(weft_gc_stats_record, sweepLast) == 64, "weft_gc_stats_record.sweepLast");
_Static_assert(offsetof(weft_gc_stats_record, pauses) == 72, "weft_gc_stats_record.pauses");
_Static_assert(offsetof(weft_gc_stats_record, phase) == 76, "weft_gc_stats_record.phase");
_Static_assert(sizeof(weft_gc_stats_record) == 80, "weft_gc_stats_record: 80 bytes");

/** Tick words of a shared build, at weft_preempt_requests() (host/abi.ts TICK_WORDS). The ticker
 *  exchanges 1 into request[i] of each busy processor and, if it was 0, adds 1 to `raised`; it stores
 *  `asleep` and waits on it while no processor is busy. All accesses atomic. An N:1 build's block is
 *  smaller (one processor) and the host leaves it alone. */
typedef struct weft_tick_words {
  int32_t raised;                          /*    0  how many request words are 1 */
  int32_t asleep;                          /*    4  1 while the ticker sleeps */
  int32_t reserved[2];                     /*    8 */
  int32_t busy[WEFT_PROCESSORS_MAX];       /*   16  1 while processor i runs a thread */
  int32_t request[WEFT_PROCESSORS_MAX];    /* 4112  1: processor i has a tick due */
} weft_tick_words;

_Static_assert(offsetof(weft_tick_words, raised) == 0, "weft_tick_words.raised");
_Static_assert(offsetof(weft_tick_words, asleep) == 4, "weft_tick_words.asleep");
_Static_assert(offsetof(weft_tick_words, busy) == 16, "weft_tick_words.busy");
_Static_assert(offsetof(weft_tick_words, request) == 16 + 4 * WEFT_PROCESSORS_MAX, "weft_tick_words.request");

/* ── Imports: what the host implements ─────────────────────────────────────────────────────────── */

/** weft.now: the monotonic clock (ms). Returns at once, never goes backwards; one origin for every
 *  processor of a shared run. */
double weft_now(void);
/** weft.wall: ms since the Unix epoch (only wallTime() calls it). */
double weft_wall(void);
/** weft.write: prints one line, `units` UTF-16 code units at `text`, to stdout (fd 1) or stderr (fd 2).
 *  The host ends the line. */
void weft_write(int32_t fd, uint32_t text, int32_t units);
/** weft.died: a thread died; read its id, name and error (weft_thread) and return. */
void weft_died(uint32_t thread);
/** weft.io_submit: a system call (weft_io_request at `request`). Write `result` and return
 *  WEFT_SUBMIT_DONE, or return WEFT_SUBMIT_PENDING and complete it later through the ring. */
int32_t weft_io_submit(uint32_t request);
/** weft.processor_start: 1:1 only: start processor `index` for a thread just spawned. Returns at once. */
void weft_processor_start(int32_t index);
/** env.abort: AssemblyScript's abort (message and file are Strings, or 0). Does not return to the
 *  module: unwind (a trap) and handle it as the running thread's trap. */
void weft_abort(uint32_t message, uint32_t file, int32_t line, int32_t column);

/* ── Exports: what the host calls ──────────────────────────────────────────────────────────────── */

/** The memory's first byte: the export `memory` (N:1) or env.memory (shared builds). Glue. */
uint8_t *weft_memory(void);

/* Start and the loop. */
int32_t weft_abi_version(void);
int32_t weft_start(void);                         /* main's id (> 0), or a negated WEFT_E* */
int32_t weft_run(void);                           /* WEFT_RUN_* */
double weft_wake_at(void);                        /* after WEFT_RUN_WAIT; INFINITY: only I/O awaited */

/* Traps. */
int32_t weft_asyncify_get_state(void);            /* WEFT_ASYNCIFY_* */
void weft_asyncify_stop_unwind(void);
void weft_asyncify_stop_rewind(void);
uint32_t weft_trap_begin(void);                   /* the thread that trapped, 0 if none */
uint32_t weft_new_string(int32_t units);          /* a String to fill, 0 if no memory */
int32_t weft_trap_end(uint32_t message);          /* ends that thread; its id */

/* Results and the thread table. */
int32_t weft_main_value(void);
uint32_t weft_main_error(void);                   /* a String, or 0 */
uint32_t weft_current(void);                      /* the running weft_thread, or 0 */
uint32_t weft_thread_slots(void);
uint32_t weft_thread_at(uint32_t slot);           /* a weft_thread, or 0; slot 0 is never used */
int32_t weft_live_threads(void);
uint32_t weft_heap_allocated(void);
uint32_t weft_heap_top(void);
int32_t weft_layout(int32_t field);               /* host/abi.ts THREAD order; then the size; -1 */

/* Configuration, preemption and the collector. */
void weft_configure(uint32_t saveAreaBytes, uint32_t heapLimitBytes);
uint32_t weft_save_area_max(void);
int32_t weft_preempt_configure(double sliceMs, double tickMs, int32_t exact);   /* 0 or -WEFT_EINVAL */
double weft_host_slice(double ms);          /* N:1: RUN_POLL after ms of running (Infinity: never); the old one, or -1 */
double weft_preempt_slice(void);
double weft_preempt_tick(void);
uint32_t weft_preempt_requests(void);             /* weft_tick_words (shared builds) */
int32_t weft_groups(void);
double weft_group_weight(int32_t group);          /* -1 for a bad group */
double weft_group_cpu(int32_t group);             /* -1 for a bad group */
int32_t weft_gc_configure(int32_t percent);       /* returns the previous percentage */
uint32_t weft_gc_stats(void);                     /* weft_gc_stats_record */
int32_t weft_gc_layout(int32_t field);            /* host/abi.ts GC_STATS_FIELDS order; then the size; -1 */

/* Signals (ABI.md, "Signals"). */
int32_t weft_signal(int32_t sig);                 /* N:1: raise sig for the process; 0 or -WEFT_EINVAL */
uint32_t weft_signal_word(void);                  /* the host's signal set (u64, bit sig - 1) */
void weft_signal_source(int32_t on);              /* 1: sigwait waits on the outside */
int32_t weft_terminated_by(void);                 /* the signal that ended the program, or 0 */

/* I/O and processors. */
uint32_t weft_io_ring(void);                      /* this processor's weft_ring, 0 if no memory */
int32_t weft_io_pending(void);
int32_t weft_io_layout(int32_t field);            /* host/io/abi.ts REQUEST_FIELDS order; then the size; -1 */
int32_t weft_processors_init(int32_t count, int32_t oneToOne);   /* 0 or -WEFT_EINVAL */
int32_t weft_processor_enter(int32_t index);      /* 0 or -WEFT_ENOMEM */
uint32_t weft_processor_idle(int32_t field, int32_t index);      /* WEFT_IDLE_*; 0 if bad */

/* Shared builds only: the first processor, once, in this order, before anything else. */
void weft_init_memory(void);
void weft_init_globals(void);
void weft_init(void);

#endif /* WEFT_H */
