// Signals from the host (tests/signals.test.ts raises them once "ready" is printed): SIGHUP and SIGTERM
// are blocked everywhere and taken by one thread in sigwait, the recommended pattern; SIGUSR1 has a handler
// and goes to main, blocked in join, which takes it and joins on. (Lines "took N" and "usr1 handled" come in
// an order the processors decide.)
import { spawn, join, print, sigaction, sigprocmask, sigset, sigwait, SIG_BLOCK, SIGHUP, SIGTERM, SIGUSR1 } from "weft";

let handled = 0;
function onUsr1(sig: i32): void { handled++; print("usr1 handled"); }
let taken = new Array<i32>();

function waiter(arg: usize): i32 {
  while (true) {
    let sig = sigwait(sigset(SIGHUP, SIGTERM));
    taken.push(sig);
    print("took " + sig.toString());
    if (sig == SIGTERM) return 0;
  }
}

export function main(): i32 {
  sigaction(SIGUSR1, onUsr1);
  sigprocmask(SIG_BLOCK, sigset(SIGHUP, SIGTERM));
  let t = spawn(waiter);
  print("ready");
  join(t);
  print("sigwait_took=" + taken.join(","));
  print("usr1_handled=" + handled.toString());
  return 0;
}
