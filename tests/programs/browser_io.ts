// I/O in a browser: the page grants its /tests/browser/ folder; the program reads a file there through
// open/read (fetch underneath) while a second thread keeps counting, and checks what must be refused.
// Prints `bytes=`, `first=` (the first line), `counted=` (the counter's progress while the file was read),
// `ungranted=`, `missing=`, `stat=`, `blocking=`.
import { spawn, join, yieldNow, open, read, close, stat, Stat, IoMode, errnoName, print, O_READ } from "weft";

let done = false;
let count = 0;

function counter(_: usize): i32 {
  while (!done) { count++; yieldNow(); }
  return 0;
}

export function main(): i32 {
  let c = spawn(counter, 0);
  let before = count;
  let fd = open("/tests/browser/fixture.txt");
  if (fd < 0) { print("open_failed=" + errnoName(-fd)); done = true; join(c); return 1; }
  let buffer = new Uint8Array(16);              // small on purpose: several reads
  let text = "";
  let bytes = 0;
  while (true) {
    let n = read(fd, buffer);
    if (n <= 0) break;
    bytes += n;
    text += String.UTF8.decodeUnsafe(buffer.dataStart, n);
  }
  close(fd);
  done = true;
  join(c);
  print("bytes=" + bytes.toString());
  print("first=" + text.split("\n")[0]);
  print("counted=" + (count - before).toString());
  print("ungranted=" + errnoName(-open("/package.json")));
  print("missing=" + errnoName(-open("/tests/browser/no-such-file.txt")));
  print("stat=" + errnoName(-stat("/tests/browser/fixture.txt", new Stat())));
  print("blocking=" + errnoName(-open("/tests/browser/fixture.txt", O_READ, IoMode.Blocking)));
  return 0;
}
