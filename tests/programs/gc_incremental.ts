// Marking in slices while the program runs (core/gc.ts, "Pauses"): threads keep moving objects between
// places the marking may already have passed — an object's field, a global array, a stack, a channel
// buffer, a parked receiver, TLS, a new thread's argument — while allocating enough that collections run
// one after another, with no gc() call: every collection here is made of slices and a remark. Each
// object carries a checksum of its own contents, checked whenever it is taken, so one freed too early
// (and its memory reused) is seen. Prints `key=value`; main returns 0 when nothing broke.
import { spawn, join, yieldNow, migrate, print, heapStats, Channel, ThreadLocal } from "weft";
import { Counter } from "./lib/counter";
import { Item } from "./lib/item";

class Holder { item: Item | null = null; }

const MOVERS = 4;
const ROUNDS = 1500;
const shelf = new Array<Holder>();                 // a global structure: objects in its fields
const passed = new Channel<Item>(8);               // a buffer
const handed = new Channel<Item>();                // a rendezvous: values in parked receivers' waiters
const tls = new ThreadLocal<Item>();
let broken = new Counter();
let checked = new Counter();
let serial = new Counter();

function check(item: Item | null): void {
  if (item === null || !item.intact()) broken.inc();
  checked.inc();
}

/** Garbage, so that collections keep coming while the movers work. */
function litter(n: i32): i32 {
  let total = 0;
  for (let i = 0; i < 40; i++) total += ("litter " + (n * 40 + i).toString()).split(" ").length;
  return total;
}

function fresh(): Item { return new Item(serial.inc()); }

function spawned(arg: usize): i32 {
  check(changetype<Item>(arg));
  return 0;
}

// Each move happens in a function of its own, whose frame is gone before the collection ends: the object
// is then nowhere but where it was moved to (a value passed to a call stays in the caller's frame).
function moveToBuffer(slot: Holder): void {
  let taken = slot.item;
  slot.item = fresh();
  check(taken);
  if (!passed.trySend(taken!)) { check(passed.recv()); passed.trySend(taken!); }
}
function moveToTls(slot: Holder, r: i32): void {
  let taken = slot.item;
  slot.item = fresh();
  check(taken);
  let old = tls.get();
  tls.set(taken!);
  if (r > 1) check(old);
}
function moveToField(slot: Holder, to: Holder): void {
  let taken = slot.item;
  slot.item = fresh();
  check(taken);
  to.item!.next = taken;
}
function moveToThread(slot: Holder): i32 {
  let taken = slot.item;
  slot.item = fresh();
  check(taken);
  return spawn(spawned, changetype<usize>(taken));
}

/** Takes a shelf's object into the caller's hand (its stack only), leaving a new one there. */
function swapOut(slot: Holder): Item {
  let taken = slot.item!;
  slot.item = fresh();
  return taken;
}

function mover(k: usize): i32 {
  let child = 0;
  let hand: Item | null = null;               // an object carried on this stack only, for 16 rounds
  for (let r = 0; r < ROUNDS; r++) {
    let slot = shelf[(<i32>k + r) % shelf.length];
    if ((r & 15) == 0) {
      if (hand !== null) { check(hand); slot.item!.next = hand; }
      hand = swapOut(shelf[(<i32>k * 3 + r) % shelf.length]);
    }
    switch (r & 3) {
      case 0: moveToBuffer(slot); break;
      case 1: moveToTls(slot, r); break;
      case 2: moveToField(slot, shelf[(<i32>k * 7 + r) % shelf.length]); break;
      case 3: { if (child > 0) join(child); child = moveToThread(slot); break; }
    }
    litter(r);
    if (r & 1) migrate(); else yieldNow();
  }
  if (child > 0) join(child);
  check(hand);
  check(tls.get());
  return 0;
}

function receiver(n: usize): i32 {
  for (let r = 0; r < ROUNDS / 4; r++) check(handed.recv());   // parked: each value sits in its waiter
  return 0;
}

function sender(n: usize): i32 {
  for (let r = 0; r < ROUNDS / 4; r++) { handed.send(fresh()); litter(r); }
  return 0;
}

// Live objects enough that marking takes many slices (each at most ~1 ms): ~150,000 strings.
const ballast = new Array<Array<string>>();

export function main(): i32 {
  for (let i = 0; i < 1500; i++) {
    let row = new Array<string>();
    for (let j = 0; j < 100; j++) row.push("ballast " + i.toString() + "." + j.toString());
    ballast.push(row);
  }
  for (let i = 0; i < 64; i++) { let h = new Holder(); h.item = fresh(); shelf.push(h); }
  let start = heapStats();
  let ids = new Array<i32>();
  for (let i = 0; i < MOVERS; i++) ids.push(spawn(mover, i));
  ids.push(spawn(receiver, 0));
  ids.push(spawn(sender, 0));
  for (let i = 0; i < ids.length; i++) {
    let r = join(ids[i]);
    if (r.error !== null) { print("thread_error=" + (r.error as string)); broken.inc(); }
  }
  while (passed.len() > 0) check(passed.recv());
  for (let i = 0; i < shelf.length; i++) {
    let item = shelf[i].item;
    while (item !== null) { check(item); item = item.next; }
  }
  for (let i = 0; i < ballast.length; i += 97) if (ballast[i][i % 100] != "ballast " + i.toString() + "." + (i % 100).toString()) broken.inc();
  let end = heapStats();
  print("broken=" + broken.get().toString());
  print("checked_many=" + (checked.get() > 5000 ? "yes" : checked.get().toString()));
  print("collections=" + (end.collections - start.collections).toString());
  print("sliced=" + (end.pauses - start.pauses > end.collections - start.collections ? "yes" : "no"));
  return broken.get() == 0 ? 0 : 1;
}
