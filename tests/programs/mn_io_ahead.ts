// Accepts ahead (host/io/ahead.ts), seen from the program, on processors: connections made while nobody
// accepts are each accepted once, with their own bytes, whether they waited in the owner's list or in the
// listener's ring; a listener closed with connections nobody accepted closes them (their clients read the
// end); and at a fork, connections accepted ahead go back to the list, and the parent still accepts them.
// Each part connects its clients, then sleeps a little, so that the owner has them before the accepts.
import { listen, accept, connect, read, write, close, localAddress, sleep, fork, waitpid, print, errnoName } from "weft";

const one = new Uint8Array(1);

/** Connects `count` clients to `address`, client i sending the byte i; their descriptors. */
function clients(address: string, count: i32): i32[] {
  let fds = new Array<i32>(0);
  for (let i = 0; i < count; i++) {
    let c = connect(address);
    if (c < 0) { print("error=connect " + errnoName(-c)); return fds; }
    one[0] = <u8>i;
    let n = write(c, one);
    if (n != 1) print("error=write " + errnoName(-n));
    fds.push(c);
  }
  return fds;
}

/** Accepts `count` connections of `listener` and reads each one's byte: "yes" if every client's came
 *  exactly once, else what went wrong. */
function acceptAll(listener: i32, count: i32): string {
  let seen = new StaticArray<bool>(count);
  for (let i = 0; i < count; i++) {
    let s = accept(listener);
    if (s < 0) return "accept " + errnoName(-s);
    let n = read(s, one);
    if (n != 1) return "read " + (n < 0 ? errnoName(-n) : n.toString());
    let k = <i32>one[0];
    if (k >= count || seen[k]) return "client " + k.toString() + " twice or unknown";
    seen[k] = true;
    close(s);
  }
  return "yes";
}

function listening(): i32 {
  let l = listen("127.0.0.1:0", 64);
  if (l < 0) print("error=listen " + errnoName(-l));
  return l;
}

export function main(): i32 {
  // 1. Twelve connections waiting, then twelve accepts.
  let l = listening();
  let cs = clients(localAddress(l)!, 12);
  sleep(50);
  print("each_once=" + acceptAll(l, 12));
  for (let i = 0; i < cs.length; i++) close(cs[i]);
  close(l);

  // 2. A listener closed with three connections, one accepted and closed: every client reads the end.
  l = listening();
  cs = clients(localAddress(l)!, 3);
  sleep(50);
  let s = accept(l);
  close(l);
  close(s);
  let ends = 0;
  for (let i = 0; i < cs.length; i++) {
    let n = read(cs[i], one);                   // waits for ever if its connection was left open
    if (n == 0 || (n < 0 && errnoName(-n) == "ECONNRESET")) ends++;
  }
  print("closed_unaccepted=" + ends.toString());
  for (let i = 0; i < cs.length; i++) close(cs[i]);

  // 3. A fork with two connections waiting: the child leaves at once; the parent accepts both.
  l = listening();
  cs = clients(localAddress(l)!, 2);
  sleep(50);
  let pid = fork();
  if (pid == 0) return 0;
  waitpid(pid);
  print("after_fork=" + acceptAll(l, 2));
  return 0;
}
