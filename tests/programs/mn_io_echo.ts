// An echo server for many connections at once (tests/mn-io.test.ts): listens on 127.0.0.1:0, prints
// `listening=<host:port>`, accepts CONNECTIONS connections, each served by a thread of its own that
// echoes what it reads until end of stream, then closes. Prints `served=` (connections served to their
// end), `bytes=` (echoed in all) and `error=` (the first failure, or none).
import { readInto, writeFrom, close, print } from "weft";
import { cell, fail, firstFailure, served, serveMany } from "./lib/many";

const CONNECTIONS = 1000;
const BUFFER: u32 = 16 << 10;

function serve(fd: usize): i32 {
  let buffer = heap.alloc(BUFFER);
  while (true) {
    let n = readInto(<i32>fd, buffer, BUFFER);
    if (n < 0) fail("read", n);
    if (n <= 0) break;
    let at = 0;
    while (at < n) {
      let w = writeFrom(<i32>fd, buffer + at, <u32>(n - at));
      if (w <= 0) { fail("write", w); break; }
      at += w;
    }
    atomic.add<i32>(cell + 4, n);
  }
  close(<i32>fd);
  heap.free(buffer);
  atomic.add<i32>(cell, 1);
  served();
  return 0;
}

export function main(): i32 {
  if (serveMany(CONNECTIONS, serve) != 0) return 1;
  print("served=" + atomic.load<i32>(cell).toString());
  print("bytes=" + atomic.load<i32>(cell + 4).toString());
  print("error=" + firstFailure());
  return 0;
}
