// Blocks that cross processors: each of THREADS threads takes BLOCKS blocks a round (three small
// classes), fills every word with its mark, and hands them to the next thread, which checks the marks and
// frees them wherever it runs. A cache that holds more than CACHE_MAX blocks of a class gives half back
// (runtime/heap.ts, "Processor caches"), and refills on other processors take them: a block handed out
// twice shows as another thread's mark, a block lost as a heap that keeps growing.
// Prints `bad=` (marks found wrong), `failed=` (threads that found no memory) and `grew=` (bytes the
// heap's top moved in the second half of the run, when the caches and global lists have settled).
import { spawn, joinInto, JoinResult, Barrier, print } from "weft";
import { heapTryAlloc, heapFree, heapTop } from "weft/assembly/runtime/index";

const THREADS = 8;
const BLOCKS = 300;
const ROUNDS = 200;
const SIZES: StaticArray<i32> = [16, 48, 112];

let turns = new Barrier(THREADS);
/** Thread i's blocks of this round, for thread i + 1. */
let handed = new StaticArray<usize>(THREADS * BLOCKS);
let bad: i32 = 0;
let topHalf: usize = 0;

function mark(thread: usize, round: i32, k: i32): u32 { return (<u32>thread << 24) | (<u32>round << 10) | <u32>k; }

function worker(index: usize): i32 {
  let from = (index + THREADS - 1) % THREADS;
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < BLOCKS; k++) {
      let size = SIZES[k % 3];
      let block = heapTryAlloc(<usize>size);
      if (block == 0) return 1;                                    // no memory: counted as failed
      let m = mark(index, round, k);
      for (let w = 0; w < size; w += 4) store<u32>(block + <usize>w, m);
      handed[<i32>index * BLOCKS + k] = block;
    }
    if (turns.wait() && round == ROUNDS / 2) topHalf = heapTop();   // everyone has handed its blocks over
    for (let k = 0; k < BLOCKS; k++) {
      let block = handed[<i32>from * BLOCKS + k];
      let m = mark(from, round, k);
      let wrong = false;
      for (let w = 0; w < SIZES[k % 3]; w += 4) if (load<u32>(block + <usize>w) != m) wrong = true;
      if (wrong) bad++;                                              // racy count: only 0 or not matters
      heapFree(block);
    }
    turns.wait();                                                   // every block freed before the next round
  }
  return 0;
}

export function main(): i32 {
  let ids = new StaticArray<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(worker, <usize>i);
  let result = new JoinResult();
  let failed = 0;
  for (let i = 0; i < THREADS; i++) { joinInto(ids[i], result); if (result.value != 0) failed++; }
  print("bad=" + bad.toString());
  print("failed=" + failed.toString());
  print("grew=" + (heapTop() - topHalf).toString());
  return 0;
}
