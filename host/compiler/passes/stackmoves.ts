// Stores into a frame that follow a call: the call may move the stack under them.
//
// Design note
// -----------
// A thread's stack moves when it grows (assembly/core/stack.ts): the used bytes go to a bigger block and
// __stack_pointer shifts by the distance, which is safe as long as every access to a frame reads the
// stack pointer after anything that could have moved it. The compiler keeps a managed value a call
// returned in its frame's slot with one store whose address comes first:
//   (i32.store offset=K (global.get $__stack_pointer) (local.tee $x (call $f ...)))
// Wasm evaluates the address before the value, so when $f, or anything it calls, grew the stack, the value
// went to the old block — freed, perhaps handed out again, and its first word is the heap's free-list link
// — while the slot in the new stack kept nothing: a root the collector no longer sees. Found in a trial of
// 64-byte first stack blocks, where main's stack grew inside `join` (bench/HISTORY.md, "Stacks that move";
// tests/programs/stack_moves.ts shows it with the 256-byte blocks too).
// So every store whose address reads the stack pointer and whose value makes a call is rewritten to take
// the value first:
//   (local.set $t (... (call $f ...) ...))
//   (i32.store offset=K (global.get $__stack_pointer) (local.get $t))
// The address is then read after the call. Binaryen's optimiser keeps that order: it never moves a read
// of a global across a call, which may write it. The pass runs on asc's output, before any optimisation.

import binaryen from "../binaryen.js";
import { addLocal, functionBody, replaceChild, walk } from "./walk.js";

/** Whether `expr` makes a call anywhere under it. */
function makesCall(expr: number): boolean {
  let found = false;
  walk(expr, (e) => {
    const id = binaryen.getExpressionId(e);
    if (id === binaryen.CallId || id === binaryen.CallIndirectId) { found = true; return -1; }
    return found ? -1 : undefined;
  });
  return found;
}

/** Whether `expr` is a pure address that reads global `stackPointer` (the global itself, or it plus
 *  constants). */
function readsStackPointer(expr: number, stackPointer: string): boolean {
  const id = binaryen.getExpressionId(expr);
  if (id === binaryen.GlobalGetId) {
    return (binaryen.getExpressionInfo(expr) as binaryen.GlobalGetInfo).name === stackPointer;
  }
  if (id !== binaryen.BinaryId) return false;
  const { left, right } = binaryen.getExpressionInfo(expr) as binaryen.BinaryInfo;
  const constant = (e: number) => binaryen.getExpressionId(e) === binaryen.ConstId;
  return (readsStackPointer(left, stackPointer) && constant(right))
    || (constant(left) && readsStackPointer(right, stackPointer));
}

/** Rewrites every store into a frame whose value makes a call (see the design note); returns how many. */
export function storeAfterCalls(mod: binaryen.Module, stackPointer: string): number {
  let rewritten = 0;
  for (let i = 0, n = mod.getNumFunctions(); i < n; i++) {
    const func = mod.getFunctionByIndex(i);
    const body = functionBody.get(func);
    if (!body) continue;
    walk(body, (expr, parent, slot) => {
      if (binaryen.getExpressionId(expr) !== binaryen.StoreId) return;
      const store = binaryen.getExpressionInfo(expr) as binaryen.StoreInfo;
      if (!readsStackPointer(store.ptr, stackPointer) || !makesCall(store.value)) return;
      const type = binaryen.getExpressionType(store.value);
      const t = addLocal(func, type);
      replaceChild(expr, { field: "value", index: -1 }, mod.local.get(t, type));
      const both = mod.block(null, [mod.local.set(t, store.value), expr], binaryen.none);
      if (parent) replaceChild(parent, slot!, both);
      else functionBody.set(func, both);
      rewritten++;
      return both;
    });
  }
  return rewritten;
}
