// Channels and Selects are objects the collector frees: a server answers each request on a channel its
// client made for it (Go's reply channel), and every round also leaves a buffered channel with boxes in
// it behind, and a Select with a case on each.
// After a warm-up, ROUNDS more rounds must not grow the heap (each would leak ~500 bytes if channels and
// Selects were never freed). And a channel that only a Select's case refers to stays alive, with the box
// in its buffer; so does a box received into a Received<Box> and held only there.
// Prints `rounds=`, `sum=`, `expected=`, `growth=` (heap bytes after the measured rounds, less before),
// `select_box=` (1: the box came back intact through the case), `received_box=` (1: the one only a
// Received held came through), `collected=` (collections in the run).
import { spawn, join, gc, heapStats, print, Channel, Select, Received } from "weft";
import { heapAllocated, heapCapacity } from "weft/assembly/runtime/index";
import { waiterPoolBytes } from "weft/assembly/lib/waiter";
import { currentThread } from "weft/assembly/core/scheduler";
import { Thread } from "weft/assembly/core/layout";
import { STACK_NONE } from "weft/assembly/core/stack";

const WARMUP = 2_000;
const ROUNDS = 40_000;

class Box {
  constructor(public n: i32, public words: StaticArray<i32>) {}
}
function makeBox(n: i32): Box {
  let words = new StaticArray<i32>(8);
  for (let i = 0; i < 8; i++) words[i] = n * 8 + i;
  return new Box(n, words);
}
function boxIntact(box: Box | null, n: i32): bool {
  if (box === null || box.n != n) return false;
  for (let i = 0; i < 8; i++) if (box.words[i] != n * 8 + i) return false;
  return true;
}

class Request {
  constructor(public n: i32, public reply: Channel<i32>) {}
}
const requests = new Channel<Request | null>();

function server(_: usize): i32 {
  while (true) {
    let request = requests.recv();
    if (request === null) return 0;
    request.reply.send(request.n * 2);
  }
}

/** One round: a reply channel, waited on through a Select of its own, and a buffered channel left with
 *  two boxes in it. */
function round(n: i32): i64 {
  let reply = new Channel<i32>();
  requests.send(new Request(n, reply));
  let abandoned = new Channel<Box>(4);
  abandoned.send(makeBox(n));
  abandoned.send(makeBox(n + 1));
  let s = new Select();
  s.recv(abandoned);
  s.recv(reply);
  if (s.wait() != 0) return -1;             // the buffered channel is ready: its case fires
  return reply.recv();
}

/** Heap bytes in use, less the waiter pools and main's own save area and stack (mn_stress.ts says why). */
function heapInUse(): isize {
  let t = changetype<Thread>(currentThread);
  let own = t.saveArea != 0 ? heapCapacity(t.saveArea) : 0;
  if (t.stackBase != STACK_NONE) own += heapCapacity(t.stackBase);
  return <isize>heapAllocated() - <isize>waiterPoolBytes() - <isize>own;
}

/** A case on a channel that nothing else refers to once this returns. */
function addLonelyCase(s: Select): void {
  let ch = new Channel<Box>(1);
  ch.send(makeBox(77));
  s.recv(ch);
}

/** Receives a box into `out`, which is then all that refers to it. */
function receiveInto(out: Received<Box>): void {
  let ch = new Channel<Box>(1);
  ch.send(makeBox(88));
  ch.tryRecv(out);
}

export function main(): i32 {
  let serving = spawn(server, 0);
  let sum: i64 = 0;
  for (let i = 0; i < WARMUP; i++) sum += round(i);
  gc(); gc();
  let before = heapInUse();
  for (let i = WARMUP; i < WARMUP + ROUNDS; i++) sum += round(i);
  gc(); gc();
  let after = heapInUse();
  requests.send(null);
  join(serving);

  let s = new Select();
  addLonelyCase(s);
  for (let i = 0; i < 2_000; i++) makeBox(i);   // garbage, to reuse what a wrongly freed channel held
  gc(); gc();
  for (let i = 0; i < 2_000; i++) makeBox(i);
  let fired = s.wait();
  let box = s.value<Box>();

  let received = new Received<Box>();
  receiveInto(received);
  for (let i = 0; i < 2_000; i++) makeBox(i);
  gc(); gc();
  for (let i = 0; i < 2_000; i++) makeBox(i);

  let n = <i64>(WARMUP + ROUNDS);
  print("rounds=" + ROUNDS.toString());
  print("sum=" + sum.toString());
  print("expected=" + (n * (n - 1)).toString());
  print("growth=" + (after - before).toString());
  print("select_box=" + (fired == 0 && boxIntact(box, 77) ? "1" : "0"));
  print("received_box=" + (received.ok && boxIntact(received.value, 88) ? "1" : "0"));
  print("collected=" + heapStats().collections.toString());
  return 0;
}
