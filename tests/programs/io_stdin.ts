// Reads stdin to its end in the run's mode (tests/io-files.test.ts runs it in a child process with its
// input piped, once per mode), 7 bytes at a time, while another thread keeps counting; prints what it
// read with each newline as "|".
import { spawn, join, yieldNow, print, read, STDIN } from "weft";

let reading = true;
function counter(arg: usize): i32 {
  let n = 0;
  while (reading) { n++; yieldNow(); }
  return n;
}

export function main(): i32 {
  let t = spawn(counter);
  let buf = new Uint8Array(7);
  let got = "";
  let reads = 0;
  let n: i32;
  while ((n = read(STDIN, buf)) > 0) {
    got += String.UTF8.decodeUnsafe(buf.dataStart, n);
    reads++;
  }
  reading = false;
  join(t);
  print("text=" + got.replaceAll("\n", "|"));
  print("end=" + n.toString());
  print("reads_enough=" + (reads >= (got.length + 6) / 7 ? "1" : "0"));
  print("again=" + read(STDIN, buf).toString());
  return 0;
}
