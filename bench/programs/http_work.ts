// bench/http.js's http_mn_speedup_2: examples/http.ts with ~0.2 ms of CPU work per request (it hashes
// the request's head), listening on 127.0.0.1:8081. Requests/s on 2 processors over 1 says how well the
// handler's work spreads over processors. The rounds of hashing that take WORK_MS are measured at start,
// on the engine that runs the server: a fixed count took ~0.15 ms a request on Node 20 here and ~0.07 ms
// on Node 26, whose code for the loop is twice as fast, and with so little work a second processor
// mostly added the I/O owner's and wrk's share of the two cores. main prints what it measured.
import { listen, accept, read, write, close, spawn, detach, print, printError, errnoName, now } from "weft";

const ADDRESS = "127.0.0.1:8081";
/** The handler's CPU work per request (ms). */
const WORK_MS: f64 = 0.2;
/** Rounds of hashing per request: set by calibrate to take WORK_MS (~10 ns a round on Node 20: a
 *  bounds-checked load, a remainder and a multiply). */
let workRounds: i32 = 20_000;
/** Sum of the hashes, kept so the work is not optimised away (racy across processors: only a sink). */
let sink: u32 = 0;

/** The handler's CPU work: an FNV-1a hash of the head's bytes, workRounds bytes in all. */
function work(buffer: Uint8Array, from: i32, to: i32): void {
  let h: u32 = 2166136261;
  let n = max(1, to - from);
  for (let r = 0; r < workRounds; r++) h = (h ^ buffer[from + r % n]) * 16777619;
  sink += h;
}

/** Sets workRounds so that work takes WORK_MS: hashes for 50 ms first (the engine compiles code that
 *  runs long better, a while after it starts), then times 20 calls five times and keeps the quickest
 *  (other work on the machine only ever adds time). Returns the ms a request's work then takes. */
function calibrate(): f64 {
  let head = new Uint8Array(80);
  for (let i = 0; i < head.length; i++) head[i] = <u8>(i * 7);
  let start = now();
  while (now() - start < 50) work(head, 0, head.length);
  let quickest = Infinity;
  for (let s = 0; s < 5; s++) {
    let t = now();
    for (let i = 0; i < 20; i++) work(head, 0, head.length);
    quickest = min(quickest, (now() - t) / 20);
  }
  workRounds = max(1, <i32>(<f64>workRounds * WORK_MS / max(quickest, 1e-6)));
  let t = now();
  for (let i = 0; i < 20; i++) work(head, 0, head.length);
  return (now() - t) / 20;
}
const RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
/** Room for a connection's unanswered bytes: a request's head must fit. */
const BUFFER_BYTES: i32 = 8 << 10;
/** Answers one write can carry: RESPONSE repeated this many times, made once. */
const BATCH: i32 = 64;

/** RESPONSE × BATCH, UTF-8; made by main (a shared build runs no top-level code that allocates). */
let responses = new Uint8Array(0);

function repeated(text: string, times: i32): Uint8Array {
  let one = Uint8Array.wrap(String.UTF8.encode(text));
  let all = new Uint8Array(one.length * times);
  for (let i = 0; i < times; i++) all.set(one, i * one.length);
  return all;
}

/** What a request's head says about the connection. */
class Head {
  bodyLength: i32 = 0;
  closes: bool = false;
}

/** Reads a request's head (its lines, without the blank one). Only the headers it acts on are looked at
 *  closely (their first letter tells them from the rest). */
function examine(head: string): Head {
  let out = new Head();
  let end = head.indexOf("\r\n");
  if (end < 0) end = head.length;
  if (head.substring(0, end).endsWith("HTTP/1.0")) out.closes = true;
  while (end < head.length) {
    let start = end + 2;
    end = head.indexOf("\r\n", start);
    if (end < 0) end = head.length;
    let first = head.charCodeAt(start) | 0x20;          // lower case
    if (first != 0x63 && first != 0x74) continue;       // "c"ontent-length, "c"onnection, "t"ransfer-encoding
    let line = head.substring(start, end);
    let colon = line.indexOf(":");
    if (colon < 0) continue;
    let name = line.substring(0, colon).trim().toLowerCase();
    let value = line.substring(colon + 1).trim();
    if (name == "content-length") out.bodyLength = I32.parseInt(value);
    else if (name == "connection") { if (value.toLowerCase().includes("close")) out.closes = true; }
    else if (name == "transfer-encoding") out.closes = true;
  }
  return out;
}

/** The index just past the blank line that ends a head in bytes [from, to) of `buffer`, or -1. */
function headEnd(buffer: Uint8Array, from: i32, to: i32): i32 {
  for (let i = from; i + 3 < to; i++) {
    if (buffer[i + 3] == 0x0a && buffer[i] == 0x0d && buffer[i + 1] == 0x0a && buffer[i + 2] == 0x0d) return i + 4;
  }
  return -1;
}

class Connection {
  buffer: Uint8Array = new Uint8Array(BUFFER_BYTES);
  used: i32 = 0;                      // bytes in buffer: the start of requests not yet answered
  searched: i32 = 0;                  // bytes of the current request's head already searched for its end
  skip: i32 = 0;                      // body bytes of the last request still to drop
  closing: bool = false;              // answer what is complete, then close
  constructor(public fd: i32) {}

  /** Answers every complete request in the buffer and moves the incomplete rest to its start. False:
   *  the connection is to be closed. */
  answerReady(): bool {
    let at = 0, ready = 0;
    while (!this.closing) {
      if (this.skip > 0) {
        let drop = min(this.skip, this.used - at);
        at += drop;
        this.skip -= drop;
        if (this.skip > 0) break;
      }
      let end = headEnd(this.buffer, at + max(0, this.searched - 3), this.used);
      if (end < 0) { this.searched = this.used - at; break; }
      work(this.buffer, at, end);
      let head = examine(String.UTF8.decode(this.buffer.buffer.slice(at, end - 4)));
      this.skip = head.bodyLength;
      if (head.closes) this.closing = true;
      this.searched = 0;
      ready++;
      at = end;
    }
    while (ready > 0) {
      let batch = min(ready, BATCH);
      if (write(this.fd, responses.subarray(0, batch * (responses.length / BATCH))) < 0) return false;
      ready -= batch;
    }
    if (at > 0) {
      this.buffer.copyWithin(0, at, this.used);
      this.used -= at;
    }
    return !this.closing && this.used < BUFFER_BYTES;   // a head that fills the buffer will not fit
  }
}

function serve(fd: usize): i32 {
  let c = new Connection(<i32>fd);
  while (true) {
    let n = read(c.fd, c.buffer.subarray(c.used));
    if (n <= 0) break;                                   // the client closed, or the connection failed
    c.used += n;
    if (!c.answerReady()) break;
  }
  close(c.fd);
  return 0;
}

export function main(): i32 {
  responses = repeated(RESPONSE, BATCH);
  let ms = calibrate();
  print("work: " + workRounds.toString() + " rounds a request, " + (<i32>Math.round(ms * 1000)).toString() + " us");
  let listener = listen(ADDRESS);
  if (listener < 0) { printError("http: listen on " + ADDRESS + ": " + errnoName(-listener)); return 1; }
  print("listening on http://" + ADDRESS + "/");
  while (true) {
    let connection = accept(listener);
    if (connection < 0) { printError("http: accept: " + errnoName(-connection)); return 1; }
    let thread = spawn(serve, connection);
    if (thread < 0) { printError("http: no thread for a connection: " + errnoName(-thread)); close(connection); continue; }
    detach(thread);
  }
}
