// What weft imports from its host (module "weft"). host/abi.ts lists the same names; tests/abi.test.ts
// checks that a built module imports exactly these.

/** Monotonic clock in milliseconds (performance.now()). */
// @ts-ignore: decorator
@external("weft", "now")
export declare function hostNow(): f64;

/** Wall clock in milliseconds since the Unix epoch (Date.now()). */
// @ts-ignore: decorator
@external("weft", "wall")
export declare function hostWall(): f64;

/** Writes the UTF-16 string at `ptr` (`len` code units) to stream `fd` (1 stdout, 2 stderr) as a line. */
// @ts-ignore: decorator
@external("weft", "write")
export declare function hostWrite(fd: i32, ptr: usize, len: i32): void;

/** Tells the host that thread `t` (its record) died: trapped, overflowed, or could not be kept. The
 *  record still holds its id, name and error. Called once per death, never on a fast path. */
// @ts-ignore: decorator
@external("weft", "died")
export declare function hostThreadDied(t: usize): void;

/** 1:1 (shared builds): asks the host to start processor `index` (a Worker) for a thread just spawned
 *  and pinned to it. Called with no lock held. */
// @ts-ignore: decorator
@external("weft", "processor_start")
export declare function hostProcessorStart(index: i32): void;

/** A backtrace: the host takes a stack trace of the engine's stack, on which thread `t`'s frames stand
 *  for the moment (inspect.ts, "Backtraces"). Called only while the host probes a parked thread. */
// @ts-ignore: decorator
@external("weft", "frames")
export declare function hostFrames(t: usize): void;
