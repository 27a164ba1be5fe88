// A TCP echo server: one thread per connection, each a plain loop of blocking calls (read what came,
// write it back). While one connection's thread waits in read, the others run.
// run: weft run examples/echo.ts --allow-listen 127.0.0.1:7007
//   then, in another terminal: nc 127.0.0.1 7007
// With --io blocking it shows the problem async I/O solves: while main waits in accept, the whole
// processor waits with it, and no connection's thread gets to echo anything.
import { listen, accept, read, write, close, spawn, detach, print, printError, errnoName } from "weft";

const ADDRESS = "127.0.0.1:7007";
const BUFFER_BYTES: i32 = 16 << 10;

/** Echoes until the client closes (read returns 0) or the connection fails (< 0). The buffer is an
 *  ordinary Uint8Array: the collector frees it once the thread is gone. */
function serve(fd: usize): i32 {
  let connection = <i32>fd;
  let buffer = new Uint8Array(BUFFER_BYTES);
  while (true) {
    let n = read(connection, buffer);
    if (n <= 0) break;
    if (write(connection, buffer.subarray(0, n)) < 0) break;
  }
  close(connection);
  return 0;
}

export function main(): i32 {
  let listener = listen(ADDRESS);
  if (listener < 0) { printError("echo: listen on " + ADDRESS + ": " + errnoName(-listener)); return 1; }
  print("echo server on " + ADDRESS);
  while (true) {
    let connection = accept(listener);
    if (connection < 0) { printError("echo: accept: " + errnoName(-connection)); return 1; }
    let thread = spawn(serve, connection);
    if (thread < 0) { printError("echo: no thread for a connection: " + errnoName(-thread)); close(connection); continue; }
    detach(thread);                   // nobody joins it: its record goes when it ends
  }
}
