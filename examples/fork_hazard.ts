// fork() and the lock it copies. A worker thread holds a mutex while main forks: the child is a copy of
// the process with main alone, and the mutex is still held, by a thread the child does not have.
//   1. the child locks it anyway: weft says which thread holds it and that fork did not copy it, and the
//      child's run ends as a deadlock instead of hanging;
//   2. a robust mutex: the child's lock says EOWNERDEAD, repairs, and goes on;
//   3. the cure: atfork handlers lock the mutex before the copy and unlock it after, in both processes;
//   4. the safe alternative: posixSpawn starts a program afresh, copying nothing but descriptors.
//   npx weft run examples/fork_hazard.ts
import {
  spawn, join, sleep, print, fork, waitpid, atfork, posixSpawn, Mutex, Channel, WEXITSTATUS, EOWNERDEAD,
} from "weft";

const lock = new Mutex();
const robust = new Mutex(true);
const release = new Channel<i32>(0);
const status = new StaticArray<i32>(1);

function worker(arg: usize): i32 {            // holds both mutexes until told to let go
  lock.lock();
  robust.lock();
  release.recv();
  robust.unlock();
  lock.unlock();
  return 0;
}

function childExit(pid: i32): string {
  waitpid(pid, status);
  return "the child exited with " + WEXITSTATUS(status[0]).toString();
}

function letGo(arg: usize): i32 { release.send(1); return 0; }
function prepare(): void { lock.lock(); }      // atfork: no thread holds it across the copy
function unlockAfter(): void { lock.unlock(); }

export function main(): i32 {
  let w = spawn(worker);
  sleep(5);

  print("1. fork while the worker holds the mutex; the child locks it");
  let pid = fork();
  if (pid == 0) { lock.lock(); print("   (never printed)"); return 0; }
  print("   " + childExit(pid) + " (on stderr, weft names the lock, its owner, and why it is gone)");

  print("2. the same with a robust mutex");
  pid = fork();
  if (pid == 0) {
    let r = robust.lock();
    print("   child: lock says " + (r == EOWNERDEAD ? "EOWNERDEAD" : r.toString()) + "; it repairs what the mutex guards");
    robust.consistent();
    robust.unlock();
    return 0;
  }
  print("   " + childExit(pid));

  print("3. atfork: prepare takes the lock (waiting for the worker to let go), parent and child release it");
  atfork(prepare, unlockAfter, unlockAfter);
  spawn(letGo);
  pid = fork();
  if (pid == 0) { lock.lock(); print("   child: locked it"); lock.unlock(); return 0; }
  print("   " + childExit(pid));
  join(w);

  print("4. posixSpawn: a new program, nothing copied but the descriptors");
  pid = posixSpawn("examples/hello.ts");
  print(pid > 0 ? "   " + childExit(pid) : "   posixSpawn said " + pid.toString() + " (run it from weft's directory)");
  return 0;
}
