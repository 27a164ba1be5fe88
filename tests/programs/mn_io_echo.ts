// An echo server for many connections at once (tests/mn-io.test.ts): listens on 127.0.0.1:0, prints
// `listening=<host:port>`, accepts CONNECTIONS connections, each served by a thread of its own that
// echoes what it reads until end of stream, then closes. Prints `served=` (connections served to their
// end), `bytes=` (echoed in all) and `error=` (the first failure, or none).
import { listen, accept, readInto, writeFrom, close, localAddress, spawn, detach, print, errnoName, WaitGroup } from "weft";

const CONNECTIONS = 1000;
const BUFFER: u32 = 16 << 10;

const cell = memory.data(16);           // 0: served, 4: bytes, 8: failed (atomic: threads run on any processor)
let firstError = "none";
const done = new WaitGroup();

function fail(what: string, n: i32): void {
  if (atomic.add<i32>(cell + 8, 1) == 0) firstError = what + " " + errnoName(-n);
}

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
  done.done();
  return 0;
}

export function main(): i32 {
  let listener = listen("127.0.0.1:0", 1024);
  if (listener < 0) { print("error=listen " + errnoName(-listener)); return 1; }
  print("listening=" + localAddress(listener)!);
  done.add(CONNECTIONS);
  for (let i = 0; i < CONNECTIONS; i++) {
    let fd = accept(listener);
    if (fd < 0) { fail("accept", fd); done.done(); continue; }
    detach(spawn(serve, <usize>fd));
  }
  done.wait();
  close(listener);
  print("served=" + atomic.load<i32>(cell).toString());
  print("bytes=" + atomic.load<i32>(cell + 4).toString());
  print("error=" + firstError);
  return 0;
}
