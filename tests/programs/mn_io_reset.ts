// A client's reset, as a server sees it: the client connects twice and resets each connection (the
// test's side); the server, which read nothing before, then gets the error from every later call on
// each — on the first, two reads and a write; on the second, a write, a read and a write — whether the
// first call was made by a processor itself (host/io/direct.ts, "Direct reads" and sends: the kernel
// tells such an error once) or by the I/O owner. Prints `listening=`, then `first=`, `second=`, `write=`
// and `sent=`, `then_read=`, `sent_again=` (errno names or counts).
import { listen, accept, read, write, close, localAddress, sleep, print, errnoName } from "weft";

function shown(n: i32): string { return n < 0 ? errnoName(-n) : n.toString(); }

export function main(): i32 {
  let l = listen("127.0.0.1:0");
  if (l < 0) { print("error=listen " + errnoName(-l)); return 1; }
  print("listening=" + localAddress(l)!);
  let s = accept(l);
  let t = accept(l);
  if (s < 0 || t < 0) { print("error=accept " + errnoName(-min(s, t))); return 1; }
  sleep(200);                                   // the client resets both meanwhile
  let buffer = new Uint8Array(16);
  print("first=" + shown(read(s, buffer)));
  print("second=" + shown(read(s, buffer)));
  print("write=" + shown(write(s, buffer)));
  print("sent=" + shown(write(t, buffer)));
  print("then_read=" + shown(read(t, buffer)));
  print("sent_again=" + shown(write(t, buffer)));
  close(s);
  close(t);
  close(l);
  return 0;
}
