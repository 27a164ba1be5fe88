// A signal interrupts a system call in flight (tests/signals.test.ts, N:1 and on processors): a read of an
// empty pipe, a delay, a waitpid, an accept, a read of a socket (the run grants 127.0.0.1). Without SA_RESTART the call says EINTR after the handler ran, and
// nothing it would have read is lost; with SA_RESTART it goes on waiting after the handler, and answers
// as if nothing had happened. Each thread is signalled only once it is seen blocked (in the call).
import {
  spawn, join, sleep, print, threadStats, pipe, read, writeString, close, ioDelay, fork, waitpid, kill,
  sigaction, pthreadKill, listen, accept, connect, localAddress, SA_RESTART, SIGUSR1, SIGUSR2, SIGTERM, EINTR,
  WIFSIGNALED, WTERMSIG,
} from "weft";

let handled = 0;
function onSignal(sig: i32): void { handled++; }

function blocked(id: i32): void {
  while (true) {
    let s = threadStats(id);
    if (s !== null && s.state == "blocked") return;
    sleep(1);
  }
}

const fds = new StaticArray<i32>(2);
const buffer = new Uint8Array(16);

function text(n: i32): string { return n > 0 ? String.UTF8.decode(buffer.buffer.slice(0, n)) : n.toString(); }

/** Reads the pipe once: what it got, or the error. */
function reader(arg: usize): i32 {
  let n = read(fds[0], buffer);
  return n;
}

function delayer(arg: usize): i32 { return ioDelay(60_000); }

export function main(): i32 {
  sigaction(SIGUSR1, onSignal);                 // no SA_RESTART: calls say EINTR
  sigaction(SIGUSR2, onSignal, SA_RESTART);     // calls go on after the handler
  pipe(fds);

  // 1. A read of an empty pipe, interrupted: EINTR, the handler ran; the bytes written next are read whole.
  let r = spawn(reader);
  blocked(r);
  pthreadKill(r, SIGUSR1);
  let got = join(r).value;
  print("read_interrupted=" + (got == -EINTR ? "EINTR" : got.toString()) + " handled=" + handled.toString());
  writeString(fds[1], "first");
  r = spawn(reader);
  print("read_after=" + text(join(r).value));

  // 2. With SA_RESTART: the handler runs, the read goes on waiting, then answers what was written.
  handled = 0;
  r = spawn(reader);
  blocked(r);
  pthreadKill(r, SIGUSR2);
  while (handled == 0) sleep(1);              // the handler ran while the read was in flight
  blocked(r);                                 // and the read waits again
  writeString(fds[1], "second");
  print("read_restarted=" + text(join(r).value) + " handled=" + handled.toString());

  // 3. A delay: EINTR at once, even with SA_RESTART (nanosleep never restarts).
  let d = spawn(delayer);
  blocked(d);
  pthreadKill(d, SIGUSR2);
  let dv = join(d).value;
  print("delay_interrupted=" + (dv == -EINTR ? "EINTR" : dv.toString()));

  // 4. waitpid: interrupted without SA_RESTART; the child's status is still there for the next one.
  let pid = fork();
  if (pid == 0) { sleep(60_000); return 0; }
  let status = new StaticArray<i32>(1);
  if (pid > 0) {
    let w = spawn((arg: usize): i32 => {
      let s = new StaticArray<i32>(1);
      return waitpid(<i32>arg, s);
    }, <usize>pid);
    blocked(w);
    pthreadKill(w, SIGUSR1);
    let wv = join(w).value;
    kill(pid, SIGTERM);
    let again = waitpid(pid, status);
    print("waitpid_interrupted=" + (wv == -EINTR ? "EINTR" : wv.toString()) + " then=" +
      (again == pid && WIFSIGNALED(status[0]) ? "signal " + WTERMSIG(status[0]).toString() : again.toString()));
  } else print("waitpid_interrupted=fork " + pid.toString());

  // 5. An accept, interrupted; a socket's read with SA_RESTART, which then gets what the peer sends.
  let l = listen("127.0.0.1:0");
  if (l < 0) { print("listen=" + l.toString()); return 1; }
  let a = spawn((arg: usize): i32 => accept(<i32>arg), <usize>l);
  blocked(a);
  pthreadKill(a, SIGUSR1);
  let av = join(a).value;
  print("accept_interrupted=" + (av == -EINTR ? "EINTR" : av.toString()));
  let peer = connect(localAddress(l)!);
  let conn = accept(l);
  handled = 0;
  let sr = spawn((arg: usize): i32 => read(<i32>arg, buffer), <usize>conn);
  blocked(sr);
  pthreadKill(sr, SIGUSR2);
  while (handled == 0) sleep(1);
  blocked(sr);
  writeString(peer, "over tcp");
  print("socket_read_restarted=" + text(join(sr).value));
  close(peer);
  close(conn);
  close(l);
  close(fds[0]);
  close(fds[1]);
  return 0;
}
