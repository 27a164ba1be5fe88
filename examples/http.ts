// An HTTP/1.1 server that answers every request with "hello": one thread per connection, kept alive
// across requests, written as blocking calls and ordinary AssemblyScript — strings, arrays, classes; the
// collector frees what each request leaves behind. It reads whatever arrived, answers each complete
// request in it (pipelined requests get their answers in order, in one write), and keeps the incomplete
// rest for the next read. Request bodies are skipped by their Content-Length; a request that asks to
// close (Connection: close, or HTTP/1.0) is answered, with Connection: close, and its connection closed;
// so is one with a chunked body, whose end this parser does not look for.
// run: weft run examples/http.ts --allow-listen 127.0.0.1:8080
//   then: curl http://127.0.0.1:8080/   (bench/http.js measures it against Node's http module)
import { listen, accept, read, write, close, spawn, detach, print, printError, errnoName } from "weft";

const ADDRESS = "127.0.0.1:8080";
const RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
/** Room for a connection's unanswered bytes: a request's head must fit. */
const BUFFER_BYTES: i32 = 8 << 10;
/** Answers one write can carry: RESPONSE repeated this many times, made once. */
const BATCH: i32 = 64;

/** The answer that ends a connection: says so, and the client sends nothing more on it. */
const LAST_RESPONSE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n";
/** RESPONSE × BATCH, UTF-8, and LAST_RESPONSE; made by main (a shared build runs no top-level code that
 *  allocates). */
let responses = new Uint8Array(0);
let lastResponse = new Uint8Array(0);

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
      let head = examine(String.UTF8.decode(this.buffer.buffer.slice(at, end - 4)));
      this.skip = head.bodyLength;
      if (head.closes) this.closing = true;
      this.searched = 0;
      ready++;
      at = end;
    }
    while (ready > 0) {
      let batch = min(ready, BATCH);
      let last = this.closing && batch == ready ? 1 : 0;   // the connection's last answer goes alone
      if (batch > last && write(this.fd, responses.subarray(0, (batch - last) * (responses.length / BATCH))) < 0) return false;
      if (last > 0 && write(this.fd, lastResponse) < 0) return false;
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
  lastResponse = repeated(LAST_RESPONSE, 1);
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
