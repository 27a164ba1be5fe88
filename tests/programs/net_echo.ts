// Echo round trips through connections the program makes to itself: a server thread per connection
// (examples/echo.ts's loop) and CLIENTS clients, each a writer thread that sends BYTES in pieces and
// then shuts its side, and a reader thread that checks every byte echoed back until end of stream.
// Prints `<mode>.clients_ok=`, `<mode>.bytes=` (echoed, in all), `<mode>.served=` (server threads done).
// Then a flood: a thread writes FLOOD bytes to a connection nobody reads for 100 ms. The receiving side
// must hold it back (TCP's window, once the host stops reading past its limit) rather than take it all
// in: `<mode>.flood_held=` is 1 when the writer was still writing when reading began,
// `<mode>.flood_written_early=` how much it had written by then, `<mode>.flood_ok=` 1 when every byte
// then arrived in order.
// Both run in async and offload modes (not blocking: a thread waiting for its echo would stall the
// server that must send it).
import {
  listen, accept, connect, readInto, writeFrom, shutdown, close, localAddress, spawn, join, detach, sleep,
  IoMode, SHUT_WR, print, errnoName,
} from "weft";

const CLIENTS = 8;
const BYTES: u32 = 256 << 10;
const PIECE: u32 = 3000;                      // not a divisor of BYTES: pieces and reads do not line up

let mode: IoMode = IoMode.Async;
let served = 0;
let echoed: u32 = 0;
let clientsOk = 0;
let firstError = "none";

function fail(what: string, n: i32): void { if (firstError == "none") firstError = what + " " + errnoName(-n); }

function byteAt(client: usize, i: u32): u8 { return <u8>((i * 7 + <u32>client * 13) & 0xff); }

function serve(fd: usize): i32 {
  let buffer = heap.alloc(16 << 10);
  while (true) {
    let n = readInto(<i32>fd, buffer, 16 << 10, -1, mode);
    if (n < 0) fail("server read", n);
    if (n <= 0) break;
    let w = writeFrom(<i32>fd, buffer, <u32>n, -1, mode);
    if (w < 0) { fail("server write", w); break; }
  }
  close(<i32>fd, mode);
  heap.free(buffer);
  served++;
  return 0;
}

function acceptor(listener: usize): i32 {
  for (let i = 0; i < CLIENTS; i++) {
    let fd = accept(<i32>listener, mode);
    if (fd < 0) { fail("accept", fd); return 1; }
    detach(spawn(serve, fd));
  }
  return 0;
}

// a client's descriptor and number, packed for its reader thread
function reader(packed: usize): i32 {
  let fd = <i32>(packed >> 8), client = packed & 0xff;
  let buffer = heap.alloc(5000);
  let at: u32 = 0, ok = true;
  while (true) {
    let n = readInto(fd, buffer, 5000, -1, mode);
    if (n < 0) fail("client read", n);
    if (n <= 0) break;
    for (let i: u32 = 0; i < <u32>n; i++) if (load<u8>(buffer + i) != byteAt(client, at + i)) ok = false;
    at += <u32>n;
  }
  heap.free(buffer);
  echoed += at;
  if (ok && at == BYTES) clientsOk++;
  return 0;
}

function client(packed: usize): i32 {
  let fd = <i32>(packed >> 8), client = packed & 0xff;
  let r = spawn(reader, packed);
  let piece = heap.alloc(PIECE);
  for (let sent: u32 = 0; sent < BYTES; sent += PIECE) {
    let n = min(PIECE, BYTES - sent);
    for (let i: u32 = 0; i < n; i++) store<u8>(piece + i, byteAt(client, sent + i));
    let w = writeFrom(fd, piece, n, -1, mode);
    if (w != <i32>n) { fail("client write", w); break; }
  }
  heap.free(piece);
  shutdown(fd, SHUT_WR, mode);
  join(r);
  close(fd, mode);
  return 0;
}

const FLOOD: u32 = 32 << 20;
const FLOOD_PIECE: u32 = 64 << 10;
let floodWritten: u32 = 0;

function flooder(fd: usize): i32 {
  let piece = heap.alloc(FLOOD_PIECE);
  for (let sent: u32 = 0; sent < FLOOD; sent += FLOOD_PIECE) {
    for (let i: u32 = 0; i < FLOOD_PIECE; i++) store<u8>(piece + i, byteAt(0, sent + i));
    let w = writeFrom(<i32>fd, piece, FLOOD_PIECE, -1, mode);
    if (w != <i32>FLOOD_PIECE) { fail("flood write", w); break; }
    floodWritten += FLOOD_PIECE;
  }
  shutdown(<i32>fd, SHUT_WR, mode);
  heap.free(piece);
  return 0;
}

function flood(m: IoMode, name: string): void {
  mode = m;
  floodWritten = 0;
  let l = listen("127.0.0.1:0", 16, m);
  let c = connect(localAddress(l)!, m);
  let s = accept(l, m);
  let f = spawn(flooder, c);
  sleep(100);                                 // nobody reads: the flooder writes until it is held back
  let early = floodWritten;
  let buffer = heap.alloc(FLOOD_PIECE);
  let at: u32 = 0, ok = true;
  while (true) {
    let n = readInto(s, buffer, FLOOD_PIECE, -1, m);
    if (n < 0) fail("flood read", n);
    if (n <= 0) break;
    for (let i: u32 = 0; i < <u32>n; i++) if (load<u8>(buffer + i) != byteAt(0, at + i)) ok = false;
    at += <u32>n;
  }
  heap.free(buffer);
  join(f);
  close(c, m); close(s, m); close(l, m);
  print(name + ".flood_held=" + (early < FLOOD ? "1" : "0"));
  print(name + ".flood_written_early=" + early.toString());
  print(name + ".flood_ok=" + (ok && at == FLOOD ? "1" : "0"));
}

function runIn(m: IoMode, name: string): void {
  mode = m;
  served = 0; echoed = 0; clientsOk = 0;
  let l = listen("127.0.0.1:0", 64, m);
  if (l < 0) { print(name + ".listen=" + errnoName(-l)); return; }
  let address = localAddress(l)!;
  let a = spawn(acceptor, l);
  let clients = new StaticArray<i32>(CLIENTS);
  for (let i = 0; i < CLIENTS; i++) {
    let fd = connect(address, m);
    if (fd < 0) { fail("connect", fd); break; }
    clients[i] = spawn(client, (<usize>fd << 8) | <usize>i);
  }
  for (let i = 0; i < CLIENTS; i++) if (clients[i] > 0) join(clients[i]);
  join(a);
  close(l, m);
  print(name + ".clients_ok=" + clientsOk.toString());
  print(name + ".bytes=" + echoed.toString());
  print(name + ".served=" + served.toString());
}

export function main(): i32 {
  runIn(IoMode.Async, "async");
  runIn(IoMode.Offload, "offload");
  flood(IoMode.Async, "async");
  flood(IoMode.Offload, "offload");
  print("error=" + firstError);
  return 0;
}
