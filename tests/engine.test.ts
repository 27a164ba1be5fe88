// What weft sets in the engine that runs it (host/engine.ts): on V8 13 (Node 24), V8's collector of dead
// Wasm code is off once weft has loaded a module, which keeps the process clear of 13.6's import-wrapper
// race; on every other engine it is left alone. Seen through V8's own trace of that collector, in a child
// process run with it stressed (a collection each time code may have died) and then made to kill code.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildProgram, ROOT, runNode } from "./harness";
import { scratchDir } from "./scratch";

const V8_MAJOR = Number(process.versions.v8.split(".")[0]);

/** A module of one function, `f`, returning 7. */
const TINY = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 6, 1, 4, 0, 65, 7, 11];

/** Runs `wasm` with weft in a child whose dead Wasm code collector is traced and stressed (a collection
 *  whenever code may have died), then makes code die for certain: a function of another module tiered up
 *  by hand, its first code replaced. Returns the flags weft set and how many collections V8 started. */
async function collectionsAfterLoad(wasm: string, env: NodeJS.ProcessEnv = {}) {
  const script = `
    import { readFileSync } from "node:fs";
    import { run } from ${JSON.stringify(path.join(ROOT, "dist/host/index.js"))};
    import { applyEngineQuirks } from ${JSON.stringify(path.join(ROOT, "dist/host/engine.js"))};
    const result = await run(new Uint8Array(readFileSync(${JSON.stringify(wasm)})), { stdout() {}, stderr() {} });
    const { instance } = await WebAssembly.instantiate(new Uint8Array(${JSON.stringify(TINY)}));
    const f = instance.exports.f;
    f();
    new Function("f", "%WasmTierUpFunction(f)")(f);
    console.log("status=" + result.status + " f=" + f() + " flags=" + JSON.stringify(applyEngineQuirks()));`;
  const child = await runNode(["--allow-natives-syntax", "--trace-wasm-code-gc", "--stress-wasm-code-gc", "--input-type=module", "-e", script],
    { env: { ...process.env, WEFT_KEEP_WASM_CODE_GC: "", ...env } });
  expect(child.status, child.stderr).toBe(0);
  const said = /^status=(\S+) f=(\d+) flags=(.*)$/m.exec(child.stdout);
  expect(said?.slice(1, 3), child.stdout.slice(-2000)).toEqual(["exited", "7"]);
  return { flags: JSON.parse(said![3]!) as string[], collections: child.stdout.split("\n").filter((l) => l.startsWith("[wasm-gc] Triggering GC")).length };
}

describe("the engine", () => {
  it(`V8 ${V8_MAJOR}: the dead Wasm code collector is ${V8_MAJOR === 13 ? "off once weft loads a module" : "left alone"}`, async () => {
    const wasm = path.join(scratchDir("weft-engine-"), "join.wasm");
    writeFileSync(wasm, await buildProgram("core_join.ts"));
    const { flags, collections } = await collectionsAfterLoad(wasm);
    if (V8_MAJOR === 13) {
      expect(flags).toEqual(["--no-wasm-code-gc"]);
      expect(collections).toBe(0);
      // What it prevents: the same with weft told to keep the collector.
      const kept = await collectionsAfterLoad(wasm, { WEFT_KEEP_WASM_CODE_GC: "1" });
      expect(kept.flags).toEqual([]);
      expect(kept.collections).toBeGreaterThan(0);
    } else {
      expect(flags).toEqual([]);
      expect(collections).toBeGreaterThan(0);
    }
  });
});
