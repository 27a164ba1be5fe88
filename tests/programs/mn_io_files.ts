// Files from threads on every processor (tests/mn-io.test.ts), in the run's I/O mode: THREADS threads
// each open a file of their own, write it, migrate, read it back and close it, noting the processor
// that opened and the one that closed it; main opens a file that a thread then reads and closes, wherever it runs;
// a path outside the grant is refused. Prints `ok=` (threads whose bytes came back), `moved=` (threads
// that closed their descriptor on another processor than the one that opened it), `shared_read=`,
// `shared_close=`, `refused_escape=`, `refused_absolute=`, `closed_twice=`, `delay=`, `stat_size=`.
import {
  spawn, join, print, migrate, processorId, open, close, read, writeString, stat, Stat, ioDelay,
  O_READ, O_WRITE, O_CREATE, O_TRUNCATE,
} from "weft";

const THREADS = 16;

function content(i: i32): string {
  let s = "";
  for (let k = 0; k < 20; k++) s += "thread " + i.toString() + " line " + k.toString() + "\n";
  return s;
}

/** 1: the bytes came back; +2 when the descriptor was closed on another processor. < 0: what failed. */
function worker(i: usize): i32 {
  let name = "granted/t" + i.toString() + ".txt";
  let fd = open(name, O_READ | O_WRITE | O_CREATE | O_TRUNCATE);
  if (fd < 0) return -1000 + fd;
  let opened = processorId();
  let text = content(<i32>i);
  let length = String.UTF8.byteLength(text);
  let w = writeString(fd, text);
  if (w != length) return -2000 + w;
  // migrate() moves it to the next processor, but an idle one may steal it straight back: again until it
  // runs elsewhere (at once, almost always).
  for (let k = 0; k < 1000 && processorId() == opened; k++) migrate();
  let readOn = processorId();
  let buffer = new Uint8Array(length + 16);
  let n = read(fd, buffer, 0);
  if (n != length) return -3000 + n;
  if (String.UTF8.decodeUnsafe(buffer.dataStart, n) != text) return -4000;
  if (ioDelay(1) != 0) return -5000;
  // Its answers may have brought it back: away again, to close it elsewhere too.
  for (let k = 0; k < 1000 && processorId() == opened; k++) migrate();
  let closedOn = processorId();
  let c = close(fd);
  if (c != 0) return -6000 + c;
  return 1 + (readOn != opened && closedOn != opened ? 2 : 0);
}

let sharedFd: i32 = -1;

/** Reads and closes the descriptor main opened. */
function sharedReader(_: usize): i32 {
  migrate();
  let buffer = new Uint8Array(64);
  let n = read(sharedFd, buffer, 0);
  let text = n > 0 ? String.UTF8.decodeUnsafe(buffer.dataStart, n) : n.toString();
  print("shared_read=" + text.trim());
  return close(sharedFd);
}

export function main(): i32 {
  let fd = open("granted/shared.txt", O_READ | O_WRITE | O_CREATE | O_TRUNCATE);
  writeString(fd, "from main\n");
  sharedFd = fd;
  let reader = spawn(sharedReader, 0);
  print("shared_close=" + join(reader).value.toString());
  print("closed_twice=" + close(fd).toString());

  let threads = new Array<i32>();
  for (let i = 0; i < THREADS; i++) threads.push(spawn(worker, <usize>i));
  let ok = 0, moved = 0;
  for (let i = 0; i < THREADS; i++) {
    let r = join(threads[i]).value;
    if (r < 0) print("failed_" + i.toString() + "=" + r.toString());
    if (r > 0 && (r & 1)) ok++;
    if (r > 0 && (r & 2)) moved++;
  }
  print("ok=" + ok.toString());
  print("moved=" + moved.toString());
  print("refused_escape=" + open("../outside.txt", O_READ).toString());
  print("refused_absolute=" + open("/etc/hostname", O_READ).toString());
  let st = new Stat();
  let s = stat("granted/t3.txt", st);
  print("stat_size=" + (s < 0 ? s.toString() : st.size.toString()));
  print("delay=" + ioDelay(5).toString());
  return 0;
}
