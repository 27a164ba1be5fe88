// Only granted addresses: the test runs this once granting listen on 127.0.0.1 (any port) and connect to
// 127.0.0.1:1 only, and once granting nothing. Per mode prints `<mode>.<case>=` ok or an errno name:
// listen on 127.0.0.1:0 and on 0.0.0.0:0; connect to 127.0.0.1:1 (granted in the first run: nothing
// listens there, ECONNREFUSED) and to the program's own listener (never granted).
import { listen, connect, close, localAddress, IoMode, errnoName, print } from "weft";

function shown(n: i32): string { return n >= 3 ? "ok" : errnoName(-n); }

function inMode(name: string, mode: IoMode): void {
  let l = listen("127.0.0.1:0", 16, mode);
  print(name + ".listen_granted=" + shown(l));
  print(name + ".listen_other=" + shown(listen("0.0.0.0:0", 16, mode)));
  print(name + ".connect_granted=" + shown(connect("127.0.0.1:1", mode)));
  let own = l >= 0 ? localAddress(l)! : "127.0.0.1:80";
  print(name + ".connect_own=" + shown(connect(own, mode)));
  if (l >= 0) close(l);
}

export function main(): i32 {
  inMode("async", IoMode.Async);
  inMode("offload", IoMode.Offload);
  inMode("blocking", IoMode.Blocking);
  return 0;
}
