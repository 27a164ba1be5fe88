// For the CLI's grant and mode flags (tests/cli.test.ts): reads data/note.txt (relative to the working
// directory) and makes one 50 ms call in the run's default mode while a counter thread yields.
// Prints `open=` (the errno name), `text=`, `during=` (counts while the call ran).
import { spawn, join, yieldNow, ioDelay, open, read, close, errnoName, print } from "weft";

let count = 0;
let done = false;

function counter(_: usize): i32 {
  while (!done) { count++; yieldNow(); }
  return 0;
}

export function main(): i32 {
  let fd = open("data/note.txt");
  print("open=" + errnoName(fd < 0 ? -fd : 0));
  if (fd >= 0) {
    let buffer = new Uint8Array(64);
    let n = read(fd, buffer);
    print("text=" + String.UTF8.decodeUnsafe(buffer.dataStart, n > 0 ? n : 0));
    close(fd);
  }
  let c = spawn(counter, 0);
  let before = count;
  ioDelay(50);
  print("during=" + (count - before).toString());
  done = true;
  join(c);
  return 0;
}
