// A worker pool that shuts down cleanly on Ctrl-C: the pattern POSIX recommends for threads. Every thread
// blocks SIGINT, SIGTERM and SIGALRM (a spawned thread inherits its creator's mask), and one thread takes
// them in sigwait, so no handler ever runs in the middle of a job. On the first one it closes the job
// queue: the workers finish the job in hand and leave, and main reports. Meanwhile a supervisor wakes a
// worker that naps too long with a thread-directed SIGUSR1 (pthreadKill): its sleep returns the time left.
//   npx weft run examples/signals.ts        (Ctrl-C to stop; on its own it stops after 1 s: alarm(1))
import {
  spawn, join, sleep, print, self, Channel, sigaction, sigprocmask, sigwait, sigset, pthreadKill, alarm, signalName,
  SIG_BLOCK, SIGINT, SIGTERM, SIGALRM, SIGUSR1,
} from "weft";

const WORKERS = 4;
const jobs = new Channel<i32>(16);
let done = 0;
let napper = 0;                                // the worker that takes the long nap, once it has

function onWake(sig: i32): void {              // runs on the worker it was sent to, on its stack
  print("  the napping worker was sent " + signalName(sig) + " (its handler runs on its own stack)");
}

function worker(index: usize): i32 {
  while (true) {
    let job = jobs.recv();
    if (job == 0 && jobs.isClosed()) return <i32>index;
    if (job == 7) {
      napper = self();
      let left = sleep(60000);                 // far too long: the supervisor cuts it short
      print("  its sleep returned early, with " + (left > 1000 ? "most of a minute" : "little") + " left");
    } else sleep(1);
    done++;
  }
}

function feeder(arg: usize): i32 {
  for (let job = 1; jobs.send(job); job++) {}  // send says false once the queue is closed
  return 0;
}

function supervisor(arg: usize): i32 {
  while (napper == 0) sleep(5);
  sleep(20);
  pthreadKill(napper, SIGUSR1);                // to that one thread
  return 0;
}

function signalThread(arg: usize): i32 {
  let sig = sigwait(sigset(SIGINT, SIGTERM, SIGALRM));
  print(sig == SIGALRM ? "no Ctrl-C within a second: the alarm stands in for it" : "got " + signalName(sig));
  print("closing the job queue: the workers finish the job in hand");
  jobs.close();
  return sig;
}

export function main(): i32 {
  sigaction(SIGUSR1, onWake);
  sigprocmask(SIG_BLOCK, sigset(SIGINT, SIGTERM, SIGALRM));
  let signals = spawn(signalThread);
  let workers = new StaticArray<i32>(WORKERS);
  for (let i = 0; i < WORKERS; i++) workers[i] = spawn(worker, i);
  let feed = spawn(feeder);
  let watch = spawn(supervisor);
  alarm(1);
  print("pool of " + WORKERS.toString() + " workers running; Ctrl-C stops it");
  join(signals);
  join(feed);
  join(watch);
  for (let i = 0; i < WORKERS; i++) join(workers[i]);
  print("stopped cleanly after " + (done > 100 ? "more than 100" : done.toString()) + " jobs");
  return 0;
}
