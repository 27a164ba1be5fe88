// The compiler's two tools, asc and Binaryen, loaded once a process — from a prepared copy when there is
// one, which loads Binaryen in a quarter of the time.
//
// Design note
// -----------
// The problem. Binaryen ships as one 13.5 MB JavaScript file (binaryen/index.js) that holds Binaryen
// compiled to Wasm as a template literal of 13.4 MB. V8 scans that text twice before Binaryen can run:
// once to parse the module (~145 ms here) and once to compile the function around the literal (~120 ms);
// decoding the literal into bytes adds ~20 ms. Measured with `node --cpu-prof` on a cold
// `weft build examples/hello.ts`: importing Binaryen took 310–330 ms of the build's ~2.4 s. (asc's own two
// files, 1.6 MB, take ~90 ms; Node 22's module compile cache would help both, Node 20 has none.)
//
// Chosen: a prepared copy (prepared.ts). The first build that keeps a cache (`weft build` from the command
// line, or `cache: true`) writes, under <cache folder>/toolchain/<key>/, Binaryen's Wasm bytes as a file
// of their own (binaryen.wasm), binaryen/index.js with the literal replaced by a read of that file, and
// asc's two files with their imports pointed at the copy; every later build, with a cache or without,
// loads the copy: Binaryen in ~75 ms instead of ~310 ms. The copy is the same code, and the modules it
// makes are the same byte for byte (tests/toolchain.test.ts).
// The key hashes the paths, sizes and modification times of the four files it was made from, the copy's
// format and the two packages' versions: reinstalling or upgrading either makes a new key, and the copy
// of an older one is removed when a new one is written.
//
// The bytes are taken where Binaryen hands them to the engine, not decoded from the literal here: the
// copy then needs no knowledge of how Binaryen encodes them. While the original loads (once a process,
// and only when no copy serves), WebAssembly.instantiate is wrapped to see them: the wrapper passes every
// call on unchanged and notes a call only when its bytes are a Wasm module over 1 MB and its imports
// have the one namespace ("a") Binaryen's build gives them; it is put back as soon as Binaryen has loaded.
//
// Failure is never a failed build. A copy that cannot be made (a literal not found exactly once, long's
// file not found, a folder that cannot be written) is not made; a copy that fails to load or whose
// binaryen.wasm does not match its manifest is removed, and the originals load instead.
//
// Rejected: a module resolve hook (module.register) that serves the copy under the original names: it
// costs ~60 ms to start its loader thread, and it changes module loading for the whole process, which a
// library must not do. Making the copy when weft is installed (a postinstall script): many installs run
// no scripts, and the copy would go stale when asc is upgraded alone; made on first use, it needs neither.

import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { checkCopy, keyOf, locate, toolchainDir, writeCopy, type Sources } from "./prepared.js";
import { applyEngineQuirks } from "../engine.js";

type Binaryen = typeof import("assemblyscript/binaryen").default;
type Asc = typeof import("assemblyscript/asc");

interface Loaded {
  binaryen: Binaryen;
  asc: Asc;
  /** The copy's folder, or null for the originals. */
  copy: string | null;
}

async function loadCopy(dir: string): Promise<Loaded> {
  await checkCopy(dir);
  const binaryen = (await import(pathToFileURL(path.join(dir, "binaryen.js")).href) as { default: Binaryen }).default;
  const asc = await import(pathToFileURL(path.join(dir, "asc.js")).href) as Asc;
  return { binaryen, asc, copy: dir };
}

/** Binaryen's Wasm bytes, seen while the original loaded (null when they were not seen exactly once). */
let seenWasm: Uint8Array | null = null;

async function loadOriginals(): Promise<Loaded> {
  const instantiate = WebAssembly.instantiate;
  const seen: Uint8Array[] = [];
  WebAssembly.instantiate = function (this: unknown, source: unknown, imports?: unknown) {
    const bytes = ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
      : source instanceof ArrayBuffer ? new Uint8Array(source) : null;
    if (bytes && bytes.length > 1 << 20 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d
      && imports && typeof imports === "object" && Object.keys(imports).join() === "a") seen.push(bytes.slice());
    return (instantiate as (...a: unknown[]) => unknown).call(this, source, imports);
  } as typeof WebAssembly.instantiate;
  try {
    const binaryen = (await import("assemblyscript/binaryen")).default;
    const asc = await import("assemblyscript/asc");
    if (seen.length === 1) seenWasm = seen[0]!;
    return { binaryen, asc, copy: null };
  } finally {
    WebAssembly.instantiate = instantiate;
  }
}

let sources: Sources | null = null;
let key: string | null = null;
try {
  sources = locate();
  key = keyOf(sources);
} catch {
  // Not installed the usual way: the originals serve, and no copy is made.
}

async function load(): Promise<Loaded> {
  applyEngineQuirks();   // Binaryen is a Wasm module with imports, loaded on every build thread
  const dir = key ? path.join(toolchainDir(), key) : null;
  if (dir && existsSync(dir)) {
    try {
      return await loadCopy(dir);
    } catch {
      await rm(dir, { recursive: true, force: true }).catch(() => {});   // the next build writes it anew
    }
  }
  return loadOriginals();
}

const loaded = await load();

/** The Binaryen asc uses (one instance: see binaryen.ts). */
export const binaryen: Binaryen = loaded.binaryen;
/** asc, as `import("assemblyscript/asc")` gives it. */
export const asc: Asc = loaded.asc;
/** The copy's folder when this process loaded the copy, else null. */
export const loadedFrom: string | null = loaded.copy;

/** Writes the copy for this install when the originals served this process and there is none yet.
 *  Never throws. Returns the copy's folder, or null when there is none. */
export async function prepareToolchain(): Promise<string | null> {
  if (loaded.copy) return loaded.copy;
  if (!seenWasm || !sources || !key) return null;
  return writeCopy(sources, key, seenWasm);
}
