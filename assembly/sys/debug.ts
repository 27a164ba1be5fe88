// Seeing the threads from inside: a thread dump the host prints (host/kernel/runner.ts, WeftProgram.dump).

import { ioRequest, ioCall, IO_MODE_DEFAULT } from "./io";
import { hostTurnSoon } from "../core/scheduler";

// @ts-ignore: decorator
@inline const IO_OP_DUMP: u32 = 24;
// @ts-ignore: decorator
@inline const IO_OP_BREAK: u32 = 28;

/** Prints a thread dump to stderr, as Go does on SIGQUIT: every thread's id, name, state, what it waits
 *  on (a mutex's holder too), switches and CPU time. On processors, a snapshot: the others run on. */
export function dumpThreads(): void {
  let r = ioRequest(IO_OP_DUMP, IO_MODE_DEFAULT, -1);
  hostTurnSoon();                             // N:1: the host answers before any other thread runs
  if (r !== null) ioCall(r);
}

/** A breakpoint: stops the whole program here and calls the host's debugger hook (RunOptions.debug,
 *  `weft debug`), which may look at every thread and step them one at a time; the program goes on when it
 *  returns. Without a debugger it does nothing. N:1 (on processors it does nothing). */
export function debugBreak(): void {
  let r = ioRequest(IO_OP_BREAK, IO_MODE_DEFAULT, -1);
  hostTurnSoon();                             // the program stops before any other thread runs
  if (r !== null) ioCall(r);
}
