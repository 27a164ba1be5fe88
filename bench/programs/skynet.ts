// skynet_1m: 1,000,000 threads in a 10-ary tree; each leaf sends its number to its parent over a channel,
// each inner thread sums its children's; the root's sum must be 499999500000. Milliseconds.
import { spawn, now, print, SpawnOptions } from "weft";
import { Channel } from "weft/assembly/lib/channel";

class Task { constructor(public num: i64, public size: i64, public out: Channel<i64>) {} }

function skynet(arg: usize): i32 {
  let task = changetype<Task>(arg);
  if (task.size == 1) { task.out.send(task.num); return 0; }
  let results = new Channel<i64>(10);
  let child = task.size / 10;
  for (let i: i64 = 0; i < 10; i++) {
    spawnDetached(new Task(task.num + i * child, child, results));
  }
  let sum: i64 = 0;
  for (let i = 0; i < 10; i++) sum += results.recv();
  task.out.send(sum);
  return 0;
}

const DETACHED = new SpawnOptions();
DETACHED.detached = true;

function spawnDetached(task: Task): void {
  if (spawn(skynet, changetype<usize>(task), DETACHED) < 0) abort("skynet: spawn failed");
}

export function main(): i32 {
  let out = new Channel<i64>(1);
  let t0 = now();
  spawnDetached(new Task(0, 1_000_000, out));
  let sum = out.recv();
  let ms = now() - t0;
  if (sum != 499999500000) abort("skynet: wrong sum " + sum.toString());
  print("skynet_1m " + ms.toString());
  return 0;
}
