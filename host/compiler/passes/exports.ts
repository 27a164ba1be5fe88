// JavaScript calling in (assembly/sys/serve.ts, "Design note"): the functions a program's entry file
// exports besides main become callable from JavaScript (`app.call("handle", ...)`, host/serve.ts).
//
// The build reads their signatures from the entry file's source — `export function handle(name: string,
// n: i32): string {` — and writes, into the generated entry, a wrapper for each: it loads the arguments
// from the call's block as their AssemblyScript types, calls the function, stores the result and tells
// the host (callReturned). A switch `weft_call_start(which, block, name)` spawns the call's thread with
// the wrapper. The module lists the functions, in that order, in the custom section EXPORTS_SECTION
// (JSON [{ name, params: [{ name, type }], result }]) that the host reads to lower the arguments and lift
// the result. A function whose types a call cannot carry (a class, a generic, a closure) is left out and
// listed with the reason, which the host gives when it is called.
//
// What a call carries, by AssemblyScript type: the integers up to 32 bits, f32, f64 and bool as a
// JavaScript number (bool: a boolean); i64 and u64 as a BigInt; string (or string | null); Uint8Array and
// ArrayBuffer as bytes (a Uint8Array in JavaScript); void results as undefined.

import type { CallKind, CallableExport, SkippedExport } from "../../abi.js";
export { EXPORTS_SECTION } from "../../abi.js";

/** How a value crosses: its kind in JavaScript, and how the wrapper loads / stores it in the block. */
const TYPES: Record<string, { kind: CallKind; store: string }> = {
  i8: { kind: "i32", store: "i32" }, i16: { kind: "i32", store: "i32" }, i32: { kind: "i32", store: "i32" }, isize: { kind: "i32", store: "i32" },
  u8: { kind: "u32", store: "u32" }, u16: { kind: "u32", store: "u32" }, u32: { kind: "u32", store: "u32" }, usize: { kind: "u32", store: "u32" },
  bool: { kind: "bool", store: "i32" },
  i64: { kind: "i64", store: "i64" }, u64: { kind: "i64", store: "i64" },
  f32: { kind: "f32", store: "f32" }, f64: { kind: "f64", store: "f64" },
  string: { kind: "string", store: "usize" }, "string | null": { kind: "string", store: "usize" },
  Uint8Array: { kind: "bytes", store: "usize" }, ArrayBuffer: { kind: "buffer", store: "usize" },
};

/** The entry file's exported functions other than main: the callable ones, and the rest with a reason. */
export function callableExports(source: string): { callable: CallableExport[]; skipped: SkippedExport[] } {
  const callable: CallableExport[] = [], skipped: SkippedExport[] = [];
  const text = source.replace(/\/\*[^]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
  const re = /^\s*export\s+function\s+(\w+)\s*(<[^>]*>)?\s*\(((?:[^()]|\([^()]*\))*)\)\s*(?::\s*([^{]+?))?\s*\{/gm;
  for (let m: RegExpExecArray | null; (m = re.exec(text));) {
    const [, name, generic, paramText, resultText] = m;
    if (name === "main") continue;
    if (generic) { skipped.push({ name, why: "it is generic" }); continue; }
    const params: CallableExport["params"] = [];
    let why: string | null = null;
    for (const part of paramText.split(",").map((p) => p.trim()).filter(Boolean)) {
      const p = /^(\w+)\s*:\s*(.+?)\s*(=(?!>).*)?$/.exec(part);
      const type = p?.[2].replace(/\s+/g, " ");
      if (!p || !type || !TYPES[type]) { why = `its parameter ${p?.[1] ?? part} has type ${type ?? "unknown"}, which a call cannot carry`; break; }
      params.push({ name: p[1], type, kind: TYPES[type].kind });
    }
    const resultType = (resultText ?? "void").trim().replace(/\s+/g, " ");
    if (!why && resultType !== "void" && !TYPES[resultType]) why = `it returns ${resultType}, which a call cannot carry`;
    if (!why && params.length > 32) why = "it takes more than 32 arguments";
    if (why) { skipped.push({ name, why }); continue; }
    callable.push({ name, params, result: resultType === "void" ? null : { type: resultType, kind: TYPES[resultType].kind } });
  }
  return { callable, skipped };
}

/** The generated entry's part: a wrapper per callable export (arguments from byte 24 of the call's block,
 *  assembly/sys/serve.ts), and the switch the dispatcher starts them with. */
export function exportsEntrySource(userModule: string, callable: readonly CallableExport[]): string {
  const lines = [`import { callStart as __weft_call_start, callReturned as __weft_returned, callStarterSet as __weft_starter_set } from "weft/assembly/sys/serve";`];
  if (callable.length) lines.push(`import { ${callable.map((c, i) => `${c.name} as __weft_x${i}`).join(", ")} } from "${userModule}";`);
  callable.forEach((c, i) => {
    const args = c.params.map((p, k) => {
      const at = `block, ${24 + 8 * k}`;
      return TYPES[p.type].store === "usize" ? `changetype<${p.type}>(load<usize>(${at}))` : `load<${p.type}>(${at})`;
    }).join(", ");
    const call = `__weft_x${i}(${args})`;
    const body = !c.result ? `${call}; __weft_returned(block);`
      : TYPES[c.result.type].store === "usize" ? `let r = ${call}; store<usize>(block, changetype<usize>(r)); __weft_returned(block);`
      : c.result.kind === "bool" ? `let r = ${call}; store<i32>(block, r ? 1 : 0); __weft_returned(block);`
      : `let r = ${call}; store<${TYPES[c.result.type].store}>(block, <${TYPES[c.result.type].store}>r); __weft_returned(block);`;
    lines.push(`function __weft_call_${i}(block: usize): void { ${body} }`);
  });
  if (callable.length) {
    lines.push(`function __weft_calls(which: i32, block: usize): i32 {`);
    callable.forEach((c, i) => lines.push(`  if (which == ${i}) return __weft_call_start(__weft_call_${i}, block, ${JSON.stringify(c.name)});`));
    lines.push(`  return -22;`, `}`, `__weft_starter_set(__weft_calls);`);
  }
  lines.push(``);
  return lines.join("\n");
}

/** The section's bytes (none for a program that exports only main: its module stays as it was). */
export function exportsSection(callable: readonly CallableExport[], skipped: readonly SkippedExport[]): Uint8Array {
  if (!callable.length && !skipped.length) return new Uint8Array(0);
  return new TextEncoder().encode(JSON.stringify({ callable, skipped }));
}
