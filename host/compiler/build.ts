// weft build ("weft/build"): AssemblyScript source → a weft module. The front of the build: it answers from
// the build cache when it can (cache.ts) and loads the compiler only when it cannot (pipeline.ts: asc and
// Binaryen, ~0.5 s to load and ~2 s to run a cold build), so that `import { build } from "weft/build"`
// costs nothing until a module must really be made.
//
// The cache is off unless asked for (`cache: true` or a folder): a library call reads and writes only
// the files its caller names, and a caller that builds many programs in one process (a test suite, a
// bundler) may keep its own cache; the command line turns it on (`weft build --no-cache` does not).

import { writeFile } from "node:fs/promises";
import { BuildError } from "./errors.js";
import { pipelineSettings, type BuildOptions, type BuildResult } from "./options.js";
import { defaultCacheDir, lookup, store } from "./cache.js";
// Loaded on a miss only (below); named statically so that a reader (and a test cache keyed by what this
// file imports) sees the pipeline behind it.
import type { runPipeline, SourcesRead } from "./pipeline.js";
import type { prepareToolchain } from "./toolchain.js";

export { WEFT_ROOT, type BuildOptions, type BuildResult } from "./options.js";
export { BuildError };
export { defaultCacheDir } from "./cache.js";

/** Builds `entry` (an AssemblyScript file exporting main) into a weft module. */
export async function build(entry: string, options: BuildOptions = {}): Promise<BuildResult> {
  const settings = pipelineSettings(options);
  const cache = options.cache ? await lookup(options.cache === true ? defaultCacheDir() : options.cache, entry, settings) : null;
  let result = cache?.hit;
  if (!result) {
    const pipeline: { runPipeline: typeof runPipeline } = await import("./pipeline.js");
    const read: SourcesRead = new Map();
    result = await pipeline.runPipeline(entry, settings, read);
    if (cache) {
      await store(cache.slot, read, result);
      // A build that keeps a cache also keeps the prepared compiler the next cold build loads faster.
      const toolchain: { prepareToolchain: typeof prepareToolchain } = await import("./toolchain.js");
      await toolchain.prepareToolchain();
    }
  }
  if (options.outFile) await writeFile(options.outFile, result.wasm);
  return result;
}

/** The module the build cache holds for `entry` built with `options` (in `options.cache` when that names
 *  a folder, else the default one), or null. Loads no compiler: what `weft run app.ts` asks first. */
export async function fromCache(entry: string, options: BuildOptions = {}): Promise<BuildResult | null> {
  const dir = typeof options.cache === "string" ? options.cache : defaultCacheDir();
  return (await lookup(dir, entry, pipelineSettings(options))).hit ?? null;
}
