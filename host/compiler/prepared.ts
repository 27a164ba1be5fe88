// The prepared copy of the compiler's tools: where it lives, what names it, how it is made and checked.
// Free of asc and Binaryen (toolchain.ts loads them); the design note is toolchain.ts's.
//
// A copy, in <cache folder>/toolchain/<key>/:
//
//   binaryen.wasm      the bytes Binaryen instantiates
//   binaryen.js        binaryen/index.js, its one `NAME(\`\0asm...\`)` replaced by a read of binaryen.wasm
//   assemblyscript.js  asc's compiler, its imports of "binaryen" and "long" pointed at ./binaryen.js and
//                      at long's installed ES module file
//   asc.js             asc's front end, its imports of "binaryen" and "assemblyscript" pointed at the copy
//   manifest.json      { format, from: the files it was made from, wasm: { bytes, sha256 } }

import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { defaultCacheDir } from "./paths.js";

/** Changes whenever what a copy holds, or how its key is made, changes: older copies are then unused. */
const FORMAT = "weft-toolchain 1";

/** A temporary folder older than this is what a writer left when it died. Unit: ms. Default 10 minutes:
 *  far longer than a copy takes to write (~30 ms). Override: none. */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** The files a copy is made from (absolute paths), and the two packages' versions. */
export interface Sources {
  asc: string;
  assemblyscript: string;
  binaryen: string;
  /** long's ES module file, which assemblyscript.js imports as "long". */
  long: string;
  versions: string[];
}

/** Walks up from `file` to the folder of the package that holds it: the first package.json with a name
 *  (long/umd/package.json, say, only sets its folder's module type). */
function packageRoot(file: string): string {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${file}`);
  }
}

/** The file `import "long"` in assemblyscript.js loads: the "import" condition of long's exports. */
function longEntry(from: string): string {
  const root = packageRoot(createRequire(from).resolve("long"));
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { exports?: unknown; module?: string; main?: string };
  let target: unknown = pkg.exports;
  const field = (o: unknown, name: string) => (o && typeof o === "object" && name in o ? (o as Record<string, unknown>)[name] : o);
  target = field(target, ".");
  if (target && typeof target === "object") target = (target as Record<string, unknown>).import ?? (target as Record<string, unknown>).default;
  if (target && typeof target === "object") target = (target as Record<string, unknown>).default;
  const entry = typeof target === "string" ? target : pkg.module ?? pkg.main;
  if (typeof entry !== "string") throw new Error("long's ES module file not found");
  return path.join(root, entry);
}

/** The installed files a copy is made from; throws when they are not where an install puts them. */
export function locate(): Sources {
  const asc = fileURLToPath(import.meta.resolve("assemblyscript/asc"));
  const assemblyscript = fileURLToPath(import.meta.resolve("assemblyscript"));
  const binaryen = createRequire(assemblyscript).resolve("binaryen");
  const versions = [assemblyscript, binaryen].map((f) => {
    const { name, version } = JSON.parse(readFileSync(path.join(packageRoot(f), "package.json"), "utf8")) as { name: string; version: string };
    return `${name}@${version}`;
  });
  return { asc, assemblyscript, binaryen, long: longEntry(assemblyscript), versions };
}

/** The copy's name: the format, the versions, and each source file's path, size and modification time
 *  (a stat each, no read: the key costs well under a millisecond). */
export function keyOf(sources: Sources): string {
  const h = createHash("sha256").update(FORMAT + "\n").update(sources.versions.join("\n") + "\n");
  for (const f of [sources.asc, sources.assemblyscript, sources.binaryen, sources.long]) {
    const s = statSync(f);
    h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return h.digest("hex").slice(0, 32);
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** The folder that holds the copies (one per key). */
export function toolchainDir(): string {
  return path.join(defaultCacheDir(), "toolchain");
}

/** Throws unless the copy in `dir` is whole: its manifest parses, and binaryen.wasm has the length and
 *  SHA-256 it names (~5 ms for its 9 MB). */
export async function checkCopy(dir: string): Promise<void> {
  const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as { format?: string; wasm?: { bytes: number; sha256: string } };
  const wasm = await readFile(path.join(dir, "binaryen.wasm"));
  if (manifest.format !== FORMAT || wasm.length !== manifest.wasm?.bytes || sha256(wasm) !== manifest.wasm.sha256) {
    throw new Error(`${dir}: binaryen.wasm does not match its manifest`);
  }
}

/** Replaces the one `NAME(\`\0asm...\`)` of `text` with `replacement`; null when there is not exactly
 *  one, or it is not a plain literal (it holds a `${`, or its call does not close right after it). */
export function replaceWasmLiteral(text: string, replacement: string): string | null {
  const starts = [...text.matchAll(/[A-Za-z_$][\w$]*\(`\\0asm/g)];
  if (starts.length !== 1) return null;
  const start = starts[0]!.index!;
  let i = text.indexOf("`", start) + 1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;                                              // "\": skip what it escapes
    else if (c === 0x60) break;                                       // the closing backtick
    else if (c === 0x24 && text.charCodeAt(i + 1) === 0x7b) return null;   // "${"
  }
  if (i >= text.length || text[i + 1] !== ")") return null;
  return text.slice(0, start) + replacement + text.slice(i + 2);
}

/** Points a minified file's static imports (`from"NAME"`) at other files; null when one of the names is
 *  imported nowhere (the file is not the one this was written for). */
export function repoint(text: string, targets: Record<string, string>): string | null {
  for (const [name, target] of Object.entries(targets)) {
    const pattern = new RegExp(`from"${name.replace(/[^\w]/g, "\\$&")}"`, "g");
    if (!pattern.test(text)) return null;
    text = text.replace(pattern, () => `from${JSON.stringify(target)}`);
  }
  return text;
}

/** Binaryen's file as the copy holds it: its bytes read from binaryen.wasm beside it. */
function binaryenCopy(text: string): string | null {
  const replaced = replaceWasmLiteral(text, "__weftWasm()");
  if (replaced === null) return null;
  return `import { readFileSync as __weftRead } from "node:fs";\n`
    + `const __weftWasm = () => new Uint8Array(__weftRead(new URL("./binaryen.wasm", import.meta.url)));\n`
    + replaced;
}

/** Writes the copy of `sources` named `key`, holding `wasm` as Binaryen's bytes, unless it is there.
 *  Never throws: returns the copy's folder, or null when none could be made. */
export async function writeCopy(sources: Sources, key: string, wasm: Uint8Array): Promise<string | null> {
  const root = toolchainDir();
  const dir = path.join(root, key);
  if (existsSync(dir)) return dir;
  const temp = path.join(root, `.${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    const files = {
      "binaryen.js": binaryenCopy(await readFile(sources.binaryen, "utf8")),
      "assemblyscript.js": repoint(await readFile(sources.assemblyscript, "utf8"), { binaryen: "./binaryen.js", long: pathToFileURL(sources.long).href }),
      "asc.js": repoint(await readFile(sources.asc, "utf8"), { binaryen: "./binaryen.js", assemblyscript: "./assemblyscript.js" }),
    };
    if (Object.values(files).some((text) => text === null)) return null;
    await mkdir(temp, { recursive: true });
    await writeFile(path.join(temp, "binaryen.wasm"), wasm);
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(temp, name), text!);
    await writeFile(path.join(temp, "manifest.json"),
      JSON.stringify({ format: FORMAT, from: sources, wasm: { bytes: wasm.length, sha256: sha256(wasm) } }, null, 2) + "\n");
    await rename(temp, dir);                                // whole or absent: a rename is atomic
  } catch {
    await rm(temp, { recursive: true, force: true }).catch(() => {});
    return existsSync(dir) ? dir : null;                    // another process may have written it first
  }
  // Copies of other installs go, and what writers that died left; a live writer's folder stays.
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const file = path.join(root, name);
    if (name === key || (name.endsWith(".tmp") && isRecent(file))) continue;
    await rm(file, { recursive: true, force: true }).catch(() => {});
  }
  return dir;
}

function isRecent(file: string): boolean {
  try { return Date.now() - statSync(file).mtimeMs < STALE_TEMP_MS; } catch { return false; }
}
