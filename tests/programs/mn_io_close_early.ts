// A server that closes each connection as soon as it has answered, while its clients go on sending
// (tests/mn-io.test.ts): listens on 127.0.0.1:0, prints `listening=<host:port>`, accepts CONNECTIONS
// connections, each served by a thread of its own that reads once, answers "pong" and closes without
// reading what else comes. Prints `served=` (connections answered) and `error=` (the first failure, or
// none). On processors the answers are sent by the processors themselves (host/io/direct.ts), and a
// closed connection's number is soon another's.
import { listen, accept, read, write, close, localAddress, spawn, detach, print, errnoName, WaitGroup } from "weft";

const CONNECTIONS = 3000;

const cell = memory.data(16);           // 0: served, 8: failed (atomic: threads run on any processor)
let firstError = "none";
const done = new WaitGroup();

function fail(what: string, n: i32): void {
  if (atomic.add<i32>(cell + 8, 1) == 0) firstError = what + " " + errnoName(-n);
}

function serve(fd: usize): i32 {
  let buffer = new Uint8Array(64);
  let n = read(<i32>fd, buffer);
  if (n < 0) fail("read", n);
  if (n > 0) {
    let w = write(<i32>fd, Uint8Array.wrap(String.UTF8.encode("pong\n")));   // bytes: sent directly
    if (w < 0) fail("write", w);
    else atomic.add<i32>(cell, 1);
  }
  close(<i32>fd);
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
  print("error=" + firstError);
  return 0;
}
