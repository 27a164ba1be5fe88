// Writes on processors (host/io/direct.ts: a processor sends to a socket itself while the kernel takes the
// bytes, and leaves the rest to the I/O owner when it does not), through connections the program makes
// to itself; tests/mn-io.test.ts runs it on 2 and 4 processors, in async and offload mode.
//   floods: PAIRS writers at once each write FLOOD bytes in pieces to a connection whose reader sleeps
//     100 ms first (the kernel's buffers fill: sends are partial, then refused), then checks every byte;
//     `<mode>.flood_ok=` counts the pairs whose bytes all arrived in order and whose every write answered
//     its whole length.
//   mixed: one writer fills the kernel's buffers while its reader sleeps, then alternates byte writes
//     (sent directly where the gate is open) with text writes (writeString: text always crosses to the
//     owner, which holds it while the kernel's buffer is full); `<mode>.mixed_ok=1` when the reader sees
//     every byte in order.
//   errors: `<mode>.after_shutdown=` a write after SHUT_WR, `<mode>.after_close=` a write on a closed
//     descriptor, `<mode>.after_peer_close=` the first failing write once the peer closed (EPIPE or
//     ECONNRESET; `none` if 100 writes of 64 KiB all went through).
import {
  listen, accept, connect, readInto, writeFrom, writeString, shutdown, close, localAddress, spawn, join, sleep,
  IoMode, SHUT_WR, print, errnoName,
} from "weft";

const PAIRS = 4;
const FLOOD: u32 = 4 << 20;
const PIECE: u32 = 48 << 10;                 // not a divisor of FLOOD
const MIXED_ROUNDS = 4000;
const PREFILL: u32 = 4 << 20;

let mode: IoMode = IoMode.Async;
const cell = memory.data(16);                // 8: failures (atomic)
let firstError = "none";

function fail(what: string, n: i32): void {
  if (atomic.add<i32>(cell + 8, 1) == 0) firstError = what + " " + errnoName(-n);
}

function byteAt(pair: i32, i: u32): u8 { return <u8>((i * 7 + <u32>pair * 31 + (i >> 12)) & 0xff); }

/** A flood's writer: packed = descriptor << 8 | pair. Writes FLOOD bytes, then shuts its side. */
function flooder(packed: usize): i32 {
  let fd = <i32>(packed >> 8), pair = <i32>(packed & 0xff);
  let piece = heap.alloc(PIECE);
  let ok = 1;
  for (let sent: u32 = 0; sent < FLOOD; sent += PIECE) {
    let n = min(PIECE, FLOOD - sent);
    for (let i: u32 = 0; i < n; i++) store<u8>(piece + i, byteAt(pair, sent + i));
    let w = writeFrom(fd, piece, n, -1, mode);
    if (w != <i32>n) { fail("flood write", w); ok = 0; break; }
  }
  shutdown(fd, SHUT_WR, mode);
  heap.free(piece);
  return ok;
}

/** A flood's reader: packed = descriptor << 8 | pair. 1 if every byte came, in order. */
function drainer(packed: usize): i32 {
  let fd = <i32>(packed >> 8), pair = <i32>(packed & 0xff);
  sleep(100);                                // nobody reads yet: the writer fills the kernel's buffers
  let buffer = heap.alloc(PIECE);
  let at: u32 = 0, ok = true;
  while (true) {
    let n = readInto(fd, buffer, PIECE, -1, mode);
    if (n < 0) fail("flood read", n);
    if (n <= 0) break;
    for (let i: u32 = 0; i < <u32>n; i++) if (load<u8>(buffer + i) != byteAt(pair, at + i)) ok = false;
    at += <u32>n;
  }
  heap.free(buffer);
  return ok && at == FLOOD ? 1 : 0;
}

function floods(name: string): void {
  let l = listen("127.0.0.1:0", 16, mode);
  if (l < 0) { fail("listen", l); return; }
  let address = localAddress(l)!;
  let writers = new StaticArray<i32>(PAIRS), readers = new StaticArray<i32>(PAIRS), fds = new StaticArray<i32>(2 * PAIRS);
  for (let p = 0; p < PAIRS; p++) {
    let c = connect(address, mode), s = accept(l, mode);
    if (c < 0 || s < 0) { fail("flood connect", min(c, s)); return; }
    fds[2 * p] = c; fds[2 * p + 1] = s;
    writers[p] = spawn(flooder, (<usize>c << 8) | <usize>p);
    readers[p] = spawn(drainer, (<usize>s << 8) | <usize>p);
  }
  let ok = 0;
  for (let p = 0; p < PAIRS; p++) {
    let wrote = join(writers[p]).value, read = join(readers[p]).value;
    if (wrote == 1 && read == 1) ok++;
  }
  for (let i = 0; i < 2 * PAIRS; i++) close(fds[i], mode);
  close(l, mode);
  print(name + ".flood_ok=" + ok.toString());
}

/** The mixed writer: first PREFILL bytes (the reader sleeps: the kernel's buffers fill, so the owner
 *  holds text it could not hand on), then alternately 5 bytes "b0123" and the text "t0123" (the round's
 *  number in four digits). */
function mixedWriter(fd: usize): i32 {
  let piece = heap.alloc(PIECE);
  for (let sent: u32 = 0; sent < PREFILL; sent += PIECE) {
    let n = min(PIECE, PREFILL - sent);
    for (let i: u32 = 0; i < n; i++) store<u8>(piece + i, byteAt(9, sent + i));
    let w = writeFrom(<i32>fd, piece, n, -1, mode);
    if (w != <i32>n) { fail("mixed prefill", w); break; }
  }
  for (let r = 0; r < MIXED_ROUNDS; r++) {
    let digits = (10000 + r % 10000).toString().slice(1);       // four digits
    store<u8>(piece, 0x62);
    for (let i = 0; i < 4; i++) store<u8>(piece + 1 + i, <u8>digits.charCodeAt(i));
    let w = writeFrom(<i32>fd, piece, 5, -1, mode);
    if (w != 5) { fail("mixed write", w); break; }
    w = writeString(<i32>fd, "t" + digits, mode);
    if (w != 5) { fail("mixed text", w); break; }
  }
  shutdown(<i32>fd, SHUT_WR, mode);
  heap.free(piece);
  return 0;
}

function mixed(name: string): void {
  let l = listen("127.0.0.1:0", 4, mode);
  let c = connect(localAddress(l)!, mode), s = accept(l, mode);
  let w = spawn(mixedWriter, <usize>c);
  sleep(100);
  let total = <i32>PREFILL + MIXED_ROUNDS * 10;
  let buffer = heap.alloc(total + 1);
  let at = 0;
  while (at <= total) {
    let n = readInto(s, buffer + at, <u32>(total + 1 - at), -1, mode);
    if (n < 0) fail("mixed read", n);
    if (n <= 0) break;
    at += n;
  }
  join(w);
  let ok = at == total;
  for (let i: u32 = 0; ok && i < PREFILL; i++) if (load<u8>(buffer + i) != byteAt(9, i)) ok = false;
  for (let r = 0; ok && r < MIXED_ROUNDS; r++) {
    let digits = (10000 + r % 10000).toString().slice(1);
    let expected = "b" + digits + "t" + digits;
    for (let i = 0; i < 10; i++) if (load<u8>(buffer + PREFILL + r * 10 + i) != <u8>expected.charCodeAt(i)) ok = false;
  }
  heap.free(buffer);
  close(c, mode); close(s, mode); close(l, mode);
  print(name + ".mixed_ok=" + (ok ? "1" : "0"));
}

function errors(name: string): void {
  let l = listen("127.0.0.1:0", 4, mode);
  let address = localAddress(l)!;
  let piece = heap.alloc(64 << 10);
  memory.fill(piece, 0x61, 64 << 10);

  let c = connect(address, mode), s = accept(l, mode);
  shutdown(c, SHUT_WR, mode);
  let w = writeFrom(c, piece, 16, -1, mode);
  print(name + ".after_shutdown=" + (w < 0 ? errnoName(-w) : w.toString()));
  close(c, mode);
  w = writeFrom(c, piece, 16, -1, mode);
  print(name + ".after_close=" + (w < 0 ? errnoName(-w) : w.toString()));
  close(s, mode);

  c = connect(address, mode); s = accept(l, mode);
  close(s, mode);                            // the peer goes: writes fail once the kernel has heard
  let failed = "none";
  for (let i = 0; i < 100; i++) {
    w = writeFrom(c, piece, 64 << 10, -1, mode);
    if (w < 0) { failed = errnoName(-w); break; }
    sleep(1);
  }
  print(name + ".after_peer_close=" + failed);
  close(c, mode);
  close(l, mode);
  heap.free(piece);
}

function runIn(m: IoMode, name: string): void {
  mode = m;
  floods(name);
  mixed(name);
  errors(name);
}

export function main(): i32 {
  runIn(IoMode.Async, "async");
  runIn(IoMode.Offload, "offload");
  print("error=" + firstError);
  return 0;
}
