// What weft sets in the engine that runs it (host/engine.ts): on V8 13 (Node 24), V8's collector of dead
// Wasm code is off once weft has loaded a module, which keeps the process clear of 13.6's import-wrapper
// race; on every other engine it is left alone. Seen through V8's own trace of that collector, in a child
// process run with it stressed (a collection each time code may have died).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildProgram, ROOT, runNode } from "./harness";
import { scratchDir } from "./scratch";

const V8_MAJOR = Number(process.versions.v8.split(".")[0]);

/** Runs `wasm` three times in N:1 and once on 2 processors in a child whose code GC is traced and
 *  stressed; returns the flags weft set and how many collections V8 started after that. */
async function collectionsAfterLoad(wasm: string, sharedWasm: string, env: NodeJS.ProcessEnv = {}) {
  const script = `
    import { readFileSync } from "node:fs";
    import { run, runShared } from ${JSON.stringify(path.join(ROOT, "dist/host/index.js"))};
    import { applyEngineQuirks } from ${JSON.stringify(path.join(ROOT, "dist/host/engine.js"))};
    const quiet = { stdout() {}, stderr() {} };
    const bytes = readFileSync(${JSON.stringify(wasm)});
    for (let i = 0; i < 3; i++) await run(new Uint8Array(bytes), quiet);
    await runShared(new Uint8Array(readFileSync(${JSON.stringify(sharedWasm)})), { processors: 2, ...quiet });
    console.log("flags=" + JSON.stringify(applyEngineQuirks()));`;
  const child = await runNode(["--trace-wasm-code-gc", "--stress-wasm-code-gc", "--input-type=module", "-e", script],
    { env: { ...process.env, WEFT_KEEP_WASM_CODE_GC: "", ...env } });
  expect(child.status, child.stderr).toBe(0);
  const flags = JSON.parse(/^flags=(.*)$/m.exec(child.stdout)?.[1] ?? "null") as string[] | null;
  return { flags, collections: child.stdout.split("\n").filter((l) => l.startsWith("[wasm-gc] Triggering GC")).length };
}

describe("the engine", () => {
  it(`V8 ${V8_MAJOR}: the dead Wasm code collector is ${V8_MAJOR === 13 ? "off once weft loads a module" : "left alone"}`, async () => {
    const dir = scratchDir("weft-engine-");
    const wasm = path.join(dir, "join.wasm"), sharedWasm = path.join(dir, "join-shared.wasm");
    writeFileSync(wasm, await buildProgram("core_join.ts"));
    writeFileSync(sharedWasm, await buildProgram("core_join.ts", { shared: true }));
    const { flags, collections } = await collectionsAfterLoad(wasm, sharedWasm);
    if (V8_MAJOR === 13) {
      expect(flags).toEqual(["--no-wasm-code-gc"]);
      expect(collections).toBe(0);
      // What it prevents: the same runs with weft told to keep the collector collect.
      const kept = await collectionsAfterLoad(wasm, sharedWasm, { WEFT_KEEP_WASM_CODE_GC: "1" });
      expect(kept.flags).toEqual([]);
      expect(kept.collections).toBeGreaterThan(0);
    } else {
      expect(flags).toEqual([]);
      expect(collections).toBeGreaterThan(0);
    }
  });
});
