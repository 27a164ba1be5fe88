// The collector's roots: objects held only where weft keeps them for a thread survive collections that
// other threads force by allocating (and by gc()), and read back intact. Each holder builds its object
// from numbers, lets go of every other reference, waits while churners allocate and collect, then
// rebuilds the expected contents and compares. Runs unchanged on N:1 and on 2 and 4 processors, where
// threads also migrate while collections stop the world. Prints `key=value` lines; main returns 0.
import {
  spawn, join, yieldNow, migrate, sleep, print, gc, heapStats, setName, getName, ThreadLocal, Channel, Select,
  Mutex, JoinResult,
} from "weft";
import { Counter, addAt } from "./lib/counter";

class Box {
  constructor(public label: string, public parts: Array<string>) {}
}

/** The contents the holder `n` expects: a label and 8 parts, all made of numbers. */
function expectedLabel(n: i32): string { return "box-" + n.toString() + "-" + (n * 7919).toString(); }
function makeBox(n: i32): Box {
  let parts = new Array<string>();
  for (let i = 0; i < 8; i++) parts.push("part-" + n.toString() + "." + (i * 31).toString());
  return new Box(expectedLabel(n), parts);
}
function boxIntact(b: Box | null, n: i32): bool {
  if (b === null) return false;
  if (b.label != expectedLabel(n) || b.parts.length != 8) return false;
  for (let i = 0; i < 8; i++) if (b.parts[i] != "part-" + n.toString() + "." + (i * 31).toString()) return false;
  return true;
}

const ROUNDS = 6;
let stop = false;
// What each kind of holder found broken (one counter each, printed as broken_<kind>=n).
const KINDS = ["local", "sleeper", "buffer", "sender", "tls", "argument", "name", "select", "error", "churn"];
const brokenAt = new StaticArray<i32>(10);
function broke(kind: i32): void { addAt(brokenAt, kind, 1); }
let checked = new Counter();

/** Allocates garbage (strings and arrays) and forces collections until `stop`. */
function churn(n: usize): i32 {
  let rounds = 0;
  while (!stop) {
    for (let i = 0; i < 2000; i++) {
      let s = "GET /item/" + i.toString() + " HTTP/1.1";
      let parts = s.split(" ");
      if (parts.length != 3) broke(9);
    }
    if ((++rounds & 3) == 0) gc();
    if (n & 1) migrate(); else yieldNow();
  }
  return rounds;
}

/** Lets the churners run a while (many collections), moving between processors. */
function waitWhileOthersCollect(): void {
  let start = heapStats().collections;
  let spins = 0;
  while (heapStats().collections < start + 8 && spins < 200000) { migrate(); spins++; }
}

// 1. A local of a suspended thread.
function holdInLocal(n: usize): i32 {
  let mine = expectedLabel(<i32>n) + "/local";
  for (let r = 0; r < ROUNDS; r++) {
    waitWhileOthersCollect();
    if (mine != expectedLabel(<i32>n) + "/local") broke(0);
    checked.inc();
  }
  return 0;
}

// 2. A sleeper's local (the thread sits in the timer heap).
function holdWhileSleeping(n: usize): i32 {
  let box = makeBox(<i32>n);
  for (let r = 0; r < ROUNDS; r++) {
    sleep(5);
    if (!boxIntact(box, <i32>n)) broke(1);
    checked.inc();
  }
  return 0;
}

// 3. A channel buffer: the only reference is the value in the buffer.
const buffered = new Channel<Box>(4);
function fillBuffer(n: usize): i32 {
  for (let i = 0; i < 4; i++) buffered.send(makeBox(100 + i));
  return 0;
}

// Each object below is made and handed over in a function of its own, which returns before the
// collections: a value passed to a call stays in the caller's frame (AssemblyScript's shadow stack) until
// that frame is popped, and the test must leave weft's copy as the only one.

// 4. A value handed to a parked receiver, which has not run since (the value is in its waiter only).
const rendezvous = new Channel<Box>();
function parkedReceiver(n: usize): i32 {
  let box = rendezvous.recv();
  if (!boxIntact(box, 200)) broke(3);
  checked.inc();
  return 0;
}
function sendBox(): void { rendezvous.send(makeBox(200)); }
function handOff(n: usize): i32 {
  sendBox();                      // the receiver is runnable, not running: its waiter holds the value
  gc(); gc();
  return 0;
}

// 5. TLS (ThreadLocal<T> of a reference).
const tls = new ThreadLocal<Box>();
function setTlsBox(n: i32): void { tls.set(makeBox(300 + n)); }
function holdInTls(n: usize): i32 {
  setTlsBox(<i32>n);
  for (let r = 0; r < ROUNDS; r++) {
    waitWhileOthersCollect();
    if (!boxIntact(tls.get(), 300 + <i32>n)) broke(4);
    checked.inc();
  }
  return 0;
}

// 6. A spawn argument the thread has not taken yet (see main), and 7. a thread's name.
function takeArgument(arg: usize): i32 {
  let box = changetype<Box>(arg);
  if (!boxIntact(box, 400)) broke(5);
  checked.inc();
  return 0;
}
function nameSelf(n: i32): void { setName("named-" + (n * 13).toString()); }
function holdName(n: usize): i32 {
  nameSelf(<i32>n);
  for (let r = 0; r < ROUNDS; r++) {
    waitWhileOthersCollect();
    if (getName() != "named-" + (<i32>n * 13).toString()) broke(6);
    checked.inc();
  }
  return 0;
}

function spawnWithBox(): i32 { return spawn(takeArgument, changetype<usize>(makeBox(400))); }

// 8. A select's send case: the value sits in the case's waiter while the select waits.
const selectTarget = new Channel<Box>();
function addBoxCase(s: Select): void { s.send(selectTarget, makeBox(500)); }
function selectSender(n: usize): i32 {
  let s = new Select();
  addBoxCase(s);
  s.wait();
  return 0;
}

// 9. A dead thread's error message, kept until it is joined.
function dies(n: usize): i32 {
  abort("died-" + (<i32>n * 3).toString());
  return 0;
}

export function main(): i32 {
  let churners = new Array<i32>();
  for (let i = 0; i < 3; i++) churners.push(spawn(churn, i));
  let holders = new Array<i32>();
  for (let i = 0; i < 3; i++) holders.push(spawn(holdInLocal, i));
  for (let i = 0; i < 2; i++) holders.push(spawn(holdWhileSleeping, i));
  for (let i = 0; i < 2; i++) holders.push(spawn(holdInTls, i));
  for (let i = 0; i < 2; i++) holders.push(spawn(holdName, i));
  holders.push(spawn(fillBuffer, 0));
  let receiver = spawn(parkedReceiver, 0);
  let selecting = spawn(selectSender, 0);
  let dead = spawn(dies, 5);

  // The argument: made and handed to spawn in a frame that is gone before the thread starts.
  let taker = spawnWithBox();
  gc(); gc();
  holders.push(taker);
  yieldNow();                     // the receiver parks; then the hand-off, and collections before it runs
  holders.push(spawn(handOff, 0));

  for (let i = 0; i < holders.length; i++) {
    let r = join(holders[i]);
    if (r.error !== null) { print("holder_error=" + (r.error as string)); broke(9); }
  }
  // The buffer, the parked sender and the select: collected often meanwhile; now take the values.
  waitWhileOthersCollect();
  for (let i = 0; i < 4; i++) { if (!boxIntact(buffered.recv(), 100 + i)) broke(2); checked.inc(); }
  if (!boxIntact(selectTarget.recv(), 500)) broke(7);
  checked.inc();
  join(receiver);
  join(selecting);
  // Blocks of every small size freed by now are taken again, so that a freed message would read wrong.
  gc();
  let fillers = new Array<string>();
  for (let len = 1; len <= 64; len++) for (let i = 0; i < 64; i++) fillers.push("#".repeat(len));
  let d = join(dead);
  let error = d.error;
  if (error === null || (error as string).indexOf("died-15") < 0) broke(8);
  checked.inc();

  stop = true;
  for (let i = 0; i < churners.length; i++) join(churners[i]);
  let s = heapStats();
  let total = 0;
  for (let k = 0; k < KINDS.length; k++) {
    print("broken_" + KINDS[k] + "=" + brokenAt[k].toString());
    total += brokenAt[k];
  }
  print("checked=" + checked.get().toString());
  print("collected=" + (s.collections >= 20 ? "many" : s.collections.toString()));
  return total == 0 ? 0 : 1;
}
