// Where weft's package is, and where its caches go. In a file of its own, free of everything else of the
// compiler's, so that the cache (cache.ts), the prepared compiler (prepared.ts, loaded before any pass)
// and the options (options.ts) can all ask without importing each other round a circle.

import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where weft's package root is (the folder holding assembly/). */
export const WEFT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, "assembly", "index.ts")) && existsSync(path.join(d, "package.json"))) return d;
    if (path.dirname(d) === d) throw new Error("weft: cannot find weft's assembly/ folder above " + dir);
  }
}

/** The folder a `cache: true` build uses (cache.ts, design note, "Where"). */
export function defaultCacheDir(): string {
  if (process.env.WEFT_CACHE_DIR) return path.resolve(process.env.WEFT_CACHE_DIR);
  const parent = path.dirname(WEFT_ROOT);
  if (path.basename(parent) === "node_modules") return path.join(parent, ".cache", "weft");
  if (existsSync(path.join(WEFT_ROOT, "node_modules"))) return path.join(WEFT_ROOT, "node_modules", ".cache", "weft");
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "weft");
}
