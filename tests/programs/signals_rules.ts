// POSIX's delivery rules one by one (tests/signals.test.ts runs this in N:1 and on processors): each case
// prints key=value lines whose values do not depend on timing. Threads are sent a signal only once they
// are seen blocked or asleep (blockedOrAsleep), so that the interruption, not a race, is what is tested.
import {
  spawn, join, sleep, yieldNow, print, self, futexWait, futexWake, Mutex, Cond, Channel, ThreadLocal, threadStats,
  FUTEX_WOKEN, FUTEX_INTERRUPTED, sigaction, sigignore, sigdefault, sigprocmask, sigpending, sigmask, sigset, raise,
  kill, pthreadKill, sigwait, sigtimedwait, alarm, cpuTimer, sigbit, SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, SA_RESTART,
  SA_NODEFER, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGCHLD, SIGKILL, SIGSTOP, SIGRTMIN, EINVAL, EAGAIN, EINTR, ENOTSUP,
} from "weft";
import { Counter } from "./lib/counter";

const WORD: usize = memory.data(16, 16);
const ran = new Counter();            // handler runs, all signals
let lastThread: i32 = 0;              // the thread the last handler ran on
let lastTls: i32 = 0;                 // what it read from its TLS
let log = "";                         // the order of nested handlers
const tls = new ThreadLocal<i32>();

function onSignal(sig: i32): void {
  ran.inc();
  lastThread = self();
  lastTls = tls.get();
}

function blockedOrAsleep(id: i32): void {
  while (true) {
    let s = threadStats(id);
    if (s !== null && (s.state == "blocked" || s.state == "sleeping")) return;
    sleep(1);
  }
}

// ── handlers run where they should ──

function tlsHolder(arg: usize): i32 {
  tls.set(<i32>arg);
  store<i32>(WORD, 0);
  futexWait(WORD, 0);                 // interrupted: its handler runs first, then the wait says so
  return self();
}

function caseTarget(): void {
  sigaction(SIGUSR1, onSignal);
  tls.set(1);
  let before = ran.get();
  raise(SIGUSR1);
  print("raise_ran_before_return=" + (ran.get() - before).toString());
  print("raise_on_self=" + (lastThread == self() ? "yes" : "no"));
  let t = spawn(tlsHolder, 77);
  blockedOrAsleep(t);
  pthreadKill(t, SIGUSR1);
  let id = join(t).value;
  print("thread_directed_on_target=" + (lastThread == id ? "yes" : "no"));
  print("handler_sees_target_tls=" + lastTls.toString());
}

// ── masks: pending while blocked, delivered on unblock ──

let childMask: u64 = 0;
function maskReader(arg: usize): i32 { childMask = sigmask(); return 0; }

function blocker(arg: usize): i32 {
  sigprocmask(SIG_BLOCK, sigbit(SIGUSR2));
  store<i32>(WORD, 0);
  futexWait(WORD, 0);                 // woken by main once it looked at the pending sets
  let mine = (sigpending() & sigbit(SIGUSR2)) != 0;
  let before = ran.get();
  sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR2));
  print("thread_pending_then_delivered=" + (mine && ran.get() - before == 1 && lastThread == self() ? "yes" : "no"));
  return 0;
}

function caseMasks(): void {
  sigaction(SIGUSR1, onSignal);
  sigaction(SIGUSR2, onSignal);
  sigprocmask(SIG_BLOCK, sigbit(SIGUSR1));
  join(spawn(maskReader));
  print("mask_inherited=" + (childMask == sigbit(SIGUSR1) ? "yes" : "no"));
  let before = ran.get();
  kill(0, SIGUSR1);                   // every thread blocks it: pending for the process
  print("blocked_everywhere_pending=" + ((sigpending() & sigbit(SIGUSR1)) != 0 && ran.get() == before ? "yes" : "no"));
  sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR1));
  print("delivered_on_unblock=" + (ran.get() - before).toString());
  print("nothing_left_pending=" + (sigpending() == 0 ? "yes" : "no"));
  // Thread-directed to a thread that blocks it: pending for that thread only.
  let t = spawn(blocker);
  blockedOrAsleep(t);
  pthreadKill(t, SIGUSR2);
  print("not_pending_for_others=" + ((sigpending() & sigbit(SIGUSR2)) == 0 ? "yes" : "no"));
  store<i32>(WORD, 1);
  futexWake(WORD, 1);
  join(t);
  print("unblockable_stay_unblocked=" + ((sigprocmask(SIG_SETMASK, <u64>-1) == 0 && (sigmask() & (sigbit(SIGKILL) | sigbit(SIGSTOP))) == 0) ? "yes" : "no"));
  sigprocmask(SIG_SETMASK, 0);
  print("bad_how=" + (sigprocmask(7, 0) == -EINVAL ? "EINVAL" : "accepted"));
}

// A thread that never met a signal (no signal block of its own) takes a process-directed one.
let freshGot = 0;
function onFresh(sig: i32): void { freshGot = self(); }
function fresh(arg: usize): i32 { store<i32>(WORD, 0); futexWait(WORD, 0); return self(); }

function caseFresh(): void {
  sigaction(SIGUSR2, onFresh);
  let t = spawn(fresh);               // main's mask is empty: the thread gets no block
  blockedOrAsleep(t);
  sigprocmask(SIG_BLOCK, sigbit(SIGUSR2));
  kill(0, SIGUSR2);
  let id = join(t).value;
  sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR2));
  print("fresh_thread_took_it=" + (freshGot == id ? "yes" : "no"));
}

// ── ignoring ──

function caseIgnore(): void {
  sigignore(SIGUSR1);
  let before = ran.get();
  raise(SIGUSR1);
  sigprocmask(SIG_BLOCK, sigbit(SIGUSR2));
  raise(SIGUSR2);
  sigignore(SIGUSR2);                 // ignoring discards what is pending
  sigaction(SIGUSR1, onSignal);
  sigaction(SIGUSR2, onSignal);
  sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR2));
  print("ignored_discarded=" + (ran.get() == before && sigpending() == 0 ? "yes" : "no"));
  sigdefault(SIGCHLD);
  raise(SIGCHLD);                     // default action: ignore
  print("sigchld_default_ignored=yes");
  print("catch_sigkill=" + (sigaction(SIGKILL, onSignal) == -EINVAL ? "EINVAL" : "accepted"));
  print("bad_number=" + (kill(0, 65) == -EINVAL && raise(0 - 1) == -EINVAL ? "EINVAL" : "accepted"));
}

// ── interrupted calls: EINTR, SA_RESTART, what is never interrupted ──

let waitResult: i32 = -1;
let sleptLeft: f64 = -1;
function futexWaiter(arg: usize): i32 { store<i32>(WORD, 0); waitResult = futexWait(WORD, 0); return 0; }
function sleeper(arg: usize): i32 { sleptLeft = sleep(10000); return 0; }

const mutex = new Mutex();
const cond = new Cond();
let locked = false;
function mutexWaiter(arg: usize): i32 { mutex.lock(); locked = true; mutex.unlock(); return 0; }
let condResult: i32 = -1;
function condWaiter(arg: usize): i32 { mutex.lock(); condResult = cond.wait(mutex); mutex.unlock(); return 0; }
const channel = new Channel<i32>(0);
let received: i32 = 0;
function receiver(arg: usize): i32 { received = channel.recv(); return 0; }

function caseInterrupt(): void {
  sigaction(SIGUSR1, onSignal);
  let t = spawn(futexWaiter);
  blockedOrAsleep(t);
  let before = ran.get();
  pthreadKill(t, SIGUSR1);
  join(t);
  print("futex_eintr=" + (waitResult == FUTEX_INTERRUPTED && ran.get() - before == 1 ? "yes" : "no"));

  sigaction(SIGUSR1, onSignal, SA_RESTART);
  t = spawn(futexWaiter);
  blockedOrAsleep(t);
  before = ran.get();
  pthreadKill(t, SIGUSR1);
  while (ran.get() == before) sleep(1);
  blockedOrAsleep(t);                 // the handler ran and the wait went on
  store<i32>(WORD, 1);
  futexWake(WORD, 1);
  join(t);
  print("futex_sa_restart=" + (waitResult == FUTEX_WOKEN ? "restarted" : "returned " + waitResult.toString()));

  t = spawn(sleeper);
  blockedOrAsleep(t);
  pthreadKill(t, SIGUSR1);            // SA_RESTART or not, sleep returns what was left
  join(t);
  print("sleep_returns_left=" + (sleptLeft > 0 && sleptLeft <= 10000 ? "yes" : "no"));

  mutex.lock();
  t = spawn(mutexWaiter);
  blockedOrAsleep(t);
  before = ran.get();
  pthreadKill(t, SIGUSR1);
  while (ran.get() == before) sleep(1);
  blockedOrAsleep(t);
  print("mutex_not_interrupted=" + (!locked ? "yes" : "no"));
  mutex.unlock();
  join(t);
  print("mutex_then_locked=" + (locked ? "yes" : "no"));

  sigaction(SIGUSR1, onSignal);       // no SA_RESTART: a cond wait still returns 0 (a spurious wake-up)
  t = spawn(condWaiter);
  blockedOrAsleep(t);
  pthreadKill(t, SIGUSR1);
  join(t);
  print("cond_wait_returns=" + condResult.toString());

  t = spawn(receiver);
  blockedOrAsleep(t);
  before = ran.get();
  pthreadKill(t, SIGUSR1);
  while (ran.get() == before) sleep(1);
  channel.send(42);                   // the receive went on waiting after the handler
  join(t);
  print("channel_recv_after_handler=" + received.toString());
}

// ── a thread that never blocks: its handler runs at its next safepoint (or switch-in, on one processor) ──

const stop = new Counter();
function onStop(sig: i32): void { stop.inc(); }
function spinUntilStopped(arg: usize): i32 {
  let x: u32 = 1;
  while (stop.get() == 0) x = x * 1664525 + 1013904223;
  return <i32>(x & 1);
}

function caseSpinner(): void {
  sigaction(SIGUSR2, onStop);
  let t = spawn(spinUntilStopped);
  while (true) {                      // it has started (and is running, or preempted)
    let s = threadStats(t);
    if (s !== null && s.switches > 0) break;
    sleep(1);
  }
  pthreadKill(t, SIGUSR2);
  join(t);
  print("spinner_stopped_by_handler=" + stop.toString());
}

// ── handlers that nest, defer and switch ──

function outer(sig: i32): void {
  log += "outer(";
  raise(SIGUSR2);                     // not in its mask: runs now, inside
  raise(SIGUSR1);                     // its own signal is blocked while it runs: after it returns
  log += ")";
}
function inner(sig: i32): void { log += sig == SIGUSR2 ? "usr2" : "usr1-again"; }
function outerOnce(sig: i32): void { sigaction(SIGUSR1, inner); outer(sig); }

let depth = 0;
function recur(sig: i32): void {
  if (depth++ == 0) { log += "a("; raise(SIGUSR1); log += ")"; }
  else log += "b";
}

let sleptInHandler = false;
function sleepy(sig: i32): void { sleep(5); sleptInHandler = true; }
let others = 0;
function other(arg: usize): i32 { for (let i = 0; i < 3; i++) { others++; yieldNow(); } return 0; }

function caseNesting(): void {
  sigaction(SIGUSR2, inner);
  sigaction(SIGUSR1, outerOnce);
  raise(SIGUSR1);
  print("nested=" + log);
  log = "";
  depth = 0;
  sigaction(SIGUSR1, recur);
  raise(SIGUSR1);
  print("deferred=" + log);
  log = "";
  depth = 0;
  sigaction(SIGUSR1, recur, SA_NODEFER);
  raise(SIGUSR1);
  print("nodefer=" + log);
  sigaction(SIGUSR1, sleepy);
  let t = spawn(other);
  raise(SIGUSR1);                     // the handler sleeps: the others run meanwhile
  join(t);
  print("handler_switched=" + (sleptInHandler && others == 3 ? "yes" : "no"));
}

// ── sigwait, real-time queues, merging ──

let waited = new Array<i32>();
function waiter(arg: usize): i32 {
  for (let i: usize = 0; i < arg; i++) waited.push(sigwait(sigset(SIGUSR1, SIGRTMIN)));
  return 0;
}

function caseSigwait(): void {
  sigprocmask(SIG_BLOCK, sigset(SIGUSR1, SIGRTMIN));
  let t = spawn(waiter, 1);
  blockedOrAsleep(t);
  kill(0, SIGUSR1);                   // everybody blocks it; the waiter takes it
  join(t);
  print("sigwait_took=" + waited.join(","));
  waited = new Array<i32>();
  for (let i = 0; i < 5; i++) kill(0, SIGUSR1);
  for (let i = 0; i < 5; i++) kill(0, SIGRTMIN);
  join(spawn(waiter, 6));             // one SIGUSR1 (merged), five SIGRTMIN (queued), lowest first
  print("merged_and_queued=" + waited.join(","));
  print("timed_out=" + (sigtimedwait(sigbit(SIGUSR1), 5) == -EAGAIN ? "EAGAIN" : "other"));
  print("empty_set=" + (sigwait(0) == -EINVAL ? "EINVAL" : "other"));
  sigprocmask(SIG_SETMASK, 0);
}

// ── a storm: 100 threads send 100 each to one sigwait thread ──

const counted = new Counter();
function stormWaiter(arg: usize): i32 {
  while (counted.get() < <i32>arg) {
    if (sigwait(sigbit(SIGRTMIN + 1)) == SIGRTMIN + 1) counted.inc();
  }
  return 0;
}
function stormSender(arg: usize): i32 {
  for (let i = 0; i < 100; i++) { kill(0, SIGRTMIN + 1); if ((i & 7) == 0) yieldNow(); }
  return 0;
}

function caseStorm(): void {
  sigprocmask(SIG_BLOCK, sigbit(SIGRTMIN + 1));
  let w = spawn(stormWaiter, 10000);
  let senders = new Array<i32>();
  for (let i = 0; i < 100; i++) senders.push(spawn(stormSender));
  for (let i = 0; i < senders.length; i++) join(senders[i]);
  join(w);
  print("storm_counted=" + counted.toString());
  sigprocmask(SIG_SETMASK, 0);
}

// ── timers that signal ──

let alarmRang = 0;
function onAlarm(sig: i32): void { alarmRang++; }
let cpuFired = 0;
function onCpu(sig: i32): void { cpuFired++; }
function spinner(arg: usize): i32 {
  if (cpuTimer(20) == -ENOTSUP) { cpuFired = -1; return 0; }  // 1:1: no ticks
  let x: u32 = 1;
  while (cpuFired == 0) x = x * 1664525 + 1013904223;
  return <i32>(x & 1);
}

function caseTimers(): void {
  sigaction(SIGALRM, onAlarm);
  print("alarm_first=" + alarm(100).toString());
  let left = alarm(0.05);             // replaces it: about 100 s were left
  print("alarm_replaced_left=" + (left > 99 && left <= 100 ? "yes" : "no"));
  let slept = sleep(10000);           // the alarm's signal comes to main (it does not block it)
  print("alarm_interrupted_sleep=" + (alarmRang == 1 && slept > 0 ? "yes" : "no"));
  sigaction(SIGVTALRM, onCpu);
  join(spawn(spinner));
  print("cpu_timer_fired=" + (cpuFired == -1 ? "ENOTSUP" : cpuFired.toString()));
  print("bad_alarm=" + (alarm(-1) == -EINVAL ? "EINVAL" : "accepted"));
}

export function main(): i32 {
  caseTarget();
  caseMasks();
  caseFresh();
  caseIgnore();
  caseInterrupt();
  caseSpinner();
  caseNesting();
  caseSigwait();
  caseStorm();
  caseTimers();
  print("eintr_is=" + EINTR.toString());
  return 0;
}
