// A TCP echo server: one thread per connection, each a plain loop of blocking calls (read what came,
// write it back). While one connection's thread waits in read, the others run.
// run: weft run examples/echo.ts --allow-listen 127.0.0.1:7007
//   then, in another terminal: nc 127.0.0.1 7007
// With --io blocking it shows the problem async I/O solves: while main waits in accept, the whole
// processor waits with it, and no connection's thread gets to echo anything.
import { listen, accept, readInto, writeFrom, close, spawn, detach, print, printError, errnoName } from "weft";

const ADDRESS = "127.0.0.1:7007";
const BUFFER_BYTES: u32 = 16 << 10;

/** Echoes until the client closes (read returns 0) or the connection fails (< 0). The buffer is taken from
 *  the heap and given back: weft has no garbage collector, and a server outlives many connections. */
function serve(fd: usize): i32 {
  let connection = <i32>fd;
  let buffer = heap.alloc(BUFFER_BYTES);
  while (true) {
    let n = readInto(connection, buffer, BUFFER_BYTES);
    if (n <= 0) break;
    if (writeFrom(connection, buffer, <u32>n) < 0) break;
  }
  close(connection);
  heap.free(buffer);
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
