// The build cache: an unchanged program is served from disk in milliseconds instead of compiled again in
// seconds. Free of asc and Binaryen: a lookup loads no compiler (build.ts loads the pipeline on a miss).
//
// Design note
// -----------
// What "unchanged" means. A module is a function of
//   (1) every file asc read: the program's, weft's assembly/ files, an asconfig.json beside the entry; and
//       every file asc looked for and did not find (one there later could change what an import means);
//   (2) weft's compiler: host/compiler/ and host/abi (tests/layout.test.ts keeps the compiler from
//       importing any other file of weft's), as the files that run, .js or .ts;
//   (3) asc's and Binaryen's versions;
//   (4) the settings (options.ts, PipelineSettings), the entry's path, and weft's root (the pipeline
//       rewrites a program's relative imports of weft's files against it).
// Which files asc reads is known only once it has run, so a lookup goes in two steps:
//   1. the inputs key, a hash of (2), (3) and (4), names a manifest (<inputs key>.files): the files the
//      last build with these inputs read, and those it missed;
//   2. the module key, a hash of the inputs key and of each of those files as it is now (a missing file
//      hashes as missing), names the module (<module key>.module).
// Why a hit is right: the compiler is deterministic. If every file the build read is as it was and every
// file it missed is still missing, asc reads the same files in the same order and the pipeline makes the
// same module. An edit of any of them changes the module key, and the build that follows writes the
// manifest anew. The build keys its module by the texts it actually read, so a file changed while it ran
// makes the next lookup miss rather than serve a module of the older text.
// Rejected: a key from the entry file alone (an edited import would be served stale); hashing every file
// under the entry's folder (slow in a large tree, and blind to imports from elsewhere, such as packages).
//
// A module file:
//
//   +--------------------------------------------------------------+
//   | "weft-module 1\n"                        magic and format     |
//   | header (one line of JSON, then "\n"):                         |
//   |   { "bytes": n, "sha256": hex of the module,                  |
//   |     "result": the BuildResult without wasm }                  |
//   | the module: n bytes                                           |
//   +--------------------------------------------------------------+
//
// Writes and damage. Every file is written under a temporary name in the same folder and renamed over
// its own (a rename within one filesystem is atomic): a reader sees the old file or the new one, never
// part of one. A module file checks itself against its header (length and SHA-256); one that fails, or
// a manifest that does not parse, counts as a miss, and the build that follows writes it anew. The cache
// never fails a build: a folder that cannot be written is passed over.
//
// Where (cacheDir): $WEFT_CACHE_DIR if set; else beside weft's own install,
// <project>/node_modules/.cache/weft (`rm -rf node_modules` clears it), or weft's repository's
// node_modules/.cache/weft; else $XDG_CACHE_HOME/weft or ~/.cache/weft (paths.ts). The compiler's own
// caches live beside the modules: toolchain/ (the prepared copy of asc and Binaryen, toolchain.ts) and
// v8/ (Node's compile cache, Node 22 and later, which the command line turns on).

import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WEFT_ROOT, type BuildResult, type PipelineSettings } from "./options.js";
import { defaultCacheDir } from "./paths.js";

export { defaultCacheDir };

/** Modules the cache keeps. Unit: modules (~35–120 KB each, so at most ~30 MB). Default 256: several
 *  hundred builds of a program under edit, or every example, test and bench program of weft's (~190)
 *  at once. After a store, the least recently used beyond it go. Override: none (move the folder with
 *  WEFT_CACHE_DIR, or delete it). */
export const CACHE_ENTRIES_MAX: number = 256;

/** A temporary file older than this is what a writer left when it died. Unit: ms. Default 10 minutes: far
 *  longer than a write of a module takes (milliseconds), so no live writer loses its file. Override: none. */
export const STALE_TEMP_MS: number = 10 * 60 * 1000;

/** Changes whenever the file formats or the key's recipe change: older entries then miss. */
const FORMAT = "weft-module 1";
const MAGIC = Buffer.from(FORMAT + "\n");

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Files under `dir` whose names end in `ext` (not declaration files), sorted. */
async function filesUnder(dir: string, ext: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...await filesUnder(p, ext));
    else if (e.name.endsWith(ext) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out.sort();
}

let toolsHash: Promise<string> | null = null;
/** (2) and (3) of the design note: the compiler's files and asc's and Binaryen's versions. Once a process. */
function hashTools(): Promise<string> {
  toolsHash ??= (async () => {
    const self = fileURLToPath(import.meta.url);
    const ext = path.extname(self);                     // .js when built, .ts when run from the sources
    const compiler = path.dirname(self);
    const h = createHash("sha256");
    for (const f of [...await filesUnder(compiler, ext), path.join(compiler, "..", "abi" + ext)]) {
      h.update(path.relative(compiler, f)).update("\0").update(await readFile(f)).update("\0");
    }
    const require = createRequire(import.meta.url);
    const ascPackage = require.resolve("assemblyscript/package.json");
    const binaryenPackage = createRequire(ascPackage).resolve("binaryen/package.json");
    for (const p of [ascPackage, binaryenPackage]) {
      const { name, version } = JSON.parse(await readFile(p, "utf8")) as { name: string; version: string };
      h.update(`${name}@${version}\0`);
    }
    return h.digest("hex");
  })();
  return toolsHash;
}

/** Step 1 of a lookup: the inputs key. */
async function inputsKey(entry: string, settings: PipelineSettings): Promise<string> {
  return sha256(JSON.stringify({ format: FORMAT, tools: await hashTools(), root: WEFT_ROOT, entry: path.resolve(entry), settings }));
}

/** A file as the pipeline read it: its text, a folder's listing (a path ending in the separator), or null. */
async function readSource(file: string): Promise<string | null> {
  try {
    if (file.endsWith(path.sep)) return (await readdir(file)).filter((f) => f.endsWith(".ts")).sort().join("\n");
    return await readFile(file, "utf8");
  } catch {
    return null;
  }
}

/** Step 2: the module key from the inputs key and the files' texts (in the manifest's order). */
function moduleKey(inputs: string, files: string[], texts: (string | null)[]): string {
  const h = createHash("sha256").update(inputs).update("\n");
  files.forEach((f, i) => h.update(f).update("\0").update(texts[i] === null ? "-" : sha256(texts[i]!)).update("\n"));
  return h.digest("hex");
}

/** Writes `data` to `file` through a temporary file in the same folder and a rename. */
async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/** The module file's parts, or null when it is not whole (see "Writes and damage"). */
function parseModuleFile(data: Buffer): { wasm: Uint8Array; result: Omit<BuildResult, "wasm"> } | null {
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const end = data.indexOf(0x0a, MAGIC.length);
  if (end < 0) return null;
  let header: { bytes: number; sha256: string; result: Omit<BuildResult, "wasm"> };
  try { header = JSON.parse(data.subarray(MAGIC.length, end).toString("utf8")); } catch { return null; }
  const wasm = data.subarray(end + 1);
  if (typeof header?.bytes !== "number" || wasm.length !== header.bytes || sha256(wasm) !== header.sha256) return null;
  return { wasm: new Uint8Array(wasm), result: header.result };
}

/** Where a lookup stood: what store() needs after a miss. */
export interface CacheSlot {
  dir: string;
  inputs: string;
}

/** Looks `entry` built with `settings` up in `dir`. Returns the result on a hit (cached: true). */
export async function lookup(dir: string, entry: string, settings: PipelineSettings): Promise<{ slot: CacheSlot; hit?: BuildResult }> {
  const slot = { dir, inputs: await inputsKey(entry, settings) };
  let files: string[];
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, slot.inputs + ".files"), "utf8")) as { format: string; files: string[] };
    if (manifest.format !== FORMAT || !Array.isArray(manifest.files)) return { slot };
    files = manifest.files;
  } catch {
    return { slot };
  }
  const texts = await Promise.all(files.map(readSource));
  const moduleFile = path.join(dir, moduleKey(slot.inputs, files, texts) + ".module");
  let parsed;
  try { parsed = parseModuleFile(await readFile(moduleFile)); } catch { return { slot }; }
  if (!parsed) return { slot };
  const now = new Date();
  await utimes(moduleFile, now, now).catch(() => {});     // recently used: pruned last
  return { slot, hit: { ...parsed.result, wasm: parsed.wasm, cached: true } };
}

/** Keeps `result`, built from the files in `read` (path → text, null when missing), under `slot`. */
export async function store(slot: CacheSlot, read: Map<string, string | null>, result: BuildResult): Promise<void> {
  const files = [...read.keys()].sort();
  const key = moduleKey(slot.inputs, files, files.map((f) => read.get(f)!));
  const { wasm, cached: _, ...rest } = result;
  const header = JSON.stringify({ bytes: wasm.length, sha256: sha256(wasm), result: rest });
  try {
    await mkdir(slot.dir, { recursive: true });
    await writeAtomically(path.join(slot.dir, key + ".module"), Buffer.concat([MAGIC, Buffer.from(header + "\n"), wasm]));
    await writeAtomically(path.join(slot.dir, slot.inputs + ".files"), JSON.stringify({ format: FORMAT, files }));
    await prune(slot.dir);
  } catch {
    // A cache that cannot be written is passed over: the build has its module either way.
  }
}

/** Keeps the CACHE_ENTRIES_MAX most recently used modules (and as many manifests); removes temporary
 *  files a writer that died left behind. */
async function prune(dir: string): Promise<void> {
  const names = await readdir(dir);
  const aged = async (suffix: string) => (await Promise.all(names.filter((n) => n.endsWith(suffix)).map(async (n) => {
    try { return { file: path.join(dir, n), mtime: (await stat(path.join(dir, n))).mtimeMs }; } catch { return null; }
  }))).filter((e) => e !== null).sort((a, b) => b.mtime - a.mtime);
  for (const suffix of [".module", ".files"]) {
    const entries = await aged(suffix);
    for (const e of entries.slice(CACHE_ENTRIES_MAX)) await rm(e.file, { force: true });
  }
  for (const e of await aged(".tmp")) if (Date.now() - e.mtime > STALE_TEMP_MS) await rm(e.file, { force: true });
}
