// close(): wakes every blocked receiver (closed, zero value) and sender (send returns false); receivers
// drain a buffer before they see closed; sends after close fail; a second close returns false.
import { spawn, join, yieldNow, now, print } from "weft";
import { Channel, Received } from "weft/assembly/lib/channel";
import { Counter, addAt } from "./lib/counter";

const RECEIVERS = 3;
const SENDERS = 2;

let empty = new Channel<i32>(2);
let receiversBlocked = new Counter();
let receiverClosed = new Counter();

function receiver(arg: usize): i32 {
  let out = new Received<i32>();
  receiversBlocked.inc();
  let got = empty.recvInto(out);
  receiversBlocked.dec();
  if (!got && out.closed && out.value == 0) receiverClosed.inc();
  return got ? 1 : 0;
}

let unbuffered = new Channel<i32>();
let sendersBlocked = new Counter();
let senderFailed = new Counter();

function sender(arg: usize): i32 {
  sendersBlocked.inc();
  let ok = unbuffered.send(<i32>arg);
  sendersBlocked.dec();
  if (!ok) senderFailed.inc();
  return ok ? 1 : 0;
}

/** Lets the threads just spawned reach their blocking call: until `count` reaches `expected` (at most 10 s:
 *  on processors, or with a Worker per thread, they start later), then a few yields more. */
function settle(count: Counter, expected: i32): void {
  let t0 = now();
  while (count.get() < expected && now() - t0 < 10_000) yieldNow();
  for (let i = 0; i < 20; i++) yieldNow();
}

export function main(): i32 {
  // 1. Blocked receivers.
  let ids = new Array<i32>();
  for (let i = 0; i < RECEIVERS; i++) ids.push(spawn(receiver));
  settle(receiversBlocked, RECEIVERS);
  print("receivers_blocked=" + receiversBlocked.toString());
  print("close_first=" + (empty.close() ? "1" : "0"));
  let values = 0;
  for (let i = 0; i < RECEIVERS; i++) values += join(ids[i]).value;
  print("receivers_closed=" + receiverClosed.toString() + ",values=" + values.toString());

  // 2. Blocked senders.
  ids = new Array<i32>();
  for (let i = 0; i < SENDERS; i++) ids.push(spawn(sender, 100 + i));
  settle(sendersBlocked, SENDERS);
  print("senders_blocked=" + sendersBlocked.toString());
  unbuffered.close();
  let delivered = 0;
  for (let i = 0; i < SENDERS; i++) delivered += join(ids[i]).value;
  print("senders_failed=" + senderFailed.toString() + ",delivered=" + delivered.toString());

  // 3. Drain then closed.
  let buffered = new Channel<i32>(4);
  buffered.send(7);
  buffered.send(8);
  buffered.send(9);
  buffered.close();
  print("closed_len=" + buffered.len().toString() + ",is_closed=" + (buffered.isClosed() ? "1" : "0"));
  print("send_after_close=" + (buffered.send(10) ? "1" : "0") + ",trysend=" + (buffered.trySend(10) ? "1" : "0"));
  let out = new Received<i32>();
  let drained = "";
  while (buffered.recvInto(out)) drained += out.value.toString() + ",";
  print("drained=" + drained + "closed=" + (out.closed ? "1" : "0"));
  print("recv_closed=" + buffered.recv().toString());
  print("tryrecv_closed=" + (buffered.tryRecv(out) ? "1" : "0") + "," + (out.closed ? "closed" : "open"));
  print("close_again=" + (buffered.close() ? "1" : "0"));
  let refs = new Channel<string | null>();
  refs.close();
  print("ref_zero=" + (refs.recv() === null ? "null" : "value"));
  return 0;
}
