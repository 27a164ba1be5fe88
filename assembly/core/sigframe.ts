// Signal frames: a handler runs on its thread (signal.ts's design note, "Delivery"). The loop, switching
// in a thread with a signal it may take, pushes a frame that keeps what the switch would have resumed
// and calls the handler as the thread's new entry (signalEnter); when the handler returns, the loop pops
// the frame and the thread goes on where it was (signalReturn). Guarded by the scheduler lock.

import {
  Thread, STATE_RUNNABLE, FLAG_STARTED, FLAG_FINISHING, FLAG_SIGNAL, FROM_RUNNING, transition, flagsSet, flagsClear,
} from "./layout";
import { schedLockTake, schedLockDrop } from "./processor";
import { runQueuePushFront } from "./runqueue";
import { heapTryAlloc, heapFree } from "../runtime/index";
import { SIGRTMIN, SIG_DFL, SIG_IGN, SA_RESTART, SA_NODEFER, SA_RESETHAND, UNBLOCKABLE, sigbit, realTime } from "./signum";
import {
  SignalBlock, BLOCK_RT, actionAt, handlerOf, fatal, terminate, signalBlockOf, dequeue, signalRecalc,
} from "./signal";

// ╒═══ signal frame (48 bytes, heap; one per handler a thread is running) ═══╕
//   0 │ saveArea   usize  the interrupted code's save area (what the switch would have rewound)
//   4 │ saveBytes  u32    its size
//   8 │ mask       u64    the thread's mask before the handler (restored by signalReturn)
//  16 │ spFromTop  usize  stackTop - stackPointer: the handler may grow (move) the stack
//  20 │ entry      usize  the thread's entry and argument
//  24 │ arg        usize
//  28 │ flags      u32    FLAG_STARTED | FLAG_FINISHING as they were
//  32 │ prev       usize  the frame this one interrupted (nested handlers)
//  36 │ sig        i32    the signal
//  40 │ errno      i32    the thread's errno before the handler (restored)
// ╘═══════════════════════════════════════════════════════════════════════════╛
@unmanaged class SignalFrame {
  saveArea: usize;
  saveBytes: u32;
  mask: u64;
  spFromTop: usize;
  entry: usize;
  arg: usize;
  flags: u32;
  prev: usize;
  sig: i32;
  errno: i32;
}
// @ts-ignore: decorator
@inline const SIGNAL_FRAME_SIZE: usize = 48;

/** Frees what a finished thread kept for signals: its handlers' frames (and the save areas they hold). */
export function signalRelease(t: Thread): void {
  let b = changetype<SignalBlock>(t.signals);
  let f = b.frames;
  while (f != 0) {
    let frame = changetype<SignalFrame>(f);
    if (frame.saveArea != 0) heapFree(frame.saveArea);
    let prev = frame.prev;
    heapFree(f);
    f = prev;
  }
  b.frames = 0;
}

/** The loop, switching in `t` whose sigWake is set: takes the signal it may take now and, if it has a
 *  handler, pushes a signal frame so that the switch calls signalTrampoline instead of resuming the thread
 *  (design note, "Delivery"). A thread in sigwait takes the signals it waits for there instead. */
export function signalEnter(t: Thread): void {
  schedLockTake();
  let b = signalBlockOf(t);                   // (a process-directed signal may find a thread with none)
  let sig = 0;
  if (b !== null) {
    let allowed = ~b.mask & ~b.waitSet;
    sig = dequeue(t, b, allowed);
    if (sig != 0 && !pushFrame(t, b, sig)) {
      // No memory for the frame: the signal goes back and the thread runs on; the next switch tries again.
      if (realTime(sig)) { let c = changetype<usize>(b) + BLOCK_RT + (<usize>(sig - SIGRTMIN) << 2); store<u32>(c, load<u32>(c) + 1); }
      b.pending |= sigbit(sig);
      schedLockDrop();
      return;
    }
  }
  signalRecalc(t);
  schedLockDrop();
}

/** Pushes the frame for `sig` onto `t` (the record above); false when memory is exhausted. */
function pushFrame(t: Thread, b: SignalBlock, sig: i32): bool {
  let f = heapTryAlloc(SIGNAL_FRAME_SIZE);
  if (f == 0) return false;
  let frame = changetype<SignalFrame>(f);
  let action = actionAt(sig);
  let flags = load<u32>(action, 4);
  frame.saveArea = t.saveArea;
  frame.saveBytes = t.saveBytes;
  frame.mask = b.mask;
  frame.spFromTop = t.stackTop - t.stackPointer;
  frame.entry = t.entry;
  frame.arg = t.arg;
  frame.flags = t.flags & (FLAG_STARTED | FLAG_FINISHING);
  frame.prev = b.frames;
  frame.sig = sig;
  frame.errno = t.errno;
  b.frames = f;
  b.mask |= (load<u64>(action, 8) | ((flags & SA_NODEFER) ? 0 : sigbit(sig))) & ~UNBLOCKABLE;
  if ((flags & SA_RESTART) == 0) b.restart = 0;
  if ((flags & SA_RESETHAND) != 0 && handlerOf(sig) > SIG_IGN) { store<usize>(action, SIG_DFL); store<u32>(action, 0, 4); }
  t.saveArea = 0;
  t.saveBytes = 0;
  t.entry = changetype<usize>(TRAMPOLINE);
  t.arg = f;
  flagsClear(t, FLAG_STARTED | FLAG_FINISHING);
  flagsSet(t, FLAG_SIGNAL);
  return true;
}

/** A handler's thread entry: calls the handler (or carries out the default action it stands for). */
function signalTrampoline(f: usize): i32 {
  let sig = changetype<SignalFrame>(f).sig;
  let handler = handlerOf(sig);
  if (handler > SIG_IGN) call_indirect<void>(load<u32>(handler), sig);
  else if (handler == SIG_DFL && fatal(sig)) {
    // The disposition went back to SIG_DFL between generation and delivery (SA_RESETHAND, sigaction).
    schedLockTake();
    terminate(sig);
    schedLockDrop();
  }
  return 0;
}
// @ts-ignore: decorator
@lazy const TRAMPOLINE: (f: usize) => i32 = signalTrampoline;

/** The loop: `t`'s handler returned (its entry, signalTrampoline, did). Pops the frame, giving back the
 *  interrupted code's save area, entry, flags, stack pointer, mask and errno, and queues `t` at the front
 *  of its level: it resumes where it was at its next switch (a further pending signal runs its handler
 *  first). */
export function signalReturn(t: Thread): void {
  schedLockTake();
  let b = changetype<SignalBlock>(t.signals);
  let f = b.frames;
  let frame = changetype<SignalFrame>(f);
  if (t.saveArea != 0) heapFree(t.saveArea);   // the handler's own, from a switch inside it
  t.saveArea = frame.saveArea;
  t.saveBytes = frame.saveBytes;
  t.stackPointer = t.stackTop - frame.spFromTop;
  t.entry = frame.entry;
  t.arg = frame.arg;
  flagsClear(t, (FLAG_STARTED | FLAG_FINISHING) & ~frame.flags);   // the handler's run set FLAG_STARTED
  flagsSet(t, frame.flags);
  t.errno = frame.errno;
  b.mask = frame.mask;
  b.frames = frame.prev;
  if (b.frames == 0) flagsClear(t, FLAG_SIGNAL);
  heapFree(f);
  signalRecalc(t);
  transition(t, FROM_RUNNING, STATE_RUNNABLE);
  runQueuePushFront(t);
  schedLockDrop();
}
