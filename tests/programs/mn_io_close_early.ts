// A server that closes each connection as soon as it has answered, while its clients go on sending
// (tests/mn-io.test.ts): listens on 127.0.0.1:0, prints `listening=<host:port>`, accepts CONNECTIONS
// connections, each served by a thread of its own that reads once, answers "pong" and closes without
// reading what else comes. Prints `served=` (connections answered) and `error=` (the first failure, or
// none). On processors the answers are sent by the processors themselves (host/io/direct.ts), and a
// closed connection's number is soon another's.
import { read, write, close, print } from "weft";
import { cell, fail, firstFailure, served, serveMany } from "./lib/many";

const CONNECTIONS = 3000;

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
  served();
  return 0;
}

export function main(): i32 {
  if (serveMany(CONNECTIONS, serve) != 0) return 1;
  print("served=" + atomic.load<i32>(cell).toString());
  print("error=" + firstFailure());
  return 0;
}
