// Calls that wait on the test's peer (tests/io-net.test.ts, PEER): it reads one command per line —
// "late MS TEXT" (sends TEXT after MS ms), "dial MS HOST:PORT" (connects there after MS ms), "reset"
// (resets the connection). Per mode:
//   the core claim: a thread in a read, then in an accept, that waits 150 ms for the peer, while a counter
//   thread yields in a loop; `<mode>.read_during=` / `accept_during=` is how often it counted meanwhile
//   (none in blocking mode), `_ms=` how long the call took from the command that makes the peer wait
//   (so at least the peer's 150 ms, however late the thread runs after sending it), and its result;
//   a reset by the peer: `<mode>.read_reset=` and `<mode>.write_reset=` (errno names).
import {
  listen, accept, connect, read, writeString, close, localAddress, spawn, join, yieldNow, now, IoMode,
  errnoName, print,
} from "weft";

const PEER = "127.0.0.1:47613";          // tests/io-net.test.ts runs a copy with its peer's port
const buffer = new Uint8Array(64);

let count = 0;
let done = false;

function counter(_: usize): i32 {
  while (!done) { count++; yieldNow(); }
  return 0;
}

function shown(n: i32): string { return n >= 0 ? n.toString() : errnoName(-n); }

function stall(name: string, mode: IoMode): void {
  let control = connect(PEER, mode);
  if (control < 0) { print(name + ".peer=" + shown(control)); return; }
  done = false;
  let k = spawn(counter);
  let t0 = now();
  writeString(control, "late 150 x\n", mode);
  let before = count;
  let n = read(control, buffer, -1, mode);
  print(name + ".read_during=" + (count - before).toString());
  print(name + ".read_ms=" + (<i32>(now() - t0)).toString());
  print(name + ".read=" + (n == 1 && buffer[0] == 0x78 ? "x" : shown(n)));

  let l = listen("127.0.0.1:0", 16, mode);
  t0 = now();
  writeString(control, "dial 150 " + localAddress(l)! + "\n", mode);
  before = count;
  let s = accept(l, mode);
  print(name + ".accept_during=" + (count - before).toString());
  print(name + ".accept_ms=" + (<i32>(now() - t0)).toString());
  print(name + ".accept=" + (s >= 3 ? "ok" : shown(s)));
  done = true;
  join(k);
  close(s); close(l); close(control);
}

function reset(name: string, mode: IoMode): void {
  let c = connect(PEER, mode);
  writeString(c, "reset\n", mode);
  print(name + ".read_reset=" + shown(read(c, buffer, -1, mode)));
  print(name + ".write_reset=" + shown(writeString(c, "anyone?", mode)));
  close(c);
}

export function main(): i32 {
  stall("async", IoMode.Async);
  stall("offload", IoMode.Offload);
  stall("blocking", IoMode.Blocking);
  reset("async", IoMode.Async);
  reset("offload", IoMode.Offload);
  reset("blocking", IoMode.Blocking);
  return 0;
}
