// Every TCP call in every mode, one after another on one thread: listen, address, connect, accept, write
// (bytes and UTF-16 text), read, shutdown (the peer reads end-of-stream, the other way still works),
// close, and a call on the closed descriptor. Prints `<mode>.<step>=<result>` (a number, text read, or an
// errno name), then the same with the calls of one connection spread over different modes (`mixed.`).
import {
  listen, accept, connect, read, write, writeString, shutdown, close, localAddress, IoMode, SHUT_WR,
  errnoName, print,
} from "weft";

const buffer = new Uint8Array(256);
const PONG = Uint8Array.wrap(String.UTF8.encode("pong"));

function shown(n: i32): string { return n >= 0 ? n.toString() : errnoName(-n); }

/** What a read got: its text, "EOF", or an errno name. */
function got(fd: i32, mode: IoMode): string {
  let n = read(fd, buffer, -1, mode);
  if (n < 0) return errnoName(-n);
  if (n == 0) return "EOF";
  return String.UTF8.decodeUnsafe(buffer.dataStart, n);
}

function portOf(address: string): string { return address.slice(address.lastIndexOf(":") + 1); }

function round(name: string, listenMode: IoMode, connectMode: IoMode, acceptMode: IoMode, dataMode: IoMode): void {
  let l = listen("127.0.0.1:0", 16, listenMode);
  print(name + ".listen=" + (l >= 3 ? "ok" : shown(l)));
  let address = localAddress(l);
  let at = address == null ? "null" : address!;
  print(name + ".address=" + (at.startsWith("127.0.0.1:") && portOf(at) != "0" ? "ok" : at));
  let c = connect(at, connectMode);
  print(name + ".connect=" + (c >= 3 ? "ok" : shown(c)));
  let s = accept(l, acceptMode);
  print(name + ".accept=" + (s >= 3 && s != c ? "ok" : shown(s)));
  let serverEnd = localAddress(s), clientEnd = localAddress(c);
  print(name + ".ends=" + (serverEnd == at ? "listener" : "?") + "," +
    (clientEnd != null && portOf(clientEnd!) != portOf(at) ? "own" : "?"));
  print(name + ".write_text=" + shown(writeString(c, "ping é", dataMode)));
  print(name + ".read_text=" + got(s, dataMode));
  print(name + ".write=" + shown(write(s, PONG, -1, dataMode)));
  print(name + ".read=" + got(c, dataMode));
  print(name + ".shutdown=" + shown(shutdown(c, SHUT_WR, dataMode)));
  print(name + ".read_after_shutdown=" + got(s, dataMode));
  print(name + ".write_back=" + shown(writeString(s, "still open", dataMode)));
  print(name + ".read_back=" + got(c, dataMode));
  print(name + ".close=" + shown(close(c, dataMode)) + "," + shown(close(s, dataMode)) + "," + shown(close(l, dataMode)));
  print(name + ".read_closed=" + got(s, dataMode));
}

export function main(): i32 {
  round("async", IoMode.Async, IoMode.Async, IoMode.Async, IoMode.Async);
  round("offload", IoMode.Offload, IoMode.Offload, IoMode.Offload, IoMode.Offload);
  round("blocking", IoMode.Blocking, IoMode.Blocking, IoMode.Blocking, IoMode.Blocking);
  // the listener and its connections in the helper, the client here; async calls on the helper's sockets
  round("mixed", IoMode.Blocking, IoMode.Async, IoMode.Offload, IoMode.Async);
  return 0;
}
