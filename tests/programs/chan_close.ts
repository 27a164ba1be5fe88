// close(): wakes every blocked receiver (closed, zero value) and sender (send returns false); receivers
// drain a buffer before they see closed; sends after close fail; a second close returns false.
import { spawn, join, yieldNow, print } from "weft";
import { Channel, Received } from "weft/assembly/channel";

const RECEIVERS = 3;
const SENDERS = 2;

let empty = new Channel<i32>(2);
let receiversBlocked = 0;
let receiverClosed = 0;

function receiver(arg: usize): i32 {
  let out = new Received<i32>();
  receiversBlocked++;
  let got = empty.recvInto(out);
  receiversBlocked--;
  if (!got && out.closed && out.value == 0) receiverClosed++;
  return got ? 1 : 0;
}

let unbuffered = new Channel<i32>();
let sendersBlocked = 0;
let senderFailed = 0;

function sender(arg: usize): i32 {
  sendersBlocked++;
  let ok = unbuffered.send(<i32>arg);
  sendersBlocked--;
  if (!ok) senderFailed++;
  return ok ? 1 : 0;
}

function settle(): void { for (let i = 0; i < 20; i++) yieldNow(); }

export function main(): i32 {
  // 1. Blocked receivers.
  let ids = new Array<i32>();
  for (let i = 0; i < RECEIVERS; i++) ids.push(spawn(receiver));
  settle();
  print("receivers_blocked=" + receiversBlocked.toString());
  print("close_first=" + (empty.close() ? "1" : "0"));
  let values = 0;
  for (let i = 0; i < RECEIVERS; i++) values += join(ids[i]).value;
  print("receivers_closed=" + receiverClosed.toString() + ",values=" + values.toString());

  // 2. Blocked senders.
  ids = new Array<i32>();
  for (let i = 0; i < SENDERS; i++) ids.push(spawn(sender, 100 + i));
  settle();
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
