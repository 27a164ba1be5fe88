/* weft_host.c: a native kernel for an N:1 weft module turned into C by wasm2c.
 *
 * A weft module (what `weft build` writes) keeps its threads, switches, run queues, timers and collector
 * inside Wasm; the host gives it clocks, output and system calls and runs its loop (ABI.md, "Start
 * protocols, N:1"). This file is that host in C. build.sh turns the module into app.c / app.h with
 * wasm2c (module id `app`) and compiles the three together: one binary per module.
 *
 *   imports   weft.now, weft.wall, weft.write, weft.died, weft.io_submit, weft.processor_start,
 *             weft.frames and env.abort. A module imports a subset of them (ABI.md, "Imports"); the ones it does not
 *             import are defined here all the same and simply never called.
 *   loop      the version check, weft_configure(0, 0), weft_preempt_configure(0, 0, 0), weft_start, then
 *             weft_run until the program ends: RUN_AGAIN and RUN_POLL call again, RUN_WAIT sleeps until
 *             weft_wake_at() or the next held delay (I/O, below), RUN_EXITED exits with main's value,
 *             RUN_DEADLOCK reports every waiting thread as weft's own host does (host/kernel/runner.ts)
 *             and exits 3.
 *   traps     weft_run runs under wasm_rt_impl_try (a setjmp); a trap lands back there and is handled as
 *             ABI.md's "Traps" says: the thread that trapped dies, the others go on.
 *   I/O       io_submit answers reads of fd 0 and writes to fds 1 and 2 at once (SUBMIT_DONE), with
 *             blocking read(2) / write(2). A delay (ioDelay) in blocking mode sleeps there; in any other
 *             mode it is held (SUBMIT_PENDING) and completed through the core's completion ring when it
 *             is due, while the other threads run. Everything else (files, TCP) is "not supported in
 *             this host" (-ENOTSUP), as in weft's web host.
 *
 * Preemption needs nothing from a host: an N:1 module's safepoints count fuel against weft.now.
 *
 * wasm2c. weft.h's notes on wasm2c give the names of wabt 1.0.33 and later (w2c_app_weft_run). The
 * runtime this is built with, Debian's wabt 1.0.32, names things the older way: an export E is
 * Z_appZ_E(Z_app_instance_t *), an import M.N is Z_MZ_N(struct Z_M_instance_t *). The macros below
 * are the only place that knows; everything else calls weft.h's names (weft_run(), weft_now(), ...),
 * defined here as one-line glue over one static instance.
 *
 * Compile-time settings:
 *   WEFT_HOST_ABI_VERSION   the ABI version this host speaks (default: weft.h's WEFT_ABI_VERSION); a
 *                           module of another version is refused.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wasm-rt.h"
#include "wasm-rt-impl.h"
#include "app.h"
#include "weft.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "weft_host.c reads the module's records in place: it needs a little-endian machine (weft.h, Records)"
#endif

#ifndef WEFT_HOST_ABI_VERSION
#define WEFT_HOST_ABI_VERSION WEFT_ABI_VERSION
#endif

/* ── wasm2c's names (wabt 1.0.32) ──────────────────────────────────────────────────────────────── */

#define EXPORT(name) Z_appZ_##name                   /* the module's export `name` */
#define IMPORT(module, name) Z_##module##Z_##name    /* what the host defines for import module.name */
typedef Z_app_instance_t app_instance;
struct Z_env_instance_t { int unused; };             /* the import "instances": this host keeps its */
struct Z_weft_instance_t { int unused; };            /* state in statics, so they carry nothing */

static app_instance app;
static struct Z_env_instance_t env_instance;
static struct Z_weft_instance_t weft_instance;

/* ── The host's state ──────────────────────────────────────────────────────────────────────────── */

static struct timespec origin;       /* weft.now's 0: when the host started */
static int32_t main_id;              /* main's thread id (weft_start's answer) */
static bool main_died;               /* weft.died named main */
static char *main_death;             /* ... and said this */
static char *abort_message;          /* set by env.abort just before it traps: the trap's message */
static unsigned long traps;          /* threads that trapped so far */

#define MAX_TRAPS 100000             /* as weft's own host: past this the run ends */

/** A delay the host holds: its request completes (result 0) once weft.now reads `due`. */
typedef struct held_delay {
  double due;
  uint32_t request;
} held_delay;

static held_delay *delays;           /* the held delays, in no order */
static size_t delay_count, delay_capacity;
static uint32_t ring;                /* the core's completion ring (weft_io_ring), once asked for */

static void fatal(const char *format, ...) __attribute__((noreturn, format(printf, 1, 2)));

/** Prints `weft: <message>` on stderr and ends the process with exit code 1. */
static void fatal(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("weft: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

/* ── Text ──────────────────────────────────────────────────────────────────────────────────────── */

/** A growable byte string (UTF-8), always ended by a 0 byte. */
typedef struct text {
  char *bytes;
  size_t length, capacity;
} text;

static void text_reserve(text *t, size_t more) {
  if (t->length + more + 1 <= t->capacity) return;
  size_t capacity = t->capacity ? t->capacity : 64;
  while (capacity < t->length + more + 1) capacity *= 2;
  char *bytes = realloc(t->bytes, capacity);
  if (!bytes) fatal("out of host memory");
  t->bytes = bytes;
  t->capacity = capacity;
}

static void text_append(text *t, const char *bytes, size_t length) {
  text_reserve(t, length);
  memcpy(t->bytes + t->length, bytes, length);
  t->length += length;
  t->bytes[t->length] = 0;
}

static void text_printf(text *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(text *t, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int n = vsnprintf(NULL, 0, format, args);
  va_end(args);
  if (n < 0) return;
  text_reserve(t, (size_t)n);
  va_start(args, format);
  vsnprintf(t->bytes + t->length, (size_t)n + 1, format, args);
  va_end(args);
  t->length += (size_t)n;
}

/** The memory's first byte and its size now (an N:1 memory grows: read them after every call). */
static uint32_t memory_size(void) { return (uint32_t)EXPORT(memory)(&app)->size; }

/** True if [address, address + bytes) lies inside linear memory. */
static bool in_memory(uint32_t address, uint64_t bytes) {
  return (uint64_t)address + bytes <= memory_size();
}

/** Appends `units` UTF-16 code units at `address` as UTF-8; a lone surrogate becomes U+FFFD, as
 *  TextDecoder makes it. Units outside memory are left out. */
static void text_utf16(text *t, uint32_t address, uint32_t units) {
  if (!in_memory(address, (uint64_t)units * 2)) return;
  const uint8_t *base = weft_memory() + address;
  text_reserve(t, (size_t)units * 3);
  for (uint32_t i = 0; i < units; i++) {
    uint32_t c = (uint32_t)base[2 * i] | (uint32_t)base[2 * i + 1] << 8;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < units) {
      uint32_t low = (uint32_t)base[2 * i + 2] | (uint32_t)base[2 * i + 3] << 8;
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    char *out = t->bytes + t->length;
    if (c < 0x80) {
      out[0] = (char)c;
      t->length += 1;
    } else if (c < 0x800) {
      out[0] = (char)(0xc0 | c >> 6);
      out[1] = (char)(0x80 | (c & 0x3f));
      t->length += 2;
    } else if (c < 0x10000) {
      out[0] = (char)(0xe0 | c >> 12);
      out[1] = (char)(0x80 | (c >> 6 & 0x3f));
      out[2] = (char)(0x80 | (c & 0x3f));
      t->length += 3;
    } else {                                   /* a pair: two units gave four bytes, within the 3 per unit */
      out[0] = (char)(0xf0 | c >> 18);
      out[1] = (char)(0x80 | (c >> 12 & 0x3f));
      out[2] = (char)(0x80 | (c >> 6 & 0x3f));
      out[3] = (char)(0x80 | (c & 0x3f));
      t->length += 4;
    }
  }
  t->bytes[t->length] = 0;
}

/** Appends an AssemblyScript String (UTF-16 units; its byte length in the u32 before it); 0 adds nothing. */
static void text_string(text *t, uint32_t string) {
  if (!string || string < 4 || !in_memory(string - 4, 4)) return;
  uint32_t bytes;
  memcpy(&bytes, weft_memory() + string - 4, 4);
  text_utf16(t, string, bytes / 2);
}

/** A String as a new C string (malloc'd; "" for 0). */
static char *string_dup(uint32_t string) {
  text t = {0};
  text_reserve(&t, 0);
  t.bytes[0] = 0;
  text_string(&t, string);
  return t.bytes;
}

/** Writes all of `bytes` to `fd`; returns the count or a negated errno. */
static int64_t write_all(int fd, const char *bytes, size_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = write(fd, bytes + done, length - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    done += (size_t)n;
  }
  return (int64_t)done;
}

/** A thread record in linear memory (weft.h: records are read in place on a little-endian machine). */
static const weft_thread *thread_at(uint32_t address) {
  return (const weft_thread *)(weft_memory() + address);
}

/* ── Clocks ────────────────────────────────────────────────────────────────────────────────────── */

static double ms_between(const struct timespec *from, const struct timespec *to) {
  return (double)(to->tv_sec - from->tv_sec) * 1e3 + (double)(to->tv_nsec - from->tv_nsec) / 1e6;
}

/** Sleeps until weft.now reads `ms` (CLOCK_MONOTONIC, absolute: a signal cannot stretch it). */
static void sleep_until(double ms) {
  if (!(ms > 0)) return;
  double whole = floor(ms / 1e3);
  struct timespec at = origin;
  at.tv_sec += (time_t)whole;
  at.tv_nsec += (long)((ms - whole * 1e3) * 1e6);
  while (at.tv_nsec >= 1000000000L) { at.tv_sec++; at.tv_nsec -= 1000000000L; }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR) {}
}

/* ── Imports: what the host implements (weft.h's prototypes) ───────────────────────────────────── */

/** weft.now: ms on the monotonic clock since the host started. */
double weft_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return ms_between(&origin, &now);
}

/** weft.wall: ms since the Unix epoch. */
double weft_wall(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

/** weft.write: one line of UTF-16 text; fd 2 goes to stderr, any other to stdout. The line is written
 *  with one write(2) at once, so it keeps its place among the writes io_submit makes. */
void weft_write(int32_t fd, uint32_t address, int32_t units) {
  text line = {0};
  text_utf16(&line, address, units > 0 ? (uint32_t)units : 0);
  text_append(&line, "\n", 1);
  write_all(fd == 2 ? 2 : 1, line.bytes, line.length);
  free(line.bytes);
}

/** weft.died: a thread died; print why, as `weft run` does, and note it if it was main. */
void weft_died(uint32_t address) {
  const weft_thread *t = thread_at(address);
  int32_t id = t->id;
  char *name = string_dup(t->name);
  char *error = string_dup(t->error);
  text message = {0};
  if (strncmp(error, "thread ", 7) == 0) {
    text_append(&message, error, strlen(error));
  } else {
    /* a message the core built without memory for the prefix: name the thread here */
    text_printf(&message, "thread %d", id);
    if (*name) text_printf(&message, " \"%s\"", name);
    text_printf(&message, " died: %s", *error ? error : "died");
  }
  fprintf(stderr, "weft: %s\n", message.bytes);
  if (id == main_id && !main_died) {
    main_died = true;
    main_death = message.bytes;
  } else {
    free(message.bytes);
  }
  free(name);
  free(error);
}

/** Holds a delay until `due`; false if the core has no memory for its completion ring. io_submit may
 *  ask for the ring (ABI.md, "Rules for every import"): a thread has made it before its first request. */
static bool hold_delay(uint32_t request, double due) {
  if (!ring) ring = (uint32_t)EXPORT(weft_io_ring)(&app);
  if (!ring) return false;
  if (delay_count == delay_capacity) {
    size_t capacity = delay_capacity ? delay_capacity * 2 : 64;
    held_delay *grown = realloc(delays, capacity * sizeof(held_delay));
    if (!grown) return false;
    delays = grown;
    delay_capacity = capacity;
  }
  delays[delay_count++] = (held_delay){due, request};
  return true;
}

/** Completes the held delays that are due, as many as the ring has room for (ABI.md, "Completion
 *  ring": result first, then the entries, then `tail`); the others stay held for the next turn. Returns
 *  how many it completed; *next is the earliest due time still held (INFINITY: none), *full true if a
 *  due one found no room (the loop must drain the ring first). */
static size_t complete_due_delays(double *next, bool *full) {
  *next = INFINITY;
  *full = false;
  if (!delay_count) return 0;
  double now = weft_now();
  weft_ring *r = (weft_ring *)(weft_memory() + ring);
  uint32_t tail = r->tail;
  size_t kept = 0, completed = 0;
  for (size_t i = 0; i < delay_count; i++) {
    held_delay d = delays[i];
    if (d.due <= now && tail - r->head < r->capacity) {
      ((weft_io_request *)(weft_memory() + d.request))->result = 0;
      r->entries[tail & (r->capacity - 1)] = d.request;
      tail++;
      completed++;
      continue;
    }
    if (d.due <= now) *full = true;
    else if (d.due < *next) *next = d.due;
    delays[kept++] = d;
  }
  delay_count = kept;
  __atomic_store_n(&r->tail, tail, __ATOMIC_SEQ_CST);   /* last: the loop reads entries below it */
  return completed;
}

/** weft.io_submit: answers a request at once, or holds a delay (above). */
int32_t weft_io_submit(uint32_t address) {
  if (!in_memory(address, sizeof(weft_io_request))) return WEFT_SUBMIT_DONE;   /* nowhere to answer */
  weft_io_request *request = (weft_io_request *)(weft_memory() + address);
  int32_t result;
  switch (request->op) {
    case WEFT_OP_WRITE:
      if (request->fd != 1 && request->fd != 2) {
        result = -WEFT_EBADF;                  /* stdin is read-only; no other descriptor exists */
      } else if (request->flags & WEFT_IO_FLAG_UTF16) {
        if (!in_memory(request->ptr, (uint64_t)request->len * 2)) { result = -WEFT_EINVAL; break; }
        text data = {0};
        text_utf16(&data, request->ptr, request->len);
        int64_t n = write_all(request->fd, data.bytes ? data.bytes : "", data.length);
        free(data.bytes);
        result = n > INT32_MAX ? -WEFT_EINVAL : (int32_t)n;
      } else {
        if (!in_memory(request->ptr, request->len) || request->len > INT32_MAX) { result = -WEFT_EINVAL; break; }
        result = (int32_t)write_all(request->fd, (const char *)weft_memory() + request->ptr, request->len);
      }
      break;
    case WEFT_OP_READ:
      if (request->fd != 0) { result = -WEFT_EBADF; break; }
      if (!in_memory(request->ptr, request->len)) { result = -WEFT_EINVAL; break; }
      for (;;) {
        ssize_t n = read(0, weft_memory() + request->ptr, request->len > INT32_MAX ? INT32_MAX : request->len);
        if (n < 0 && errno == EINTR) continue;
        result = n < 0 ? -errno : (int32_t)n;
        break;
      }
      break;
    case WEFT_OP_DELAY:
      if (!(request->arg >= 0)) { result = -WEFT_EINVAL; break; }
      if (request->mode == WEFT_MODE_BLOCKING) {
        sleep_until(weft_now() + request->arg); /* every thread waits meanwhile */
        result = 0;
        break;
      }
      if (hold_delay(address, weft_now() + request->arg)) return WEFT_SUBMIT_PENDING;
      result = -WEFT_ENOMEM;                    /* no ring to complete it through */
      break;
    case WEFT_OP_OPEN: case WEFT_OP_CLOSE: case WEFT_OP_STAT: case WEFT_OP_READDIR: case WEFT_OP_UNLINK:
    case WEFT_OP_LISTEN: case WEFT_OP_ACCEPT: case WEFT_OP_CONNECT: case WEFT_OP_SHUTDOWN:
    case WEFT_OP_ADDRESS: case WEFT_OP_MKDIR:
      result = -WEFT_ENOTSUP;                  /* no files or sockets in this host */
      break;
#ifdef WEFT_OP_CALL
    case WEFT_OP_CALL: case WEFT_OP_CALL_TEXT:
      result = -WEFT_ENOTSUP;                  /* no host functions either (build.sh refuses such modules) */
      break;
#endif
    default:
      result = -WEFT_EINVAL;                   /* an unknown op (ABI.md, weft.io_submit) */
  }
  request->result = result;
  return WEFT_SUBMIT_DONE;
}

/** weft.processor_start: only shared 1:1 builds call it, and this host runs N:1 modules only. */
void weft_processor_start(int32_t index) {
  fatal("the core asked for processor %d, but this host runs one processor (N:1)", index);
}

/** env.abort: keeps `<message> (<file>:<line>:<column>)` for the trap handler, then traps: the thread's
 *  Wasm stack unwinds to weft_run's catch point, and the running thread dies of it. */
void weft_abort(uint32_t message, uint32_t file, int32_t line, int32_t column) {
  text what = {0};
  if (message) text_string(&what, message);
  else text_append(&what, "abort", 5);
  if (file) {
    text_append(&what, " (", 2);
    text_string(&what, file);
    text_printf(&what, ":%d:%d)", line, column);
  }
  free(abort_message);
  abort_message = what.bytes;
  wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}

/* The imports as wasm2c names them: one line each. */
f64 IMPORT(weft, now)(struct Z_weft_instance_t *self) { (void)self; return weft_now(); }
f64 IMPORT(weft, wall)(struct Z_weft_instance_t *self) { (void)self; return weft_wall(); }
void IMPORT(weft, write)(struct Z_weft_instance_t *self, u32 fd, u32 address, u32 units) {
  (void)self; weft_write((int32_t)fd, address, (int32_t)units);
}
void IMPORT(weft, died)(struct Z_weft_instance_t *self, u32 thread) { (void)self; weft_died(thread); }
u32 IMPORT(weft, io_submit)(struct Z_weft_instance_t *self, u32 request) {
  (void)self; return (u32)weft_io_submit(request);
}
void IMPORT(weft, processor_start)(struct Z_weft_instance_t *self, u32 index) {
  (void)self; weft_processor_start((int32_t)index);
}
/* weft.frames: called only while a host probes a parked thread for its backtrace (weft_backtrace), which
 * this host does not do. */
void IMPORT(weft, frames)(struct Z_weft_instance_t *self, u32 thread) { (void)self; (void)thread; }
void IMPORT(env, abort)(struct Z_env_instance_t *self, u32 message, u32 file, u32 line, u32 column) {
  (void)self; weft_abort(message, file, (int32_t)line, (int32_t)column);
}

/* ── Exports: what the host calls (weft.h's prototypes, over the one instance) ─────────────────── */

uint8_t *weft_memory(void) { return EXPORT(memory)(&app)->data; }
int32_t weft_abi_version(void) { return (int32_t)EXPORT(weft_abi_version)(&app); }
int32_t weft_start(void) { return (int32_t)EXPORT(weft_start)(&app); }
int32_t weft_run(void) { return (int32_t)EXPORT(weft_run)(&app); }
double weft_wake_at(void) { return EXPORT(weft_wake_at)(&app); }
int32_t weft_asyncify_get_state(void) { return (int32_t)EXPORT(asyncify_get_state)(&app); }
void weft_asyncify_stop_unwind(void) { EXPORT(asyncify_stop_unwind)(&app); }
void weft_asyncify_stop_rewind(void) { EXPORT(asyncify_stop_rewind)(&app); }
uint32_t weft_trap_begin(void) { return EXPORT(weft_trap_begin)(&app); }
uint32_t weft_new_string(int32_t units) { return EXPORT(weft_new_string)(&app, (u32)units); }
int32_t weft_trap_end(uint32_t message) { return (int32_t)EXPORT(weft_trap_end)(&app, message); }
int32_t weft_main_value(void) { return (int32_t)EXPORT(weft_main_value)(&app); }
uint32_t weft_main_error(void) { return EXPORT(weft_main_error)(&app); }
uint32_t weft_current(void) { return EXPORT(weft_current)(&app); }
uint32_t weft_thread_slots(void) { return EXPORT(weft_thread_slots)(&app); }
uint32_t weft_thread_at(uint32_t slot) { return EXPORT(weft_thread_at)(&app, slot); }
void weft_configure(uint32_t save_area_bytes, uint32_t heap_limit_bytes) {
  EXPORT(weft_configure)(&app, save_area_bytes, heap_limit_bytes);
}
int32_t weft_preempt_configure(double slice_ms, double tick_ms, int32_t exact) {
  return (int32_t)EXPORT(weft_preempt_configure)(&app, slice_ms, tick_ms, (u32)exact);
}

/* ── Traps ─────────────────────────────────────────────────────────────────────────────────────── */

/** What a trap is called: the words weft's own host (V8) uses, so both hosts print the same lines. An
 *  abort's trap is called by its message. */
static const char *trap_name(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_OOB: return "memory access out of bounds";
    case WASM_RT_TRAP_INT_OVERFLOW: return "divide result unrepresentable";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "float unrepresentable in integer range";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable";
    case WASM_RT_TRAP_CALL_INDIRECT: return "null function or function signature mismatch";
#if !WASM_RT_MERGED_OOB_AND_EXHAUSTION_TRAPS
    case WASM_RT_TRAP_EXHAUSTION: return "stack overflow: call stack exhausted";
#endif
    default: return wasm_rt_strerror(trap);
  }
}

/** The message of the trap that just fired (the abort's, if env.abort caused it); the caller frees it. */
static char *take_trap_message(wasm_rt_trap_t trap) {
  char *what = abort_message;
  abort_message = NULL;
  if (!what) what = strdup(trap_name(trap));
  if (!what) fatal("out of host memory");
  return what;
}

/** ABI.md "Traps", steps 1-5, for the trap `what`: the running thread dies, the run goes on. Returns only
 *  when the run can go on. Runs under a catch point of its own: a second trap here ends the run. */
static void recover(const char *what) {
  static const char *volatile recovering;    /* read after a longjmp: volatile */
  recovering = what;
  wasm_rt_trap_t again = wasm_rt_impl_try();
  if (again != WASM_RT_TRAP_NONE) {
    char *second = take_trap_message(again);
    fatal("the runtime could not recover from a trap (%s): %s", recovering, second);
  }
  int32_t state = weft_asyncify_get_state();                       /* 1: unwinding, 2: rewinding */
  if (state == WEFT_ASYNCIFY_UNWINDING) weft_asyncify_stop_unwind();
  else if (state == WEFT_ASYNCIFY_REWINDING) weft_asyncify_stop_rewind();
  uint32_t current = weft_current();
  if (!current) fatal("the scheduler trapped: %s", what);          /* no thread: the loop cannot go on */
  if (++traps > MAX_TRAPS) fatal("too many traps (%lu); last: %s", traps - 1, what);
  const weft_thread *t = thread_at(current);
  int32_t id = t->id;
  char *name = string_dup(t->name);
  text message = {0};
  if (*name) text_printf(&message, "thread %d \"%s\" died: %s", id, name, what);
  else text_printf(&message, "thread %d \"thread %d\" died: %s", id, id, what);
  free(name);
  weft_trap_begin();                            /* back on the processor's own stack: now it may allocate */

  /* The message as a String: count its UTF-16 units, then write them. */
  uint32_t units = 0;
  for (const unsigned char *p = (const unsigned char *)message.bytes; *p; p++) {
    if ((*p & 0xc0) != 0x80) units += (*p >= 0xf0) ? 2 : 1;           /* a 4-byte sequence is a pair */
  }
  uint32_t string = weft_new_string((int32_t)units);               /* 0: no memory; the core says so */
  if (string && in_memory(string, (uint64_t)units * 2)) {
    uint8_t *out = weft_memory() + string;
    const unsigned char *p = (const unsigned char *)message.bytes;
    for (uint32_t i = 0; i < units && *p;) {
      uint32_t c = *p++;
      int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
      c &= more == 3 ? 0x07 : more == 2 ? 0x0f : more == 1 ? 0x1f : 0x7f;
      while (more-- > 0 && (*p & 0xc0) == 0x80) c = c << 6 | (*p++ & 0x3f);
      uint32_t pair[2] = {c, 0};
      int count = 1;
      if (c >= 0x10000) { pair[0] = 0xd800 + ((c - 0x10000) >> 10); pair[1] = 0xdc00 + ((c - 0x10000) & 0x3ff); count = 2; }
      for (int k = 0; k < count && i < units; k++, i++) {
        out[2 * i] = (uint8_t)(pair[k] & 0xff);
        out[2 * i + 1] = (uint8_t)(pair[k] >> 8);
      }
    }
  }
  free(message.bytes);
  weft_trap_end(string);                       /* ends that thread only; the core calls weft.died */
}

/** One call of weft_run under a catch point. Returns 0 with *reason set, or the trap that fired. */
static wasm_rt_trap_t run_once(int32_t *reason) {
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap != WASM_RT_TRAP_NONE) return trap;
  *reason = weft_run();
  return WASM_RT_TRAP_NONE;
}

/* ── The deadlock report (host/kernel/runner.ts, deadlockReport and describeWait) ──────────────── */

static const char *const STATE_NAMES[] = {"free", "runnable", "running", "blocked", "sleeping", "exited", "trapped"};
static const char *const WAIT_KINDS[] = {
  "futex", "mutex", "cond", "rwlock", "semaphore", "barrier", "once", "waitgroup", "channel send",
  "channel receive", "select", "join", "sleep", "io", "sigwait", "rwlock write",
};
static const char *const OP_NAMES[] = {
  NULL, "open", "close", "read", "write", "stat", "readdir", "unlink", "listen", "accept", "connect",
  "shutdown", "delay", "address", "mkdir",
};
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/** What a blocked thread waits on: `join of thread N`, `read on fd 0 (I/O)`, `mutex at 0x1a2b0`. */
static void describe_wait(text *out, const weft_thread *t) {
  int32_t kind = t->waitKind;
  uint32_t address = t->waitAddr;
  if (kind == WEFT_WAIT_JOIN && address >= 4 && in_memory(address - 4, sizeof(weft_thread))) {
    text_printf(out, "join of thread %d", thread_at(address - 4)->id);    /* waitAddr is its `state` */
  } else if (kind == WEFT_WAIT_IO && in_memory(address, sizeof(weft_io_request))) {
    const weft_io_request *request = (const weft_io_request *)(weft_memory() + address);
    const char *op = request->op < COUNT(OP_NAMES) && OP_NAMES[request->op] ? OP_NAMES[request->op] : "call";
    text_printf(out, "%s on fd %d (I/O)", op, request->fd);
  } else {
    const char *name = kind >= 0 && (size_t)kind < COUNT(WAIT_KINDS) ? WAIT_KINDS[kind] : "futex";
    text_printf(out, "%s at 0x%x", name, address);
  }
}

/** Every runnable, blocked or sleeping thread, one line each, as weft's own host reports a deadlock. */
static void deadlock_report(void) {
  text report = {0};
  text_printf(&report, "weft: deadlock: every thread is blocked and nothing can wake them");
  uint32_t slots = weft_thread_slots();
  for (uint32_t slot = 1; slot < slots; slot++) {
    uint32_t address = weft_thread_at(slot);
    if (!address) continue;
    const weft_thread *t = thread_at(address);
    int32_t state = t->state;
    if (state != WEFT_STATE_BLOCKED && state != WEFT_STATE_SLEEPING && state != WEFT_STATE_RUNNABLE) continue;
    char *name = string_dup(t->name);
    text_printf(&report, "\n  thread %d", t->id);
    if (*name) text_printf(&report, " \"%s\"", name);
    text_printf(&report, ": %s", STATE_NAMES[state]);
    if (state == WEFT_STATE_BLOCKED) {
      text_printf(&report, " on ");
      describe_wait(&report, t);
    } else if (state == WEFT_STATE_SLEEPING) {
      text_printf(&report, " on sleep");
    }
    free(name);
  }
  text_append(&report, "\n", 1);
  fputs(report.bytes, stderr);
  free(report.bytes);
}

/* ── The loop (ABI.md, "Start protocols, N:1") ─────────────────────────────────────────────────── */

/** Instantiates the module (its start function runs the program's top-level initialisers). */
static wasm_rt_trap_t instantiate(void) {
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap != WASM_RT_TRAP_NONE) return trap;
  Z_app_init_module();
  Z_app_instantiate(&app, &env_instance, &weft_instance);
  return WASM_RT_TRAP_NONE;
}

/** Steps 1-2 after instantiation: the version check, configuration, main. Under a catch point. */
static wasm_rt_trap_t start(void) {
  wasm_rt_trap_t trap = wasm_rt_impl_try();
  if (trap != WASM_RT_TRAP_NONE) return trap;
  int32_t version = weft_abi_version();
  if (version != WEFT_HOST_ABI_VERSION) {
    fprintf(stderr, "weft ABI mismatch: the module speaks version %d, this host %d; rebuild it\n",
            version, WEFT_HOST_ABI_VERSION);
    exit(1);
  }
  weft_configure(0, 0);                                 /* the default save-area limit, no heap cap */
  if (weft_preempt_configure(0, 0, 0) != 0) fatal("the core refused a slice of 0 ms and a tick of 0 ms (weft_preempt_configure)");
  main_id = weft_start();
  if (main_id <= 0) fatal("could not start main: spawn returned %d", main_id);
  return WASM_RT_TRAP_NONE;
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  clock_gettime(CLOCK_MONOTONIC, &origin);
  wasm_rt_init();

  wasm_rt_trap_t trap = instantiate();
  if (trap != WASM_RT_TRAP_NONE) {
    char *what = take_trap_message(trap);
    fatal("the module trapped while starting: %s", what);
  }
  trap = start();
  if (trap != WASM_RT_TRAP_NONE) {
    char *what = take_trap_message(trap);
    fatal("the module trapped while starting: %s", what);
  }

  for (;;) {
    int32_t reason = 0;
    double next;
    bool full;
    complete_due_delays(&next, &full);          /* step 3: completions before each weft_run */
    trap = run_once(&reason);
    if (trap != WASM_RT_TRAP_NONE) {            /* a thread trapped: it dies, the others go on */
      char *what = take_trap_message(trap);
      recover(what);
      free(what);
      continue;
    }
    switch (reason) {
      case WEFT_RUN_AGAIN:                      /* 65,536 switches made: call again at once */
      case WEFT_RUN_POLL:                       /* held delays: the loop's top completes the due ones */
        continue;
      case WEFT_RUN_WAIT: {                     /* every thread waits: sleep until a sleeper or a delay is due */
        if (complete_due_delays(&next, &full) || full) continue;   /* completions to take: run again */
        double at = fmin(weft_wake_at(), next);
        if (isinf(at)) fatal("the core waits for I/O, but this host holds no request");
        sleep_until(at);
        continue;
      }
      case WEFT_RUN_EXITED: {
        if (main_died) fatal("main died: %s", main_death);
        uint32_t killed = weft_main_error();    /* main ended by the core itself (e.g. no memory) */
        if (killed) fatal("main died: %s", string_dup(killed));
        int32_t value = weft_main_value();
        wasm_rt_free();
        return value & 0xff;
      }
      case WEFT_RUN_DEADLOCK:
        deadlock_report();
        return 3;                               /* weft run's exit code for a deadlock */
      default:
        fatal("weft_run returned an unknown reason %d", reason);
    }
  }
}
