// Unbuffered channels: a send returns only once a receiver has taken the value; values arrive in order;
// trySend / tryRecv succeed only against a blocked partner.
import { spawn, join, yieldNow, print } from "weft";
import { Channel, Received } from "weft/assembly/lib/channel";

const COUNT = 50;

let ch = new Channel<i32>();
let recvStarted = 0;      // set by the receiver just before it calls recv
let receivedSum = 0;
let outOfOrder = 0;

function lateReceiver(arg: usize): i32 {
  for (let i = 0; i < 20; i++) yieldNow();      // the sender would have returned by now if send did not block
  recvStarted = 1;
  return ch.recv();
}

function orderedReceiver(arg: usize): i32 {
  for (let i = 1; i <= COUNT; i++) {
    let v = ch.recv();
    if (v != i) outOfOrder++;
    receivedSum += v;
  }
  return 0;
}

let gotBySender = 0;
function blockedSender(arg: usize): i32 {
  return ch.send(<i32>arg) ? 1 : 0;
}

export function main(): i32 {
  // 1. Rendezvous: send blocks until the receiver (which starts late) took the value.
  let r = spawn(lateReceiver);
  let sent = ch.send(42);
  print("send_ok=" + (sent ? "1" : "0"));
  print("recv_started_when_send_returned=" + recvStarted.toString());
  print("receiver_got=" + join(r).value.toString());

  // 2. Order: 1..COUNT arrive as sent.
  r = spawn(orderedReceiver);
  for (let i = 1; i <= COUNT; i++) ch.send(i);
  join(r);
  print("ordered_sum=" + receivedSum.toString());
  print("out_of_order=" + outOfOrder.toString());

  // 3. trySend / tryRecv need a blocked partner on an unbuffered channel.
  print("trysend_alone=" + (ch.trySend(1) ? "1" : "0"));
  let out = new Received<i32>();
  print("tryrecv_alone=" + (ch.tryRecv(out) ? "1" : "0") + "," + (out.closed ? "closed" : "open"));
  let s = spawn(blockedSender, 77);
  yieldNow();                                     // the sender runs and blocks in send
  print("tryrecv_partner=" + (ch.tryRecv(out) ? "1" : "0") + "," + out.value.toString());
  print("blocked_sender_result=" + join(s).value.toString());
  r = spawn(lateReceiver);
  while (recvStarted == 0 || !ch.trySend(5)) yieldNow();
  print("trysend_partner_got=" + join(r).value.toString());
  print("len=" + ch.len().toString() + " cap=" + ch.cap().toString());
  return 0;
}
