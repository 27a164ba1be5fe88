// The kernel of gc_alloc_ratio: binary trees (the benchmarks game's), building and dropping complete
// trees up to depth MAX_DEPTH while one long-lived tree stays. Imports nothing: weft's program
// (gc_trees.ts) and a plain AssemblyScript module (built with asc --runtime incremental, bench/gc.js)
// run this same code. Returns a checksum.

class Node {
  constructor(public left: Node | null, public right: Node | null) {}
}

function make(depth: i32): Node {
  return depth == 0 ? new Node(null, null) : new Node(make(depth - 1), make(depth - 1));
}

function check(n: Node): i32 {
  let left = n.left;
  return left === null ? 1 : 1 + check(left) + check(n.right!);
}

export const MAX_DEPTH = 16;

export function trees(maxDepth: i32): i32 {
  let longLived = make(maxDepth);
  let sum = 0;
  for (let depth = 4; depth <= maxDepth; depth += 2) {
    let iterations = 1 << (maxDepth - depth + 4);
    for (let i = 0; i < iterations; i++) sum += check(make(depth));
  }
  return sum + check(longLived);
}
