// Barrier semantics: nobody leaves a round before everyone arrived, exactly one serial thread per round,
// reusable over many rounds; Barrier.create(0) is null.
import { spawn, join, yieldNow, print } from "weft";
import { Barrier } from "weft/assembly/lib/sync/index";
import { Counter, addAt } from "./lib/counter";

const THREADS = 4;
const ROUNDS = 6;

let barrier = new Barrier(THREADS);
let arrivals = new StaticArray<i32>(ROUNDS);   // per round: threads that reached wait()
let serials = new StaticArray<i32>(ROUNDS);    // per round: threads that got true
let early = new Counter();                      // left a round before all had arrived

function member(arg: usize): i32 {
  let id = <i32>arg;
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < (id + round) % 3; k++) yieldNow();   // arrive in a different order each round
    addAt(arrivals, round, 1);
    let serial = barrier.wait();
    if (atomic.load<i32>(changetype<usize>(arrivals) + (<usize>round << 2)) != THREADS) early.inc();
    if (serial) addAt(serials, round, 1);
  }
  return 0;
}

export function main(): i32 {
  let ids = new Array<i32>();
  for (let i = 0; i < THREADS; i++) ids.push(spawn(member, <usize>i));
  for (let i = 0; i < THREADS; i++) join(ids[i]);
  let list = "";
  for (let round = 0; round < ROUNDS; round++) list += (round ? "," : "") + serials[round].toString();
  print("serials=" + list);
  print("early=" + early.toString());
  print("rounds=" + barrier.rounds().toString());
  print("create_zero=" + (Barrier.create(0) === null ? "null" : "object"));
  print("create_one=" + (Barrier.create(1) === null ? "null" : "object"));
  let single = new Barrier(1);
  print("single_serial=" + (single.wait() && single.wait() ? "1" : "0"));
  return 0;
}
