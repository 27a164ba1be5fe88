// The engine: what weft changes in the engine that runs it, and why. Web-standard code: in a browser,
// and in a Node whose engine needs nothing, every function here does nothing.
//
// Design note
// -----------
// V8 13.6 (Node 24) can abort the whole process while a Wasm-to-JavaScript import wrapper tiers up:
//
//   Check failed: jit_page_->allocations_.erase(addr) == 1.
//   ThreadIsolation::UnregisterWasmAllocation ← WasmCodeAllocator::FreeCode ← WasmImportWrapperCache::Free
//   ← WasmEngine::FreeDeadCode ← WasmCodeRefScope::~WasmCodeRefScope ← Runtime_TierUpWasmToJSWrapper
//
// (CI saw exactly this stack, symbolised against Node 24.22.3, in a test process that had run many weft
// programs.) Import wrappers are shared by the whole process, one a signature. When the instances using
// one die it is "dying"; V8's collector of dead Wasm code (code GC) frees it once no stack holds it. An
// import called 1,000 times tiers up (`--wasm-wrapper-tiering-budget`) and looks its wrapper up in the
// shared cache, and 13.6's lookup hands out a dying one; the code GC then frees it twice. V8 fixed the
// lookup upstream after 13.6 ("Fix lookup of wrappers marked is_dying"; Node 26 has it); Node 24 has no
// release with the fix. weft meets every part of the race: its imports are its system calls, called far
// more than 1,000 times; programs come and go (a test process, `start`/`close`, posixSpawn); each
// processor is an isolate of its own.
//
// Rejected: a tiering budget too high to reach (every host call would stay on the generic wrapper, the
// slow way in and out of Wasm, for good); catching the abort (it is a CHECK: the process is gone).
// Chosen: turning the code GC off (`--no-wasm-code-gc`) where the engine is V8 13. Nothing is then ever
// freed twice, because nothing dead is freed: a dying wrapper stays where it is (the next instance of the
// same signature takes it, which is then safe), and code replaced by optimised code stays until its
// module goes, which frees its code space whole. What that keeps is small (a wrapper is ~1 KiB, one a
// signature; a module's replaced code goes with the module). V8 reads the flag each time code may have
// died, so setting it as weft loads its first module is in time; flags are the process's, so the
// processors' isolates (Workers) have it too. Node's flags are not frozen after start
// (`--freeze-flags-after-init` is off in Node), which is what makes `v8.setFlagsFromString` work here.
// To keep V8's code GC in a Node 24 process anyway, set WEFT_KEEP_WASM_CODE_GC=1.

/** The flags weft sets on a V8 whose major version is the key. */
const V8_FLAGS: Record<number, readonly string[]> = { 13: ["--no-wasm-code-gc"] };

interface NodeProcess {
  versions?: { v8?: string };
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}

let applied: readonly string[] | null = null;

/** Sets, once a process, the V8 flags this engine needs before weft runs Wasm in it (the design note);
 *  returns them (none in a browser, on another V8, or with WEFT_KEEP_WASM_CODE_GC=1). */
export function applyEngineQuirks(): readonly string[] {
  if (applied) return applied;
  applied = [];
  const proc = (globalThis as { process?: NodeProcess }).process;
  const flags = V8_FLAGS[Number(proc?.versions?.v8?.split(".")[0])];
  if (!flags || proc?.env?.WEFT_KEEP_WASM_CODE_GC) return applied;
  const v8 = proc?.getBuiltinModule?.("node:v8") as { setFlagsFromString(flag: string): void } | undefined;
  if (!v8) return applied;
  for (const flag of flags) v8.setFlagsFromString(flag);
  return (applied = flags);
}
