// Signal numbers, dispositions and flags: Linux's values, so that a program reads as it would in C.
// core/signal.ts delivers them; lib/signal.ts is what programs call.

// @ts-ignore: decorator
@inline export const SIGHUP: i32 = 1;
// @ts-ignore: decorator
@inline export const SIGINT: i32 = 2;
// @ts-ignore: decorator
@inline export const SIGQUIT: i32 = 3;
// @ts-ignore: decorator
@inline export const SIGABRT: i32 = 6;
// @ts-ignore: decorator
@inline export const SIGKILL: i32 = 9;
// @ts-ignore: decorator
@inline export const SIGUSR1: i32 = 10;
// @ts-ignore: decorator
@inline export const SIGUSR2: i32 = 12;
// @ts-ignore: decorator
@inline export const SIGPIPE: i32 = 13;
// @ts-ignore: decorator
@inline export const SIGALRM: i32 = 14;
// @ts-ignore: decorator
@inline export const SIGTERM: i32 = 15;
// @ts-ignore: decorator
@inline export const SIGCHLD: i32 = 17;
// @ts-ignore: decorator
@inline export const SIGCONT: i32 = 18;
// @ts-ignore: decorator
@inline export const SIGSTOP: i32 = 19;
// @ts-ignore: decorator
@inline export const SIGTSTP: i32 = 20;
// @ts-ignore: decorator
@inline export const SIGTTIN: i32 = 21;
// @ts-ignore: decorator
@inline export const SIGTTOU: i32 = 22;
// @ts-ignore: decorator
@inline export const SIGURG: i32 = 23;
// @ts-ignore: decorator
@inline export const SIGXCPU: i32 = 24;
// @ts-ignore: decorator
@inline export const SIGVTALRM: i32 = 26;
// @ts-ignore: decorator
@inline export const SIGPROF: i32 = 27;
// @ts-ignore: decorator
@inline export const SIGWINCH: i32 = 28;
/** Real-time signals: SIGRTMIN..SIGRTMAX (glibc's numbering: 32 and 33 are its own). They queue. */
// @ts-ignore: decorator
@inline export const SIGRTMIN: i32 = 34;
// @ts-ignore: decorator
@inline export const SIGRTMAX: i32 = 64;
// @ts-ignore: decorator
@inline export const NSIG: i32 = 65;

/** Dispositions (sigaction's handler argument in its raw form). */
// @ts-ignore: decorator
@inline export const SIG_DFL: usize = 0;
// @ts-ignore: decorator
@inline export const SIG_IGN: usize = 1;
/** sigaction flags (Linux's values). SA_RESTART: an interrupted call restarts after the handler instead of
 *  returning -EINTR. SA_NODEFER: the signal is not blocked while its own handler runs. SA_RESETHAND: the
 *  disposition goes back to SIG_DFL when the handler is called. */
// @ts-ignore: decorator
@inline export const SA_RESTART: u32 = 0x10000000;
// @ts-ignore: decorator
@inline export const SA_NODEFER: u32 = 0x40000000;
// @ts-ignore: decorator
@inline export const SA_RESETHAND: u32 = 0x80000000;
/** sigprocmask's `how`. */
// @ts-ignore: decorator
@inline export const SIG_BLOCK: i32 = 0;
// @ts-ignore: decorator
@inline export const SIG_UNBLOCK: i32 = 1;
// @ts-ignore: decorator
@inline export const SIG_SETMASK: i32 = 2;

/** A signal's bit in a set (u64: signal n is bit n - 1). */
// @ts-ignore: decorator
@inline export function sigbit(sig: i32): u64 { return <u64>1 << <u64>(sig - 1); }
// @ts-ignore: decorator
@inline export function validSignal(sig: i32): bool { return sig >= 1 && sig < NSIG; }
/** SIGKILL and SIGSTOP can be neither caught, ignored nor blocked. */
// @ts-ignore: decorator
@inline export const UNBLOCKABLE: u64 = (<u64>1 << <u64>(SIGKILL - 1)) | (<u64>1 << <u64>(SIGSTOP - 1));
// @ts-ignore: decorator
@inline export function realTime(sig: i32): bool { return sig >= SIGRTMIN; }

/** Default actions. Terminate: most signals (the "core" ones too: weft writes no core file). Ignore:
 *  SIGCHLD, SIGURG, SIGWINCH, and SIGCONT (whose continuing part has nothing to continue: weft does not
 *  stop). Stop: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU are not carried out (README, "Signals"): a weft
 *  program cannot be stopped, so they are ignored. */
// @ts-ignore: decorator
@inline export const DEFAULT_IGNORED: u64 = (<u64>1 << <u64>(SIGCHLD - 1)) | (<u64>1 << <u64>(SIGURG - 1)) |
  (<u64>1 << <u64>(SIGWINCH - 1)) | (<u64>1 << <u64>(SIGCONT - 1)) | (<u64>1 << <u64>(SIGSTOP - 1)) |
  (<u64>1 << <u64>(SIGTSTP - 1)) | (<u64>1 << <u64>(SIGTTIN - 1)) | (<u64>1 << <u64>(SIGTTOU - 1));

