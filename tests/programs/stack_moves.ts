// A call that grows its caller's stack: the stack moves to a bigger block (assembly/core/stack.ts), and
// the value the call returns must land in the caller's frame in the new block, where the collector finds
// it — not in the old block, freed by then (host/compiler/passes/stackmoves.ts). Each thread keeps what a
// deep recursion returned, forces collections, churns through fresh strings that reuse what was freed,
// and checks that what it kept is intact. Prints kept=<threads whose value survived> and threads=<threads>.
import { spawn, join, print, gc } from "weft";

const THREADS = 8;

/** Returns `s` + "!" from `depth` frames down: each frame keeps a string in its slot, so the stack grows
 *  from the thread's first small block to several times its size on the way down. */
function deep(depth: i32, s: string): string {
  if (depth == 0) return s + "!";
  let here = s + "";
  let below = deep(depth - 1, here);
  return below;
}

function keeper(arg: usize): i32 {
  let kept = deep(<i32>arg, "kept-" + arg.toString());   // the stack grew inside this call
  gc();
  let churn = 0;
  for (let i = 0; i < 4000; i++) churn += ("churn-" + i.toString()).length;
  gc();
  let expected = "kept-" + arg.toString() + "!";
  return kept == expected && churn > 0 ? 1 : 0;
}

export function main(): i32 {
  let ids = new Array<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(keeper, <usize>(20 + 40 * i));
  let kept = 0;
  for (let i = 0; i < THREADS; i++) kept += join(ids[i]).value;
  print("kept=" + kept.toString());
  print("threads=" + THREADS.toString());
  return 0;
}
