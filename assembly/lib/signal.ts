// Signals for programs: dispositions, masks, sending, waiting, and the timers that signal. The calls
// keep POSIX's names and Linux's numbers; core/signal.ts says how weft delivers them.
//
//   sigaction(SIGINT, (sig) => { ... }, SA_RESTART);     a handler shared by every thread
//   sigprocmask(SIG_BLOCK, sigbit(SIGINT));              this thread's mask (a spawned thread inherits it)
//   let sig = sigwait(sigbit(SIGINT) | sigbit(SIGTERM)); the recommended pattern: block, and one thread waits
//   pthreadKill(worker, SIGUSR1);                        to one thread; raise to itself; kill (sys/process.ts)
//   alarm(2);  cpuTimer(50);                             SIGALRM to the process; SIGVTALRM to this thread
//
// Errors come back as negative errno values (-EINVAL, -ESRCH, -EAGAIN, -EINTR), as in the rest of weft.

import {
  SIGALRM, SIGVTALRM, SIGKILL, SIGSTOP, SIGRTMIN, SIGRTMAX, SIG_DFL, SIG_IGN, SIG_BLOCK, SIG_SETMASK, sigbit, validSignal,
  signalSend, signalCheckpoint, signalBlockOf, alarmAt, alarmGeneration, alarmSet,
} from "../core/signal";
import { signalAction, signalHandler, signalMask, signalMaskOf, signalPending, signalWait } from "../core/sigcalls";
import { Thread } from "../core/layout";
import { currentThread } from "../core/scheduler";
import { schedLockTake, schedLockDrop } from "../core/processor";
import { threadById, spawn, SpawnOptions } from "../core/thread";
import { futexWaitFor, futexWake, WAIT_SLEEP } from "../core/futex";
import { hostNow } from "../core/host";
import { EINVAL, ESRCH, ENOMEM, ENOTSUP } from "../core/errno";
import { isOneToOne } from "../core/processor";

export * from "../core/signum";

/** A signal handler: runs on the thread the signal went to, on its stack, with its TLS. */
export type SignalHandler = (sig: i32) => void;

const NAMES: string[] = [
  "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV",
  "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",
  "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
];

/** Signal `sig`'s name ("SIGINT", "SIGRTMIN+2"), or "signal n" for a number that names none. */
export function signalName(sig: i32): string {
  if (sig >= 1 && sig < NAMES.length) return NAMES[sig];
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + (sig - SIGRTMIN).toString();
  return "signal " + sig.toString();
}

/** The set of the given signals (0 ends the list): sigset(SIGINT, SIGTERM). */
export function sigset(a: i32, b: i32 = 0, c: i32 = 0, d: i32 = 0): u64 {
  let set: u64 = 0;
  if (validSignal(a)) set |= sigbit(a);
  if (validSignal(b)) set |= sigbit(b);
  if (validSignal(c)) set |= sigbit(c);
  if (validSignal(d)) set |= sigbit(d);
  return set;
}

/** Installs `handler` for `sig`, for every thread. `flags`: SA_RESTART, SA_NODEFER, SA_RESETHAND; `mask`:
 *  signals blocked while it runs (besides `sig` itself). 0, or -EINVAL for a bad number, SIGKILL or SIGSTOP. */
export function sigaction(sig: i32, handler: SignalHandler, flags: u32 = 0, mask: u64 = 0): i32 {
  return signalAction(sig, changetype<usize>(handler), flags, mask);
}

/** SIG_IGN: `sig` is discarded (and what is pending of it). 0 or -EINVAL. */
export function sigignore(sig: i32): i32 { return signalAction(sig, SIG_IGN, 0, 0); }

/** SIG_DFL: `sig` does what Linux does by default (terminate, or ignore: SIGCHLD, SIGURG, SIGWINCH, SIGCONT). */
export function sigdefault(sig: i32): i32 { return signalAction(sig, SIG_DFL, 0, 0); }

/** Whether `sig` has a handler (not SIG_DFL or SIG_IGN). */
export function sighandled(sig: i32): bool { return signalHandler(sig) > SIG_IGN; }

/** Changes the calling thread's mask: SIG_BLOCK adds `set`, SIG_UNBLOCK removes it, SIG_SETMASK replaces
 *  the mask. SIGKILL and SIGSTOP are never blocked. A pending signal it unblocks has its handler run
 *  before this returns. 0, or -EINVAL for a bad `how`. */
export function sigprocmask(how: i32, set: u64): i32 {
  if (how < SIG_BLOCK || how > SIG_SETMASK) return -EINVAL;
  signalMask(how, set);
  return 0;
}

/** The same, for the calling thread (weft's masks are always per thread, as pthread_sigmask). */
export function pthreadSigmask(how: i32, set: u64): i32 { return sigprocmask(how, set); }

/** The calling thread's mask. */
export function sigmask(): u64 { return signalMaskOf(); }

/** Signals pending for the calling thread: sent to it, or to the process, and blocked everywhere. */
export function sigpending(): u64 { return signalPending(); }

/** Sends `sig` to the calling thread; its handler runs before this returns (unless it is blocked). 0 or
 *  -EINVAL. */
export function raise(sig: i32): i32 {
  return pthreadKill(changetype<Thread>(currentThread).id, sig);
}

/** Sends `sig` to thread `id`. Signal 0 only checks that the thread exists. 0, -ESRCH or -EINVAL. */
export function pthreadKill(id: i32, sig: i32): i32 {
  if (sig != 0 && !validSignal(sig)) return -EINVAL;
  schedLockTake();
  let t = threadById(id);
  let result = t === null ? -ESRCH : (sig == 0 ? 0 : signalSend(t, sig));
  schedLockDrop();
  if (currentThread != 0) signalCheckpoint();
  return result;
}

/** Waits until one of `set` is pending, takes it and returns its number. Block the set first (in every
 *  thread: the mask is inherited), or a handler may take the signal instead. -EINVAL for an empty set. */
export function sigwait(set: u64): i32 { return signalWait(set, -1); }

/** sigwait for at most `timeoutMs`: -EAGAIN when it passes; -EINTR when a handler ran meanwhile. */
export function sigtimedwait(set: u64, timeoutMs: f64): i32 {
  if (!(timeoutMs >= 0)) return -EINVAL;
  return signalWait(set, timeoutMs);
}

// ── alarm: SIGALRM to the process ──────────────────────────────────────────────────────────────────────
//
// A timer the kernel would keep is a thread here: a detached thread named "alarm" that waits for the
// deadline on a futex word and then sends SIGALRM. It blocks every signal, so it is never chosen to take
// one. alarm() again (or alarm(0)) bumps the generation and wakes it: it sees it is stale and ends.

// @ts-ignore: decorator
@lazy const ALARM_WORD: usize = memory.data(4, 4);

/** Sends SIGALRM to the process in `seconds` (0 cancels). Returns the seconds that were left of the alarm
 *  it replaces (0 if none). -EINVAL (as a number) for a negative or NaN time; -ENOMEM if the timer
 *  cannot be made. */
export function alarm(seconds: f64): f64 {
  if (!(seconds >= 0)) return -EINVAL;
  let now = hostNow();
  let left = alarmAt > 0 ? max<f64>(0, (alarmAt - now) / 1000) : 0;
  let generation = alarmSet(seconds > 0 ? now + seconds * 1000 : 0);
  atomic.add<i32>(ALARM_WORD, 1);
  futexWake(ALARM_WORD, -1);
  if (seconds > 0) {
    let options = new SpawnOptions();
    options.name = "alarm";
    options.detached = true;
    let id = spawn(alarmMain, <usize>generation, options);
    if (id < 0) { alarmSet(0); return -ENOMEM; }
    // It blocks every signal from birth, so that no signal is ever chosen to go to it.
    schedLockTake();
    let t = threadById(id);
    let b = t !== null ? signalBlockOf(t) : null;
    if (b !== null) b.mask = <u64>-1;
    schedLockDrop();
  }
  return left;
}

function alarmMain(generation: usize): i32 {
  while (true) {
    let word = atomic.load<i32>(ALARM_WORD);
    if (alarmGeneration != <i32>generation) return 0;
    let left = alarmAt - hostNow();
    if (left <= 0) break;
    futexWaitFor(ALARM_WORD, word, left, WAIT_SLEEP);
  }
  alarmSet(0);
  schedLockTake();
  signalSend(null, SIGALRM);
  schedLockDrop();
  return 0;
}

// ── A thread's CPU timer ───────────────────────────────────────────────────────────────────────────────

/** Arms the calling thread's CPU timer: once the thread has used `ms` more of CPU time (as the ticks
 *  charge it: lib/policy.ts, cpuTime), `sig` (default SIGVTALRM) goes to this thread, and again every
 *  `intervalMs` after that if it is not 0. `ms` 0 disarms it. The kernel's setitimer cannot give one thread
 *  its own CPU clock; weft charges every tick to the thread that ran. 0, or -EINVAL / -ENOMEM; -ENOTSUP in
 *  the 1:1 model, which has no ticks (each thread has a processor of its own, and nobody samples it). */
export function cpuTimer(ms: f64, intervalMs: f64 = 0, sig: i32 = SIGVTALRM): i32 {
  if (!(ms >= 0) || !(intervalMs >= 0) || !validSignal(sig) || sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
  if (isOneToOne()) return -ENOTSUP;
  let t = changetype<Thread>(currentThread);
  schedLockTake();
  let b = signalBlockOf(t);
  if (b === null) { schedLockDrop(); return -ENOMEM; }
  b.cpuAt = ms > 0 ? t.cpu + ms : 0;
  b.cpuEvery = intervalMs;
  b.cpuSignal = sig;
  schedLockDrop();
  return 0;
}

