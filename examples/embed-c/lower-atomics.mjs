// lower-atomics: rewrites the atomic instructions of an N:1 weft module, in the text format, as plain
// ones, so that a wasm2c without the threads feature (Debian's wabt 1.0.32) takes it.
//
//   node lower-atomics.mjs in.wat out.wat
//
// An N:1 module is built with the threads feature on (the core is one source for every build), but its
// memory is its own and not shared, and one processor runs it: nothing else can see a word between two
// instructions. On such a memory an atomic access is an ordinary one, so the rewrite keeps the meaning:
//   <t>.atomic.load*, <t>.atomic.store*      the same access without `.atomic` (same offset and align);
//   <t>.atomic.rmw*.<op>                      a call of a small helper (load, compute, store, return the
//                                             old value), one per op, width, type and offset;
//   atomic.fence                              nop;
//   memory.atomic.notify                      a helper that returns 0 (no waiter can exist);
//   memory.atomic.wait32 / wait64             a helper that traps (unreachable), as waiting on an
//                                             unshared memory does.
// A shared build (it imports env.memory) is refused: it runs on processors, which this host has not.
// The input is wasm2wat's output (flat, one instruction per line, functions without names).

import { readFileSync, writeFileSync } from "node:fs";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: node lower-atomics.mjs in.wat out.wat");
  process.exit(2);
}
let text = readFileSync(input, "utf8");

if (/\(import "env" "memory"/.test(text)) {
  console.error("lower-atomics: a shared weft module (built with --shared) runs on processors; build it without --shared for the C host");
  process.exit(1);
}

/** Helper functions to add, by name: their text. */
const helpers = new Map();

/** The memarg of an access: ` offset=N` (only when not 0). */
function offsetOf(memarg) {
  const match = /offset=(\d+)/.exec(memarg ?? "");
  return match ? Number(match[1]) : 0;
}
const withOffset = (offset) => (offset ? ` offset=${offset}` : "");

// 1. Loads and stores: drop `.atomic`, keep the memarg.
text = text.replace(/\b(i32|i64)\.atomic\.(load|store)(8|16|32)?(_u)?\b/g, "$1.$2$3$4");

// 2. Read-modify-write: a helper per (type, width, op, offset). Stack in: address, operand(s); out: the
//    old value, zero-extended from the width.
text = text.replace(
  /\b(i32|i64)\.atomic\.rmw(8|16|32)?\.(add|sub|and|or|xor|xchg|cmpxchg)(?:_u)?((?: (?:offset|align)=\d+)*)/g,
  (_all, type, width, op, memarg) => {
    const offset = offsetOf(memarg);
    const name = `$weft_lowered_${type}_rmw${width ?? ""}_${op}_${offset}`;
    if (!helpers.has(name)) {
      const load = `${type}.load${width ? `${width}_u` : ""}${withOffset(offset)}`;
      const store = `${type}.store${width ?? ""}${withOffset(offset)}`;
      // cmpxchg compares the old value with the expected one wrapped to the width.
      const mask = width ? (type === "i64" ? `i64.const ${(1n << BigInt(width)) - 1n}` : `i32.const ${(1 << Number(width)) - 1}`) : null;
      let body;
      if (op === "cmpxchg") {
        // params: 0 address, 1 expected, 2 replacement; local 3: old
        body = [
          "local.get 0", load, "local.set 3",
          "local.get 3", "local.get 1", ...(mask ? [mask, `${type}.and`] : []), `${type}.eq`,
          "if", "local.get 0", "local.get 2", store, "end",
          "local.get 3",
        ];
        helpers.set(name, `(func ${name} (param i32 ${type} ${type}) (result ${type}) (local ${type})\n    ${body.join("\n    ")})`);
      } else {
        // params: 0 address, 1 operand; local 2: old
        const compute = op === "xchg" ? ["local.get 1"] : ["local.get 2", "local.get 1", `${type}.${op}`];
        body = ["local.get 0", load, "local.set 2", "local.get 0", ...compute, store, "local.get 2"];
        helpers.set(name, `(func ${name} (param i32 ${type}) (result ${type}) (local ${type})\n    ${body.join("\n    ")})`);
      }
    }
    return `call ${name}`;
  },
);

// 3. Fences, notify and wait.
text = text.replace(/\batomic\.fence\b/g, "nop");
text = text.replace(/\bmemory\.atomic\.notify((?: (?:offset|align)=\d+)*)/g, () => {
  helpers.set("$weft_lowered_notify", "(func $weft_lowered_notify (param i32 i32) (result i32)\n    i32.const 0)");
  return "call $weft_lowered_notify";
});
text = text.replace(/\bmemory\.atomic\.wait(32|64)((?: (?:offset|align)=\d+)*)/g, (_all, bits) => {
  const name = `$weft_lowered_wait${bits}`;
  helpers.set(name, `(func ${name} (param i32 i${bits} i64) (result i32)\n    unreachable)`);
  return `call ${name}`;
});

const left = /\b[a-z0-9]+\.atomic\.[a-z0-9_.]+/.exec(text);
if (left) {
  console.error(`lower-atomics: no plain form for ${left[0]}`);
  process.exit(1);
}

// The helpers go at the end of the module: functions defined last take the last indices, so no
// existing index moves.
if (helpers.size) {
  const end = text.lastIndexOf(")");
  text = `${text.slice(0, end)}\n  ${[...helpers.values()].join("\n  ")})\n`;
}
writeFileSync(output, text);
