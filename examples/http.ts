// An HTTP/1.1 server that answers every request with "hello": one thread per connection, kept alive
// across requests, written as blocking calls. It reads whatever arrived, answers each complete request
// in it (pipelined requests get their answers in order, in one write), and keeps the incomplete rest
// for the next read. Request bodies are skipped by their Content-Length; a request that asks to close
// (Connection: close, or HTTP/1.0) is answered and its connection closed; so is one with a chunked body,
// whose end this parser does not look for.
// run: weft run examples/http.ts --allow-listen 127.0.0.1:8080
//   then: curl http://127.0.0.1:8080/   (bench/http.js measures it against Node's http module)
import { listen, accept, readInto, writeFrom, close, spawn, detach, print, printError, errnoName } from "weft";

const ADDRESS = "127.0.0.1:8080";
const RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
/** Room for a connection's unanswered bytes: a request's head must fit (bytes). */
const BUFFER_BYTES: i32 = 8 << 10;
/** Answers one write can carry: RESPONSE repeated this many times, made once. */
const BATCH: i32 = 64;

let responses: usize = 0;             // RESPONSE × BATCH, UTF-8
let responseBytes: i32 = 0;

/** One connection's state, in memory of its own that its thread frees (weft has no garbage collector). */
@unmanaged class Connection {
  fd: i32;
  used: i32;                          // bytes in buffer: the start of requests not yet answered
  searched: i32;                      // bytes of the current request's head already searched for its end
  skip: i32;                          // body bytes of the last request still to drop
  closing: bool;                      // answer what is complete, then close
  buffer: usize;
}

/** The byte at `at` in lower case (for ASCII letters). */
// @ts-ignore: decorator
@inline function lower(at: usize): u32 { let b = <u32>load<u8>(at); return b >= 0x41 && b <= 0x5a ? b | 0x20 : b; }

/** Whether the bytes at `at` (up to `end`) start with `word` (lower case), ignoring case. */
function startsWith(at: usize, end: usize, word: string): bool {
  let n = word.length;
  if (at + <usize>n > end) return false;
  for (let i = 0; i < n; i++) if (lower(at + <usize>i) != <u32>word.charCodeAt(i)) return false;
  return true;
}

/** Whether `word` (lower case) occurs in [at, end), ignoring case. */
function contains(at: usize, end: usize, word: string): bool {
  for (let p = at; p < end; p++) if (startsWith(p, end, word)) return true;
  return false;
}

/** The offset just past the blank line that ends a request's head in [from, to), or -1. */
function headEnd(buffer: usize, from: i32, to: i32): i32 {
  for (let i = from; i + 3 < to; i++) {
    if (load<u8>(buffer + <usize>i + 3) == 0x0a && load<u8>(buffer + <usize>i) == 0x0d &&
        load<u8>(buffer + <usize>i + 1) == 0x0a && load<u8>(buffer + <usize>i + 2) == 0x0d) return i + 4;
  }
  return -1;
}

/** Reads the head [start, end) of one request: sets c.closing if the connection must close after it, and
 *  returns the length of its body. */
function examine(c: Connection, start: usize, end: usize): i32 {
  let line = start;
  while (line < end && load<u8>(line) != 0x0a) line++;           // end of the request line
  if (line >= start + 9 && startsWith(line - 9, line, "http/1.0\r")) c.closing = true;
  let body = 0;
  while (++line < end) {
    let next = line;
    while (next < end && load<u8>(next) != 0x0a) next++;
    if (startsWith(line, next, "content-length:")) {
      body = 0;
      for (let p = line + 15; p < next; p++) {
        let d = <i32>load<u8>(p) - 0x30;
        if (d >= 0 && d <= 9) body = body * 10 + d;
      }
    } else if (startsWith(line, next, "connection:")) {
      if (contains(line + 11, next, "close")) c.closing = true;
    } else if (startsWith(line, next, "transfer-encoding:")) {
      c.closing = true;
    }
    line = next;
  }
  return body;
}

/** Answers every complete request in the buffer and moves the incomplete rest to its start. False: the
 *  connection is to be closed. */
function answerReady(c: Connection): bool {
  let at = 0, ready = 0;
  while (!c.closing) {
    if (c.skip > 0) {
      let drop = min(c.skip, c.used - at);
      at += drop;
      c.skip -= drop;
      if (c.skip > 0) break;
    }
    let end = headEnd(c.buffer, at + max(0, c.searched - 3), c.used);
    if (end < 0) { c.searched = c.used - at; break; }
    c.skip = examine(c, c.buffer + <usize>at, c.buffer + <usize>end);
    c.searched = 0;
    ready++;
    at = end;
  }
  while (ready > 0) {
    let batch = min(ready, BATCH);
    if (writeFrom(c.fd, responses, <u32>(batch * responseBytes)) < 0) return false;
    ready -= batch;
  }
  if (at > 0) {
    memory.copy(c.buffer, c.buffer + <usize>at, <usize>(c.used - at));
    c.used -= at;
  }
  return !c.closing && c.used < BUFFER_BYTES;          // a head that fills the buffer will not fit
}

function serve(fd: usize): i32 {
  let c = changetype<Connection>(heap.alloc(offsetof<Connection>()));
  c.fd = <i32>fd;
  c.used = 0; c.searched = 0; c.skip = 0; c.closing = false;
  c.buffer = heap.alloc(<usize>BUFFER_BYTES);
  while (true) {
    let n = readInto(c.fd, c.buffer + <usize>c.used, <u32>(BUFFER_BYTES - c.used));
    if (n <= 0) break;                                   // the client closed, or the connection failed
    c.used += n;
    if (!answerReady(c)) break;
  }
  close(c.fd);
  heap.free(c.buffer);
  heap.free(changetype<usize>(c));
  return 0;
}

export function main(): i32 {
  let one = String.UTF8.encode(RESPONSE);
  responseBytes = one.byteLength;
  responses = heap.alloc(<usize>(responseBytes * BATCH));
  for (let i = 0; i < BATCH; i++) memory.copy(responses + <usize>(i * responseBytes), changetype<usize>(one), <usize>responseBytes);

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
