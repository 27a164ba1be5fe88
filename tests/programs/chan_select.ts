// Select: picks a ready case (receive or send), returns -1 from poll when none is ready (consuming
// nothing), blocks until a case becomes ready, fires on close, rotates among ready cases, and under
// contention fires exactly one case per wait (no value lost or taken twice).
import { spawn, join, yieldNow, sleep, now, print } from "weft";
import { Channel } from "weft/assembly/lib/channel";
import { Select } from "weft/assembly/lib/select";

let a = new Channel<i32>(1);
let b = new Channel<i32>(1);
let u = new Channel<i32>();           // unbuffered

function sendLater(arg: usize): i32 {
  sleep(10);
  return a.send(<i32>arg) ? 1 : 0;
}

let unbufferedGot = 0;
function recvLater(arg: usize): i32 {
  sleep(10);
  unbufferedGot = u.recv();
  return 0;
}

function closeLater(arg: usize): i32 {
  sleep(5);
  return u.close() ? 1 : 0;
}

// Contention: SELECTORS threads each select over two channels fed by two producers.
const SELECTORS = 3;
const PER_CHANNEL = 300;
let left = new Channel<i32>();
let right = new Channel<i32>(2);
// Per selector, so that selectors running on different processors (M:N) never write the same variable.
let contendedSums = new StaticArray<i64>(SELECTORS);
let contendedCounts = new StaticArray<i32>(SELECTORS);

function produce(arg: usize): i32 {
  let ch = arg == 0 ? left : right;
  for (let i = 1; i <= PER_CHANNEL; i++) {
    ch.send(<i32>arg * 10000 + i);
    if (i % 5 == 0) yieldNow();
  }
  return 0;
}

function selector(arg: usize): i32 {
  let s = new Select();
  let l = s.recv(left), r = s.recv(right);
  let closedSeen = 0;
  while (closedSeen < 2) {
    let i = s.wait();
    if (s.closed()) { closedSeen++; if (closedSeen == 1) { s.clear(); s.recv(i == l ? right : left); } continue; }
    contendedSums[<i32>arg] += s.value<i32>();
    contendedCounts[<i32>arg]++;
  }
  return 0;
}

export function main(): i32 {
  // 1. A ready receive case fires, with its value; the other channel is untouched.
  b.send(5);
  let s = new Select();
  let ca = s.recv(a), cb = s.recv(b);
  let i = s.wait();
  print("ready_recv=" + (i == cb ? "b" : "other:" + i.toString()) + "," + s.value<i32>().toString());

  // 2. Default: nothing ready -> -1, and nothing consumed or sent.
  let t = new Select();
  t.recv(a);
  t.recv(b);
  t.send(u, 1);
  print("poll_none=" + t.poll().toString() + ",len_a=" + a.len().toString() + ",len_b=" + b.len().toString());

  // 3. A ready send case fires and its value lands in the channel.
  let w = new Select();
  w.recv(u);
  let cs = w.send(b, 33);
  print("ready_send=" + (w.poll() == cs ? "send" : "other") + ",b_holds=" + b.recv().toString());

  // 4. Blocks until a case becomes ready (a sender 10 ms later; timed from before its spawn, as it may
  //    start on another processor at once).
  let start = now();
  let sender = spawn(sendLater, 77);
  i = s.wait();
  let waited = now() - start;
  print("blocked_recv=" + (i == ca ? "a" : "other") + "," + s.value<i32>().toString() + "," +
    (waited >= 9 ? "waited" : "early:" + waited.toString()));
  join(sender);

  // 5. A send case blocks until a receiver comes (unbuffered), and the value reaches it.
  let v = new Select();
  let cu = v.send(u, 123);
  let va = v.recv(a);
  let receiver = spawn(recvLater);
  i = v.wait();
  join(receiver);
  print("blocked_send=" + (i == cu ? "u" : "other") + ",receiver_got=" + unbufferedGot.toString());
  // Reuse: the same Select blocks again (its waiters were withdrawn and can be queued anew); now the
  // receive case fires, and the send case did not send (nobody received on u).
  sender = spawn(sendLater, 88);
  i = v.wait();
  join(sender);
  print("reused=" + (i == va ? "a" : "other") + "," + v.value<i32>().toString() + ",u_receivers=" +
    (u.trySend(1) ? "1" : "0"));

  // 6. Rotation: two always-ready cases fire alternately.
  let x = new Channel<i32>(4), y = new Channel<i32>(4);
  let r = new Select();
  let cx = r.recv(x), cy = r.recv(y);
  let fromX = 0, fromY = 0;
  for (let k = 0; k < 100; k++) {
    x.trySend(1); y.trySend(2);
    let j = r.poll();
    if (j == cx) fromX++; else if (j == cy) fromY++;
  }
  print("fairness=" + fromX.toString() + "," + fromY.toString());

  // 6b. Both directions on one channel (its lock is taken once): with room, the send fires; full, the
  //     receive fires and gets the value just sent.
  let one = new Channel<i32>(1);
  let both = new Select();
  let bothSend = both.send(one, 64), bothRecv = both.recv(one);
  let firstFired = both.wait();
  let secondFired = both.wait();
  print("same_channel=" + (firstFired == bothSend ? "send" : "other") + "," + (secondFired == bothRecv ? "recv" : "other") +
    "," + both.value<i32>().toString() + ",len=" + one.len().toString());

  // 7. A blocked select is fired by close, and reports closed with a zero value.
  let c = new Select();
  let cc = c.recv(u);
  let closer = spawn(closeLater);
  i = c.wait();
  join(closer);
  print("closed_case=" + (i == cc ? "u" : "other") + ",closed=" + (c.closed() ? "1" : "0") + ",value=" +
    c.value<i32>().toString());
  let sendClosed = new Select();
  sendClosed.send(u, 1);
  print("send_on_closed=" + sendClosed.poll().toString() + "," + (sendClosed.closed() ? "closed" : "sent"));
  print("empty_poll=" + new Select().poll().toString());

  // 8. Contention: each value is received by exactly one select.
  let ids = new Array<i32>();
  for (let k = 0; k < SELECTORS; k++) ids.push(spawn(selector, k));
  let p0 = spawn(produce, 0), p1 = spawn(produce, 1);
  join(p0);
  join(p1);
  left.close();
  right.close();
  for (let k = 0; k < SELECTORS; k++) join(ids[k]);
  let expected: i64 = 0;
  for (let k = 1; k <= PER_CHANNEL; k++) expected += k + (10000 + k);
  let contendedSum: i64 = 0, contendedCount = 0;
  for (let k = 0; k < SELECTORS; k++) { contendedSum += contendedSums[k]; contendedCount += contendedCounts[k]; }
  print("contended_count=" + contendedCount.toString() + ",sum_ok=" + (contendedSum == expected ? "1" : "0"));
  return 0;
}
