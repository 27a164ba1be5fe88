// Pipes across fork and kill between processes (tests/processes.test.ts): a parent reads its child's
// output through a pipe, each closing the end it does not use; a parent signals its child and a child
// its parent.
import {
  print, fork, waitpid, pipe, kill, getppid, close, read, write, writeString, sigprocmask, sigwait, sigaction, sigset,
  SIG_BLOCK, SA_RESTART, SIGUSR1, SIGUSR2, WEXITSTATUS, EPIPE, EBADF, ESRCH, sleep,
} from "weft";

const status = new StaticArray<i32>(1);
let usr2 = 0;
function onUsr2(sig: i32): void { usr2++; }

export function main(): i32 {
  // A parent reads what its child writes.
  let fds = new StaticArray<i32>(2);
  print("pipe=" + pipe(fds).toString());
  let pid = fork();
  if (pid == 0) {
    close(fds[0]);
    for (let i = 1; i <= 3; i++) { writeString(fds[1], "line " + i.toString() + " from the child\n"); sleep(2); }
    close(fds[1]);
    return 0;
  }
  close(fds[1]);                      // else the read end never sees the end: this process could still write
  let text = "";
  let buffer = new Uint8Array(64);
  while (true) {
    let n = read(fds[0], buffer);
    if (n <= 0) { print("read_end=" + n.toString()); break; }
    text += String.UTF8.decode(buffer.buffer.slice(0, n));
  }
  close(fds[0]);
  print("read_from_child=" + text.replaceAll("\n", "|"));
  waitpid(pid, status);
  print("child_exit=" + WEXITSTATUS(status[0]).toString());

  // No read end left: the writer is told.
  let p2 = new StaticArray<i32>(2);
  pipe(p2);
  close(p2[0]);
  print("write_no_reader=" + (write(p2[1], new Uint8Array(4)) == -EPIPE ? "EPIPE" : "other"));
  close(p2[1]);
  print("closed_twice=" + (close(p2[1]) == -EBADF ? "EBADF" : "other"));

  // kill: the parent signals its child (which waits for it in sigwait), the child its parent.
  sigaction(SIGUSR2, onUsr2, SA_RESTART);     // waitpid below may be waiting when it comes: it goes on
  sigprocmask(SIG_BLOCK, sigset(SIGUSR1));
  pid = fork();
  if (pid == 0) {
    kill(getppid(), SIGUSR2);
    return sigwait(sigset(SIGUSR1));  // exits with the signal's number
  }
  print("kill_child=" + kill(pid, SIGUSR1).toString());
  waitpid(pid, status);
  print("child_got=" + WEXITSTATUS(status[0]).toString());
  print("parent_got_usr2=" + usr2.toString());
  print("kill_gone=" + (kill(pid, SIGUSR1) == -ESRCH ? "ESRCH" : "other"));
  return 0;
}
