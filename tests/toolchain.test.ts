// The prepared toolchain (host/compiler/toolchain.ts, prepared.ts): a build that keeps a cache writes a
// copy of asc and Binaryen that loads faster; later builds load it and make the same modules byte for
// byte; a damaged copy is passed over and removed, and the build still succeeds. Builds run in child
// processes (each loads the compiler afresh, as a `weft build` does), so this file's thread stays free.
import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { replaceWasmLiteral, repoint } from "../host/compiler/prepared.js";
import { ROOT, runNode } from "./harness";
import { scratchDir } from "./scratch";

describe("the wasm literal and the imports a copy rewrites", () => {
  it("replaces the one literal, escapes and all, and refuses what it cannot be sure of", () => {
    const text = "var a=1;WA??=L6(`\\0asm\\x01\\`x\\\\`),b=2;";
    expect(replaceWasmLiteral(text, "read()")).toBe("var a=1;WA??=read(),b=2;");
    expect(replaceWasmLiteral("f(`\\0asm`);g(`\\0asm`);", "read()")).toBeNull();     // two
    expect(replaceWasmLiteral("f(`\\0asm${x}`);", "read()")).toBeNull();             // not plain
    expect(replaceWasmLiteral("f(`\\0asm`, 1);", "read()")).toBeNull();              // more arguments
    expect(replaceWasmLiteral("f(`\\0asm", "read()")).toBeNull();                    // never closed
    expect(replaceWasmLiteral("no wasm here", "read()")).toBeNull();
  });

  it("points every import of a name at its target, and refuses a file that does not import it", () => {
    expect(repoint('import*as a from"binaryen";import{default as b}from"binaryen";', { binaryen: "./binaryen.js" }))
      .toBe('import*as a from"./binaryen.js";import{default as b}from"./binaryen.js";');
    expect(repoint('import a from"long";', { binaryen: "./binaryen.js" })).toBeNull();
  });
});

/** Builds examples/hello.ts (quick: the prepared copy's part is the same at every level) in a fresh
 *  process with `cacheDir` as the cache folder; returns where the compiler came from and the module. */
async function buildIn(cacheDir: string, cache: boolean): Promise<{ loadedFrom: string | null; wasm: Buffer }> {
  const out = path.join(cacheDir, "..", `hello-${Math.random().toString(36).slice(2)}.wasm`);
  const script = `
    const { build } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, "dist/host/compiler/build.js")).href)});
    const { loadedFrom } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, "dist/host/compiler/toolchain.js")).href)});
    await build(${JSON.stringify(path.join(ROOT, "examples", "hello.ts"))}, { cache: ${cache}, outFile: ${JSON.stringify(out)}, optimize: "quick" });
    console.log(JSON.stringify({ loadedFrom }));`;
  const r = await runNode(["--input-type=module", "-e", script], { env: { ...process.env, WEFT_CACHE_DIR: cacheDir } });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return { loadedFrom: JSON.parse(r.stdout).loadedFrom, wasm: readFileSync(out) };
}

describe("the prepared copy", () => {
  it("is written by a build that keeps a cache, loaded by the next, makes the same module, and a damaged one is replaced", async () => {
    const cacheDir = path.join(scratchDir("weft-toolchain-"), "cache");
    const toolchain = path.join(cacheDir, "toolchain");

    const first = await buildIn(cacheDir, false);                  // no cache: nothing is written
    expect(first.loadedFrom).toBeNull();
    expect(existsSync(toolchain)).toBe(false);

    const preparing = await buildIn(cacheDir, true);
    expect(preparing.loadedFrom).toBeNull();
    const keys = readdirSync(toolchain);
    expect(keys).toHaveLength(1);
    const copy = path.join(toolchain, keys[0]!);
    expect(readdirSync(copy).sort()).toEqual(["asc.js", "assemblyscript.js", "binaryen.js", "binaryen.wasm", "manifest.json"]);
    expect(readFileSync(path.join(copy, "binaryen.js"), "utf8")).not.toContain("`\\0asm");

    const served = await buildIn(cacheDir, false);                 // cold build, from the copy
    expect(served.loadedFrom).toBe(copy);
    expect(Buffer.compare(served.wasm, first.wasm)).toBe(0);
    expect(Buffer.compare(preparing.wasm, first.wasm)).toBe(0);

    const wasm = readFileSync(path.join(copy, "binaryen.wasm"));
    wasm[wasm.length >> 1]! ^= 0x40;                               // one bit of Binaryen's code
    writeFileSync(path.join(copy, "binaryen.wasm"), wasm);
    const damaged = await buildIn(cacheDir, false);
    expect(damaged.loadedFrom).toBeNull();                         // passed over: the originals served
    expect(Buffer.compare(damaged.wasm, first.wasm)).toBe(0);
    expect(existsSync(copy)).toBe(false);                          // and removed

    for (const f of readdirSync(cacheDir)) if (f.endsWith(".module")) rmSync(path.join(cacheDir, f));
    const again = await buildIn(cacheDir, true);                   // the next build that keeps a cache
    expect(again.loadedFrom).toBeNull();
    expect(readdirSync(toolchain)).toEqual(keys);
  }, 240_000);
});
