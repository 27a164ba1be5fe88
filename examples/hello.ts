// Four threads, each with a name, counting together under a mutex; main joins them.
//   npx weft run examples/hello.ts
import { spawn, join, yieldNow, print, getName, Mutex, SpawnOptions } from "weft";

const lock = new Mutex();
let total = 0;

function counter(rounds: usize): i32 {
  for (let i: usize = 0; i < rounds; i++) {
    lock.lock();
    total++;
    lock.unlock();
    yieldNow();                       // let the others in: threads switch inside Wasm
  }
  print(getName() + " counted " + rounds.toString());
  return <i32>rounds;
}

export function main(): i32 {
  let ids = new Array<i32>();
  for (let i = 0; i < 4; i++) {
    let options = new SpawnOptions();
    options.name = "counter-" + i.toString();
    ids.push(spawn(counter, 1000 * (i + 1), options));
  }
  let sum = 0;
  for (let i = 0; i < ids.length; i++) sum += join(ids[i]).value;
  print("total " + total.toString() + " (joined threads say " + sum.toString() + ")");
  return total == 10_000 ? 0 : 1;
}
