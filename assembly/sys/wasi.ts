// The WASI flavour: weft's kernel inside the module, for hosts that speak only WASI preview 1.
//
// Design note
// -----------
// `weft build --target wasi` makes a module that any WASI runtime (Node's node:wasi, wasmtime, wasmer,
// WAMR) runs as a command: its only imports are `wasi_snapshot_preview1` functions and it exports
// `_start`. The core is the same; what changes is who plays the kernel. The host's imports (`weft.now`,
// `write`, `died`, `io_submit`, `wall`, `env.abort`, `env.seed`) become calls to the functions below —
// the build swaps each imported function for a call to its `__weft_wasi_*` twin (host/compiler/pipeline.ts,
// "WASI flavour") — and `_start` runs the host's loop (ABI.md, "Start protocols, N:1") in Wasm:
//
//   _start: the program's top-level initialisers; weft_start(); then weft_run() until the program ends:
//     RUN_AGAIN                call again;
//     RUN_WAIT                 poll_oneoff on a relative monotonic clock until weft_wake_at();
//     RUN_EXITED               proc_exit(main's value), or 1 when main died;
//     RUN_DEADLOCK             the report weft's own host prints, on stderr; proc_exit(3), the status
//                              `weft run` gives a deadlock.
//
// What WASI preview 1 cannot give, and what that means:
//   - No asynchronous completion. Every system call is answered at once, as in blocking mode: a thread
//     reading a file stalls the other threads for as long as the read takes (files and stdio; a read of a
//     terminal or a pipe waits for its data). `ioDelay` sleeps the whole program. The completion ring is
//     never used; RUN_POLL never comes.
//   - No sockets (preview 1 has none to open): listen, accept, connect, shutdown and address answer
//     ENOTSUP, as weft's web host does. No `--processors`: a WASI module is N:1 (preview 1 has no threads either).
//   - No catching a trap. A Wasm trap ends the instance in every WASI runtime, so a thread that traps —
//     `abort` (a failed assertion, an index out of range), or a trap of the engine's — ends the program
//     with exit code 1 after one line naming the thread, where weft's own host would end only that thread.
//     Deaths the core detects itself (a stack or save area past its limit, no memory) still end only
//     their thread, as everywhere.
//   - Paths: a relative path is looked up in the preopened directory named "." (wasmtime `--dir .`,
//     node:wasi `preopens: { ".": dir }`); any path is looked up in the preopen whose name is its longest
//     leading match. The preopens are the grants: a path under none is EACCES. Stat has no permission
//     bits to report (mode 0).
//
// Nothing here allocates: text goes through a static line buffer, paths through a static path buffer.
//
// Files: this one (the host's imports as WASI calls, and the loop), wasi-files.ts (the system calls),
// wasi-base.ts (the WASI functions, the buffers, text out, clocks, errno numbers).

import { Thread } from "../core/layout";
import { currentThread } from "../core/scheduler";
import { mainExitValue, mainErrorMessage } from "../core/thread";
import { threadAt, threadTableUsed } from "../core/table";
import { weft_run, weft_wake_at } from "./abi";
import { IoRequest } from "./io";
import {
  proc_exit, random_get, CLOCK_MONOTONIC, CLOCK_REALTIME, scratch, beginLine, endLine, putUtf16, putString, putAscii,
  putInt, putHex, clockMs, sleepMs,
} from "./wasi-base";
import { wasiIoCall } from "./wasi-files";

/** Whether `died` named main: the run then ends with exit code 1. */
let mainDied = false;

/** The top-level initialisers: the build puts a call to the program's start function here (asc would
 *  otherwise run it at instantiation, before a WASI runtime has given the module its imports' memory). */
// @ts-ignore: decorator
@external("weft:intrinsic", "program_init")
export declare function wasiProgramInit(): void;

// ---- the host's imports, as WASI calls ---------------------------------------------------------------


/** weft.now: the monotonic clock, in ms. */
export function __weft_wasi_now(): f64 { return clockMs(CLOCK_MONOTONIC); }

/** weft.wall: ms since the Unix epoch. */
export function __weft_wasi_wall(): f64 { return clockMs(CLOCK_REALTIME); }

/** weft.write: one line of UTF-16 text to stdout (fd 1) or stderr (any other stream is stdout, as in
 *  weft's own host: fd 2 is stderr). */
export function __weft_wasi_write(fd: i32, ptr: usize, units: i32): void {
  beginLine(fd == 2 ? 2 : 1);
  putUtf16(ptr, <usize>units);
  endLine();
}

/** weft.died: a thread the core ended (its stack or save area past its limit, no memory). */
export function __weft_wasi_died(t: usize): void {
  let thread = changetype<Thread>(t);
  if (thread.id == 1) mainDied = true;
  beginLine(2);
  let error = thread.error;
  if (error == 0 || !changetype<string>(error).startsWith("thread ")) putThreadName(thread, " died: ");
  putString(error);
  endLine();
}

function putThreadName(thread: Thread, after: string): void {
  putAscii("thread ");
  putInt(thread.id);
  if (thread.name != 0) { putAscii(" \""); putString(thread.name); putAscii("\""); }
  putAscii(after);
}

/** env.abort: a trap raised by the program or the standard library. WASI cannot catch a trap, so the
 *  program ends here (design note), after the line weft's own host would print for the thread. */
export function __weft_wasi_abort(message: usize, file: usize, lineNo: u32, column: u32): void {
  beginLine(2);
  if (currentThread != 0) putThreadName(changetype<Thread>(currentThread), " died: ");
  else putAscii("the scheduler trapped: ");
  putString(message != 0 ? message : changetype<usize>("abort"));
  if (file != 0) {
    putAscii(" ("); putString(file); putAscii(":"); putInt(lineNo); putAscii(":"); putInt(column); putAscii(")");
  }
  endLine();
  beginLine(2);
  putAscii("weft: a trap ends a WASI program (WASI cannot catch it); exit code 1");
  endLine();
  proc_exit(1);
  unreachable();
}

/** env.seed: Math.random's seed, from the runtime's random source. */
export function __weft_wasi_seed(): f64 {
  if (random_get(scratch, 8) != 0) return clockMs(CLOCK_REALTIME);
  return <f64>(load<u64>(scratch) >> 11);
}

/** weft.processor_start: only a 1:1 run asks for processors, and a WASI module is never one. */
export function __weft_wasi_processor_start(index: i32): void {
  beginLine(2); putAscii("weft: the core asked for processor "); putInt(index); putAscii(", but a WASI run has one"); endLine();
  proc_exit(1);
}

/** weft.frames: a backtrace is taken only when weft's own host probes a thread, which a WASI run has not. */
export function __weft_wasi_frames(t: usize): void {}

/** weft.io_submit: every call is answered at once (SUBMIT_DONE, 0): WASI preview 1 completes nothing later. */
export function __weft_wasi_io_submit(request: usize): i32 {
  let r = changetype<IoRequest>(request);
  r.result = wasiIoCall(r);
  return 0;
}


// ---- the loop -----------------------------------------------------------------------------------------

const WAIT_NAMES: string[] = [
  "futex", "mutex", "cond", "rwlock", "semaphore", "barrier", "once", "waitgroup", "channel send",
  "channel receive", "select", "join", "sleep", "io", "sigwait", "rwlock write",
];
const STATE_NAMES: string[] = ["free", "runnable", "running", "blocked", "sleeping", "exited", "trapped"];

/** The report weft's own host prints (host/kernel/inspect.ts, deadlockReport), on stderr. */
function deadlockReport(): void {
  beginLine(2);
  putAscii("deadlock: every thread is blocked and nothing can wake them");
  endLine();
  let slots = threadTableUsed();
  for (let slot: u32 = 1; slot < slots; slot++) {
    let t = threadAt(slot);
    if (t == 0) continue;
    let thread = changetype<Thread>(t);
    let state = thread.state;
    if (state != 1 && state != 3 && state != 4) continue;
    beginLine(2);
    putAscii("  ");
    putThreadName(thread, ": ");
    putAscii(STATE_NAMES[state]);
    if (state == 3 || state == 4) {
      let kind = thread.waitKind;
      putAscii(" on ");
      if (kind == 11) {
        putAscii("join of thread ");
        putInt(load<i32>(thread.waitAddr - offsetof<Thread>("state") + offsetof<Thread>("id")));
      } else {
        putAscii(kind >= 0 && kind < WAIT_NAMES.length ? WAIT_NAMES[kind] : "futex");
        putAscii(" at ");
        putHex(<u32>thread.waitAddr);
      }
    }
    endLine();
  }
}

/** What _start does (the generated entry calls it with weft_start's result, after the program's
 *  top-level initialisers). Never returns: the program ends with proc_exit. */
export function wasiRun(started: i32): void {
  if (started <= 0) {
    beginLine(2); putAscii("could not start main: spawn returned "); putInt(started); endLine();
    proc_exit(1);
  }
  while (true) {
    let reason = weft_run();
    if (reason == 3 || reason == 4) continue;   // RUN_AGAIN, RUN_POLL
    if (reason == 1) {                          // RUN_WAIT: until the earliest sleeper is due
      let at = weft_wake_at();
      if (at == Infinity) {
        beginLine(2); putAscii("weft: every thread waits on I/O that WASI never completes"); endLine();
        proc_exit(1);
      }
      sleepMs(at - __weft_wasi_now());
      continue;
    }
    if (reason == 0) {                          // RUN_EXITED
      let error = mainErrorMessage();
      if (error != 0) { beginLine(2); putString(error); endLine(); }
      proc_exit(mainDied || error != 0 ? 1 : <u32>mainExitValue());
    }
    if (reason == 2) { deadlockReport(); proc_exit(3); }
    beginLine(2); putAscii("weft_run returned an unknown reason "); putInt(reason); endLine();
    proc_exit(1);
  }
}
