// A tour of what an N:1 program does, printed as `key=value` lines that do not depend on timing, so that
// the same module prints the same lines under weft's own host, under a WASI runtime (built with
// --target wasi) and in the C host (tests/wasi.test.ts, tests/embed-c.test.ts): sleepers waking in
// deadline order, 10,000 threads spawned and joined, channels (buffered and not), a mutex, a cond,
// thread-local values, a spinner that never yields preempted by the safepoints' fuel, and files.
import {
  spawn, join, sleep, yieldNow, print, now, Mutex, Cond, Channel, ThreadLocal, getName, SpawnOptions, O_READ, O_WRITE,
  O_CREATE, O_TRUNCATE, Stat, open, close, read, writeString, stat, unlink, readdir, mkdir, getErrno,
} from "weft";

const lock = new Mutex();
const woke = new Array<i32>();
let sleepStart: f64 = 0;

// Each sleeps until its own deadline after a common start, so they wake in deadline order however late
// each one begins.
function sleeper(ms: usize): i32 {
  sleep(sleepStart + <f64>ms - now());
  lock.lock();
  woke.push(<i32>ms);
  lock.unlock();
  return 0;
}

let counted: i32 = 0;
function tiny(arg: usize): i32 { counted += 1; return <i32>arg & 7; }

const numbers = new Channel<i32>(16);
const sums = new Channel<i64>();
function summer(arg: usize): i32 {
  let total: i64 = 0;
  while (true) {
    let v = numbers.recv();
    if (v < 0) break;
    total += v;
  }
  sums.send(total);
  return 0;
}

const local = new ThreadLocal<i32>();
function keeper(arg: usize): i32 {
  local.set(<i32>arg * 10);
  sleep(1);                                // others set theirs meanwhile
  return local.get() == <i32>arg * 10 ? 1 : 0;
}

let stop = false;
let started = false;
function spinner(arg: usize): i32 {
  started = true;
  while (!stop) {}                         // never yields: only a safepoint can take the processor back
  return 0;
}

const ready = new Cond();
let flag = 0;
function signaller(arg: usize): i32 {
  lock.lock();
  flag = 1;
  ready.signal();
  lock.unlock();
  return 0;
}

function bytes(n: i32, buffer: Uint8Array): string { return n < 0 ? "error " + n.toString() : String.UTF8.decodeUnsafe(buffer.dataStart, n); }

export function main(): i32 {
  print("hello from " + getName() + " ✓");

  let ids = new Array<i32>();
  sleepStart = now();
  for (let ms = 300; ms >= 100; ms -= 100) ids.push(spawn(sleeper, ms));
  for (let i = 0; i < ids.length; i++) join(ids[i]);
  print("sleepers_woke=" + woke.join(","));
  print("slept_enough=" + (now() - sleepStart >= 300 ? "yes" : "no"));

  let sum = 0;
  for (let round = 0; round < 10; round++) {
    let batch = new Array<i32>();
    for (let i = 0; i < 1000; i++) batch.push(spawn(tiny, i));
    for (let i = 0; i < batch.length; i++) sum += join(batch[i]).value;
  }
  print("threads=" + counted.toString() + " joined_sum=" + sum.toString());

  let s = spawn(summer);
  for (let i = 1; i <= 1000; i++) numbers.send(i);
  numbers.send(-1);
  print("channel_sum=" + sums.recv().toString());
  join(s);

  let keepers = new Array<i32>();
  for (let i = 1; i <= 8; i++) keepers.push(spawn(keeper, i));
  let kept = 0;
  for (let i = 0; i < keepers.length; i++) kept += join(keepers[i]).value;
  print("tls_kept=" + kept.toString());

  lock.lock();
  let sig = spawn(signaller);
  while (flag == 0) ready.wait(lock);
  lock.unlock();
  join(sig);
  print("cond=" + flag.toString());

  let spin = spawn(spinner);
  while (!started) yieldNow();             // returns only once a safepoint has preempted the spinner
  sleep(5);                                // and again, from the timer heap
  stop = true;
  join(spin);
  print("preempted=" + (started ? "yes" : "no"));

  mkdir("tour");
  let fd = open("tour/note.txt", O_WRITE | O_CREATE | O_TRUNCATE);
  print("file_write=" + writeString(fd, "weft ✓ files\n").toString() + " close=" + close(fd).toString());
  let info = new Stat();
  print("stat=" + stat("tour/note.txt", info).toString() + " size=" + info.size.toString() + " file=" + info.isFile().toString());
  fd = open("tour/note.txt", O_READ);
  let buffer = new Uint8Array(64);
  let text = bytes(read(fd, buffer), buffer);
  print("file_read=" + text.trimEnd() + " eof=" + read(fd, buffer).toString());
  close(fd);
  let names = readdir("tour");
  print("readdir=" + (names == null ? "error" : names.join(",")));
  print("unlink=" + unlink("tour/note.txt").toString() + " missing=" + open("tour/note.txt").toString() + " errno=" + getErrno().toString());
  print("outside=" + open("/etc/hostname").toString());
  return 7;
}
