// What TCP calls fail with. Per mode: ECONNREFUSED (a port whose listener was closed), EADDRINUSE (a port
// already listened on), EPIPE or ECONNRESET (writing after the peer closed: the first writes may still be
// taken, as with the kernel's buffer), EPIPE (writing after our own SHUT_WR). Then: EBADF (no such
// descriptor), EINVAL (accept on a connection), ENOTCONN (read on a listener), ENOTSUP (blocking
// accept, read or write on a socket of the host's own thread). Prints `<case>=<errno name or result>`.
import {
  listen, accept, connect, read, write, writeString, shutdown, close, localAddress, sleep, IoMode, SHUT_WR,
  errnoName, getErrno, print,
} from "weft";

const buffer = new Uint8Array(64);
const DATA = Uint8Array.wrap(String.UTF8.encode("data"));

function shown(n: i32): string { return n >= 0 ? n.toString() : errnoName(-n); }

function perMode(name: string, mode: IoMode): void {
  let l = listen("127.0.0.1:0", 16, mode);
  let address = localAddress(l)!;
  print(name + ".listen_again=" + shown(listen(address, 16, mode)));

  // the peer closes: its end of stream, then writes fail once the peer's kernel has reset the connection
  let c = connect(address, mode), s = accept(l, mode);
  close(s, mode);
  print(name + ".read_after_peer_close=" + shown(read(c, buffer, -1, mode)));
  let w = 0, tries = 0;
  while (w >= 0 && tries < 50) { w = write(c, DATA, -1, mode); tries++; if (w >= 0) sleep(5); }
  print(name + ".write_after_peer_close=" + shown(w));
  close(c, mode);

  let c2 = connect(address, mode), s2 = accept(l, mode);
  shutdown(c2, SHUT_WR, mode);
  print(name + ".write_after_shutdown=" + shown(write(c2, DATA, -1, mode)));
  close(c2, mode); close(s2, mode);

  close(l, mode);
  print(name + ".connect_closed_port=" + shown(connect(address, mode)));
}

export function main(): i32 {
  perMode("async", IoMode.Async);
  perMode("offload", IoMode.Offload);
  perMode("blocking", IoMode.Blocking);

  print("read_bad_fd=" + shown(read(99, buffer)));
  print("write_bad_fd=" + shown(writeString(99, "x")));
  print("accept_bad_fd=" + shown(accept(99)));
  print("shutdown_bad_fd=" + shown(shutdown(99)));
  print("close_bad_fd=" + shown(close(99)));
  let none = localAddress(99);
  print("address_bad_fd=" + (none == null ? errnoName(getErrno()) : none!));
  print("accept_stdout=" + shown(accept(1)));

  let l = listen("127.0.0.1:0", 16, IoMode.Async);
  let c = connect(localAddress(l)!, IoMode.Async);
  print("accept_on_connection=" + shown(accept(c)));
  print("read_on_listener=" + shown(read(l, buffer)));
  print("write_on_listener=" + shown(write(l, DATA)));
  print("blocking_accept_here=" + shown(accept(l, IoMode.Blocking)));
  print("blocking_read_here=" + shown(read(c, buffer, -1, IoMode.Blocking)));
  print("blocking_write_here=" + shown(write(c, DATA, -1, IoMode.Blocking)));
  print("blocking_shutdown_here=" + shown(shutdown(c, SHUT_WR, IoMode.Blocking)));
  print("blocking_close_here=" + shown(close(c, IoMode.Blocking)) + "," + shown(close(l, IoMode.Blocking)));

  let hl = listen("127.0.0.1:0", 16, IoMode.Offload);
  let hc = connect(localAddress(hl)!, IoMode.Offload);
  print("helper_accept_on_connection=" + shown(accept(hc)));
  print("helper_read_on_listener=" + shown(read(hl, buffer)));
  close(hc); close(hl);
  return 0;
}
