// fork (tests/processes.test.ts): what the child gets, waitpid's statuses, the inherited-lock hazard and
// its cures (atfork, a robust mutex), SIGCHLD. Each child tells its results through its exit code and
// prints child_* lines; the parent prints the rest. Every child is waited for before the next fork.
import {
  spawn, join, sleep, print, exit, fork, waitpid, getpid, getppid, atfork, raise, sigaction, Mutex, Channel,
  WNOHANG, WIFEXITED, WEXITSTATUS, WIFSIGNALED, WTERMSIG, SIGTERM, SIGCHLD, ECHILD, EINVAL, EOWNERDEAD,
  ENOTRECOVERABLE, SA_RESTART,
} from "weft";

let counter = 100;
const held = new Mutex();
const robust = new Mutex(true);
const gate = new Channel<i32>(0);
const status = new StaticArray<i32>(1);
let chldCount = 0;
function onChld(sig: i32): void { chldCount++; }

// Holds `held` and `robust` until told (through `gate`): at each fork, another thread owns both.
function holder(arg: usize): i32 {
  held.lock();
  robust.lock();
  gate.recv();
  robust.unlock();
  held.unlock();
  return 0;
}

function waitFor(pid: i32): i32 {
  let got = waitpid(pid, status);
  return got == pid ? status[0] : -1000 + got;
}

function exitedWith(s: i32): string {
  return WIFEXITED(s) ? "exit " + WEXITSTATUS(s).toString() : WIFSIGNALED(s) ? "signal " + WTERMSIG(s).toString() : "?";
}

export function main(): i32 {
  sigaction(SIGCHLD, onChld, SA_RESTART);    // a waitpid it comes during goes on (else: EINTR)
  counter++;
  let h = spawn(holder);
  sleep(5);                           // the holder owns both mutexes now

  // 1. What the child gets: the memory as it was, one thread, its own id.
  let pid = fork();
  if (pid == 0) {
    let r = join(h);
    print("child_pids=" + (getpid() > 1 && getppid() == 1 ? "ok" : getpid().toString() + "/" + getppid().toString()));
    print("child_counter=" + counter.toString());
    print("child_join_absent=" + (r.error !== null && r.error!.includes("was not copied by fork()") ? "yes" : "no"));
    counter = 999;
    return 7;                         // main (the forker) returns: the child's exit code
  }
  print("fork_in_parent=" + (pid > 1 ? "child id" : pid.toString()));
  let s = waitFor(pid);
  print("child_status=" + exitedWith(s));
  print("parent_counter_kept=" + counter.toString());
  // SIGCHLD is sent as the child ends; on processors it reaches the program at processor 0's next look at
  // the host's signals, which may come after waitpid returned (POSIX does not order the two either).
  for (let i = 0; i < 2000 && chldCount == 0; i++) sleep(1);
  print("sigchld_after_wait=" + chldCount.toString());
  print("wait_again=" + (waitpid(pid, status) == -ECHILD ? "ECHILD" : "other"));
  print("wait_bad_options=" + (waitpid(-1, status, 8) == -EINVAL ? "EINVAL" : "other"));

  // 2. WNOHANG: polls until the child has ended; -1 waits for any child.
  pid = fork();
  if (pid == 0) { sleep(20); exit(3); }
  let polls = 0;
  let got = 0;
  while ((got = waitpid(-1, status, WNOHANG)) == 0) { polls++; sleep(2); }
  print("wnohang=" + (got == pid ? exitedWith(status[0]) : got.toString()));

  // 3. A signal's default action ends the child: the parent sees the signal.
  pid = fork();
  if (pid == 0) { raise(SIGTERM); return 0; }
  print("child_killed=" + exitedWith(waitFor(pid)));

  // 4. The hazard: the child locks a mutex its absent thread holds. Never silent: the run reports it.
  pid = fork();
  if (pid == 0) { held.lock(); print("child_never"); return 0; }
  print("hazard_child=" + exitedWith(waitFor(pid)));

  // 5. A robust mutex: EOWNERDEAD, repaired with consistent(); without it, ENOTRECOVERABLE.
  pid = fork();
  if (pid == 0) {
    let a = robust.lock();
    let c = robust.consistent();
    robust.unlock();
    let b = robust.lock();
    robust.unlock();
    print("child_robust=" + (a == EOWNERDEAD ? "EOWNERDEAD" : a.toString()) + "," + c.toString() + "," + b.toString());
    return 0;
  }
  waitFor(pid);
  pid = fork();
  if (pid == 0) {
    let a = robust.lock();
    robust.unlock();                  // not repaired
    let b = robust.lock();
    print("child_unrepaired=" + (a == EOWNERDEAD ? "EOWNERDEAD" : a.toString()) + "," + (b == ENOTRECOVERABLE ? "ENOTRECOVERABLE" : b.toString()));
    return 0;
  }
  waitFor(pid);

  // 6. The cure: atfork handlers lock before the copy and unlock after, in both processes.
  atfork(() => { held.lock(); }, () => { held.unlock(); }, () => { held.unlock(); });
  spawn((arg: usize): i32 => { gate.send(1); return 0; });   // the holder lets go; prepare then gets it
  pid = fork();
  if (pid == 0) {
    let r = held.lock();
    held.unlock();
    print("child_atfork_lock=" + r.toString());
    return 0;
  }
  print("atfork_child=" + exitedWith(waitFor(pid)));
  join(h);
  print("no_child=" + (waitpid(-1, status) == -ECHILD ? "ECHILD" : "other"));
  return 0;
}
