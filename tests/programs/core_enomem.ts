// Spawning beyond the memory cap (the test runs this with memoryLimit 8 MiB): spawn allocates only the
// thread record, so a huge stackSize does not fail it; spawning in a loop eventually returns -ENOMEM, and
// the program goes on as a POSIX program does after pthread_create fails: it prints, joins some of the
// threads (which frees their records), spawns again, and exits 0.
import { spawn, join, detach, yieldNow, print, SpawnOptions, ENOMEM } from "weft";
import { liveThreadCount } from "weft/assembly/core/thread";

const MAX = 200000;                      // more records than 8 MiB can hold (112 bytes + header each)

function worker(arg: usize): i32 {
  return <i32>arg & 0xff;
}

export function main(): i32 {
  let ids = new StaticArray<i32>(MAX);   // allocated up front: recording an id allocates nothing
  let options = new SpawnOptions();
  options.stackSize = 1 << 30;           // 1 GiB: spawn must not reserve it
  options.name = "hog";
  join(spawn(worker, 1));                // main switches once and keeps its save area, while memory lasts
  let count = 0;
  let failure = 0;
  while (count < MAX) {
    let id = spawn(worker, <usize>count, options);
    if (id < 0) { failure = id; break; }
    ids[count++] = id;
  }
  print("failure=" + failure.toString() + " expected=" + (-ENOMEM).toString());
  print("spawned_many=" + (count > 1000 ? "1" : "0"));
  print("live_is_count_plus_main=" + (liveThreadCount() == count + 1 ? "1" : "0"));
  let sum = 0;
  let errors = 0;
  for (let i = 0; i < 16; i++) {
    let r = join(ids[i]);
    if (!r.ok) errors++;
    sum += r.value;
  }
  print("joined_sum=" + sum.toString() + " errors=" + errors.toString());
  let again = spawn(worker, 300, options);
  print("spawn_again=" + (again > 0 ? join(again).value.toString() : again.toString()));
  for (let i = 16; i < count; i++) detach(ids[i]);
  yieldNow();
  print("live_end=" + liveThreadCount().toString());
  return 0;
}
