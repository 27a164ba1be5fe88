// A write or read whose buffer lies past the end of memory (writeFrom and readInto take raw addresses):
// that call fails with an errno, and the thread, its connection and the other threads go on. Over a
// connection the program makes to itself (on processors, a socket write is sent by the processor itself
// where it can: host/io/direct.ts), and on stdout.
// The bad read, and a read of 0 bytes, come while the connection has nothing to read and no other thread
// makes calls: both are answered at once (on processors such a read must not go quietly, or it would
// wait for bytes that never come: host/io/direct.ts, "Quiet reads").
// Prints `write=` and `read=` (the bad calls' errnos), `empty=` (the read of 0 bytes), `stdout=` (a bad
// write to fd 1), `then=` (a good write and read on the same connection afterwards: ok) and `other=` (a
// thread that ran meanwhile).
import { listen, accept, connect, readInto, writeFrom, close, localAddress, spawn, join, print, errnoName } from "weft";

const FAR: usize = 0xfff00000;               // far past any memory this program grows to
let ticks = 0;

function ticker(arg: usize): i32 { for (let i = 0; i < 100; i++) { ticks++; writeFrom(-1, 0, 0); } return 0; }

function name(n: i32): string { return n < 0 ? errnoName(-n) : "ok(" + n.toString() + ")"; }

export function main(): i32 {
  let other = spawn(ticker, 0);
  let server = listen("127.0.0.1:0");
  if (server < 0) { print("error=listen " + errnoName(-server)); return 1; }
  let client = connect(localAddress(server)!);
  let peer = accept(server);
  if (client < 0 || peer < 0) { print("error=connect"); return 1; }
  print("write=" + name(writeFrom(client, FAR, 64)));
  print("stdout=" + name(writeFrom(1, FAR, 64)));
  join(other);
  print("other=" + (ticks == 100 ? "ok" : ticks.toString()));
  let buffer = heap.alloc(16);
  print("read=" + name(readInto(peer, FAR, 64)));
  print("empty=" + name(readInto(peer, buffer, 0)));
  store<u32>(buffer, 0x6b6f6b6f);             // "okok"
  let wrote = writeFrom(client, buffer, 4);
  let got = readInto(peer, buffer + 8, 4);
  print("then=" + (wrote == 4 && got == 4 && load<u32>(buffer + 8) == 0x6b6f6b6f ? "ok" : "bad " + name(wrote) + " " + name(got)));
  close(client); close(peer); close(server);
  return 0;
}
