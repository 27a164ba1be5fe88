// Signals from outside a weft program: the host's half of assembly/core/signal.ts.
//
//   const signals = new WeftSignals();
//   const done = run(wasm, { signals });          // or runShared(wasm, { signals, processors: 2 })
//   signals.raise("SIGTERM");                     // a thread that does not block it takes it
//   const stop = signals.forwardProcess();        // Node: the process's SIGINT, SIGTERM, ... go to the program
//
// A run given a WeftSignals tells the core that signals may come (weft_signal_source): a thread waiting in
// sigwait then waits on the outside, as one in a system call does, and the run does not end as a deadlock
// while it waits. How a raised signal reaches the core:
//   - N:1: weft_signal(sig) sets its bit in the core's host set between two calls of the loop, and the
//     host wakes the loop if it was sleeping; the loop takes the set when it is next entered.
//   - Shared builds (M:N, 1:1): the host ORs the bit into the set in shared memory (weft_signal_word), then
//     asks processor 0 for a tick (it may be running a thread) and wakes it if it sleeps; processor 0 takes
//     the set at that tick or as it wakes, and the core wakes the thread it chooses on any processor.
// Web-standard APIs only, except forwardProcess, which uses Node's `process` where there is one.

import { WeftError } from "./weft-error.js";

/** Linux's signal numbers by name (1 … 31; SIGRTMIN+n is 34 + n, up to 64). */
export const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19,
  SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28,
  SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};
export const SIGRTMIN = 34, SIGRTMAX = 64;

/** The name of signal `n` ("SIGINT", "SIGRTMIN+2"), or "signal n". */
export function signalName(n: number): string {
  for (const [name, value] of Object.entries(SIGNAL_NUMBERS)) if (value === n) return name;
  if (n >= SIGRTMIN && n <= SIGRTMAX) return n === SIGRTMIN ? "SIGRTMIN" : `SIGRTMIN+${n - SIGRTMIN}`;
  return `signal ${n}`;
}

/** A signal given by number or name, as a number; a WeftError naming what was wrong. */
export function signalNumber(sig: number | string): number {
  if (typeof sig === "number") {
    if (Number.isInteger(sig) && sig >= 1 && sig <= SIGRTMAX) return sig;
    throw new WeftError(`a signal is a number from 1 to ${SIGRTMAX} or a name such as "SIGINT", got ${sig}`);
  }
  if (typeof sig === "string") {
    const name = sig.toUpperCase().startsWith("SIG") ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
    if (name in SIGNAL_NUMBERS) return SIGNAL_NUMBERS[name];
    const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name);
    if (rt && SIGRTMIN + Number(rt[1] ?? 0) <= SIGRTMAX) return SIGRTMIN + Number(rt[1] ?? 0);
    throw new WeftError(`unknown signal ${JSON.stringify(sig)} (names are Linux's: "SIGINT", "SIGUSR1", "SIGRTMIN+3")`);
  }
  throw new WeftError(`a signal is a number or a name such as "SIGINT", got ${typeof sig}`);
}

/** The signals Node lets a process catch that forwardProcess passes on by default. */
export const FORWARDED_BY_DEFAULT = ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGQUIT"] as const;

/** Where signals for one run come from (RunOptions.signals, SharedRunOptions.signals). Raise before the
 *  run starts and the signals wait for it; after it ends they are dropped. */
export class WeftSignals {
  private target: ((sig: number) => void) | null = null;
  private early: number[] = [];
  private ended = false;

  /** Raises `sig` (a number, or a name such as "SIGINT") for the program: one thread that does not block
   *  it takes it, chosen as Linux does, or it stays pending until one unblocks it. Throws WeftError for a
   *  bad signal. */
  raise(sig: number | string): void {
    const n = signalNumber(sig);
    if (this.ended) return;
    if (this.target) this.target(n);
    else this.early.push(n);
  }

  /** Node: passes the process's own signals (default: FORWARDED_BY_DEFAULT) to the program, in place of
   *  Node's default action, until the returned function is called or the run ends. Elsewhere: nothing. */
  forwardProcess(names: readonly string[] = FORWARDED_BY_DEFAULT): () => void {
    const proc = (globalThis as { process?: { on?: Function; off?: Function } }).process;
    if (typeof proc?.on !== "function") return () => {};
    const listeners = names.map((name) => {
      signalNumber(name);
      const listener = () => this.raise(name);
      proc.on!(name, listener);
      return [name, listener] as const;
    });
    const stop = () => { for (const [name, listener] of listeners) proc.off!(name, listener); };
    this.stops.push(stop);
    return stop;
  }
  private stops: (() => void)[] = [];

  /** The runner: signals go to `deliver` from now on (those raised before go now). */
  attach(deliver: (sig: number) => void): void {
    if (this.target) throw new WeftError("this WeftSignals already belongs to a run: make one per run");
    this.target = deliver;
    for (const n of this.early.splice(0)) deliver(n);
  }

  /** The runner: exec put another image in the process's place; signals go to it. */
  retarget(deliver: (sig: number) => void): void {
    if (this.target) this.target = deliver;
  }

  /** The runner: the run ended; forwarding stops, later signals are dropped. */
  detach(): void {
    this.ended = true;
    this.target = null;
    for (const stop of this.stops.splice(0)) stop();
  }
}

/** Where a shared run raises signals (processor 0 reports them as it becomes ready). */
export interface SignalAddresses {
  /** The core's host signal set (u64). */
  word: number;
  /** Processor 0's idle words (its wake word, its asleep flag, the idle count) and the tick words. */
  idleWord: number;
  idleAsleep: number;
  idleCount: number;
  /** Processor 0's turn flag (IDLE_TURN): 1 asks its loop to return to its host soon. */
  idleTurn: number;
  requests: number;
}

/** Raises `sig` in a shared run (see the design note). Atomics only: safe from any thread. */
export function raiseShared(memory: WebAssembly.Memory, at: SignalAddresses, sig: number): void {
  const words = new Int32Array(memory.buffer);
  const bit = sig - 1;
  Atomics.or(words, (at.word >> 2) + (bit >> 5), 1 << (bit & 31));
  nudgeProcessor0(words, at);
}

/** Asks processor 0 of a shared run for a turn of its host (a debugger's pause: host/kernel/debug.ts):
 *  its loop returns at its next tick, or at once if it sleeps. Atomics only: safe from any thread. */
export function turnShared(memory: WebAssembly.Memory, at: SignalAddresses): void {
  const words = new Int32Array(memory.buffer);
  Atomics.store(words, at.idleTurn >> 2, 1);
  nudgeProcessor0(words, at);
}

/** After a word for processor 0 was set: a tick for it, and a wake-up if it sleeps. */
function nudgeProcessor0(words: Int32Array, at: SignalAddresses): void {
  // A tick for processor 0 (tick words: raised at 0, request i at 16 + 4 × (PROCESSORS_MAX + i)).
  const request = (at.requests >> 2) + 4 + 1024;
  if (Atomics.exchange(words, request, 1) === 0) Atomics.add(words, at.requests >> 2, 1);
  // And a wake-up if it sleeps (assembly/core/processor.ts, "Idle processors").
  if (Atomics.exchange(words, at.idleAsleep >> 2, 0) === 1) {
    Atomics.sub(words, at.idleCount >> 2, 1);
    Atomics.add(words, at.idleWord >> 2, 1);
    Atomics.notify(words, at.idleWord >> 2);
  }
}
