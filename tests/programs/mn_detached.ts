// Threads born detached, across processors: each is ended and reaped by the processor that ran it last,
// without the scheduler lock, its record and slot going back to that processor's lists; and channel
// hand-overs whose waker and parker sit on different processors.
//   - ROUNDS rounds of a 10-ary tree of NODES threads, all spawned detached. Node k's children are
//     10k+1 .. 10k+10 (its argument is its index: nothing is allocated per thread); a leaf sends its index
//     to its parent's channel, an inner node sends the sum of its children's. Even rounds use buffered
//     channels (10 slots), odd rounds unbuffered ones, made once and drained by every round. Every inner
//     node migrates between its spawns and its receives, and every third leaf before its send, so that
//     parkers and wakers are on different processors.
//   - After each round main waits until no thread but itself is left (the last leaves may still be
//     leaving their processors when the root's sum arrives), then reads the heap and the thread table.
//     The first two rounds warm up: the table grows to the rounds' peak of live threads (all of them,
//     about, as the queues run in order), which round 1 need not reach.
// Prints `sums_ok=` (rounds whose sum was right), `rounds=`, `live=` (threads left but main after the
// last round), `heap_growth=` (heap bytes from after round 2 to after the last, less the waiter pools,
// main's save area and the table's chunks, CHUNK_BYTES per 4,096 slots: slots handed out are kept), `slots=` (slots
// handed out at the end: at most the peak of live threads plus what the other processors' lists hold),
// `nodes=`, `ran_on=` (processors that ran nodes).
import { spawn, SpawnOptions, Channel, migrate, processorId, yieldNow, sleep, print } from "weft";
import { heapAllocated, heapCapacity } from "weft/assembly/runtime/index";
import { currentThread } from "weft/assembly/core/scheduler";
import { Thread } from "weft/assembly/core/layout";
import { waiterPoolBytes } from "weft/assembly/lib/waiter";
import { liveThreadCount, threadTableUsed } from "weft/assembly/core/thread";

const ROUNDS = 8;
const INNER = 1 + 10 + 100 + 1000;          // four levels of inner nodes
const NODES = INNER + 10_000;               // and 10,000 leaves
const EXPECTED: i64 = (<i64>(INNER + NODES - 1) * <i64>(NODES - INNER)) / 2;   // the leaves' indices

const CHUNK_SLOTS: u32 = 4096;             // table.ts: the table grows by chunks of 4,096 entries
const CHUNK_BYTES: isize = 4096 * 8;

// @ts-ignore: decorator
@inline function tableBytes(slots: u32): isize { return <isize>((slots + CHUNK_SLOTS - 1) / CHUNK_SLOTS) * CHUNK_BYTES; }

const DETACHED = new SpawnOptions();
DETACHED.detached = true;
let buffered = new StaticArray<Channel<i64>>(INNER);
let unbuffered = new StaticArray<Channel<i64>>(INNER);
let top = new Channel<i64>(1);
let round = 0;
const RAN_ON = memory.data(4, 4);

// @ts-ignore: decorator
@inline function channelOf(index: i32): Channel<i64> {
  return (round & 1) == 0 ? buffered[index] : unbuffered[index];
}

function node(arg: usize): i32 {
  let index = <i32>arg;
  atomic.or<u32>(RAN_ON, <u32>1 << <u32>processorId());
  let out = index == 0 ? top : channelOf((index - 1) / 10);
  if (index >= INNER) {
    if (index % 3 == 0) migrate();
    out.send(<i64>index);
    return 0;
  }
  for (let i = 1; i <= 10; i++) {
    if (spawn(node, <usize>(index * 10 + i), DETACHED) < 0) abort("mn_detached: spawn failed");
  }
  migrate();
  let results = channelOf(index), sum: i64 = 0;
  for (let i = 0; i < 10; i++) sum += results.recv();
  out.send(sum);
  return 0;
}

/** Heap bytes in use, less the waiter pools (kept for reuse) and main's own save area, whose size
 *  depends on where main last switched (a receive, or a yield while settling). */
function heapInUse(): isize {
  let area = changetype<Thread>(currentThread).saveArea;
  return <isize>heapAllocated() - <isize>waiterPoolBytes() - (area != 0 ? <isize>heapCapacity(area) : 0);
}

/** Waits until main is the only thread left. A processor's kernel thread may be off its core for a long
 *  while (4 processors on 2 cores, beside other runs), and the thread it runs stays live meanwhile:
 *  yields first, then 1 ms sleeps, for up to 30 s. A count of yields is not enough: a million of
 *  them once passed while such a thread still ran. */
function settle(): void {
  for (let tries = 0; liveThreadCount() > 1 && tries < 1000; tries++) yieldNow();
  for (let ms = 0; liveThreadCount() > 1 && ms < 30_000; ms++) sleep(1);
}

export function main(): i32 {
  sleep(1);                                  // the timer heap is made at the first sleep: before round 2
  for (let i = 0; i < INNER; i++) { buffered[i] = new Channel<i64>(10); unbuffered[i] = new Channel<i64>(0); }
  let ok = 0;
  let heapAfterFirst: isize = 0, slotsAfterFirst: u32 = 0;   // after round 2
  for (round = 0; round < ROUNDS; round++) {
    if (spawn(node, 0, DETACHED) < 0) abort("mn_detached: spawn failed");
    if (top.recv() == EXPECTED) ok++;
    settle();
    if (round == 1) {
      heapAfterFirst = heapInUse();
      slotsAfterFirst = threadTableUsed();
    }
  }
  let heapGrowth = heapInUse() - heapAfterFirst -
    (tableBytes(threadTableUsed()) - tableBytes(slotsAfterFirst));
  print("sums_ok=" + ok.toString());
  print("rounds=" + ROUNDS.toString());
  print("live=" + (liveThreadCount() - 1).toString());
  print("heap_growth=" + heapGrowth.toString());
  print("slots=" + threadTableUsed().toString());
  print("nodes=" + NODES.toString());
  print("ran_on=" + popcnt<u32>(atomic.load<u32>(RAN_ON)).toString());
  return 0;
}
