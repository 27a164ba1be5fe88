// Frames written at safepoints (host/compiler/passes/frameless.ts; tests/frameless.test.ts): a loop that
// reaches a collection only through its safepoints writes its frame only when it stops at one. Here each
// walker's array is held by nothing but the walker's kernel — its locals, and the frame the kernel writes
// when it stops — while main makes garbage and collects until every walker has been seen inside its
// kernel through collections. A frame not written when its thread stopped loses the array: the collector
// frees it, main's garbage (0xff bytes) takes its place, and the walker's sums go wrong.
// Prints `bad=` (sums that did not match), `rounds_ok=` (every walker went round at least once) and
// `collections=`.
import { print, spawn, join, yieldNow, gc, heapStats } from "weft";

const WALKERS = 3;
const BYTES = 4096;
const COLLECTIONS = 8;

// Words shared with the walkers (atomics: on processors they run beside main): [0] the walker that has
// taken its array, [1] stop, [2 + w] walker w's rounds, [2 + WALKERS] the array handed over. (The array
// goes through this word, not as the spawn argument, which the collector reads as a root.)
const words = memory.data(4 * (3 + WALKERS));
const HANDOFF = words + 4 * (2 + WALKERS);

function expectedSum(seed: i32): i32 {
  let s = 0;
  for (let i = 0; i < BYTES; i++) s += (seed + i * 7) & 255;
  return s;
}

/** Sums the array at `p` until main says stop; counts the sums that are not `expected`. The array is held
 *  only here, in `a` — so only in this function's frame. */
function kernel(p: usize, walker: i32, expected: i32): i32 {
  const a = changetype<Uint8Array>(p);
  atomic.store<i32>(words, walker + 1);
  let bad = 0, rounds = 0;
  while (atomic.load<i32>(words + 4) == 0) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i];
    if (s != expected) bad++;
    rounds++;
  }
  atomic.store<i32>(words + 8 + 4 * walker, rounds);
  return bad;
}

function walker(w: usize): i32 {
  return kernel(atomic.load<usize>(HANDOFF), <i32>w, expectedSum(<i32>w + 1));
}

let handed: Uint8Array | null = null;   // the array's only root until its walker has taken it
let garbage: Uint8Array | null = null;

export function main(): i32 {
  const threads = new Array<i32>();
  for (let w = 0; w < WALKERS; w++) {
    const a = new Uint8Array(BYTES);
    for (let i = 0; i < BYTES; i++) a[i] = <u8>(w + 1 + i * 7);
    handed = a;
    atomic.store<usize>(HANDOFF, changetype<usize>(a));
    threads.push(spawn(walker, <usize>w));
    while (atomic.load<i32>(words) != w + 1) yieldNow();
    handed = null;
  }
  // Garbage of 0xff bytes, and collections, while every walker is inside its kernel.
  const before = heapStats().collections;
  while (heapStats().collections - before < <u32>COLLECTIONS) {
    for (let j = 0; j < 64; j++) {
      const g = new Uint8Array(BYTES);
      g.fill(0xff);
      garbage = g;
    }
    gc();
    yieldNow();
  }
  atomic.store<i32>(words + 4, 1);
  let bad = 0, roundsOk = 1;
  for (let w = 0; w < WALKERS; w++) {
    bad += join(threads[w]).value;
    if (atomic.load<i32>(words + 8 + 4 * w) < 1) roundsOk = 0;
  }
  print("bad=" + bad.toString());
  print("rounds_ok=" + roundsOk.toString());
  print("collections=" + (heapStats().collections - before).toString());
  return 0;
}
