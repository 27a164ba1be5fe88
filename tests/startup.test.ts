// Start-up loads no compiler: running a built module, importing "weft" or "weft/node", and running a .ts
// program the build cache holds resolve no module of asc's or Binaryen's (each ~0.4 s to load). Checked
// on the modules Node actually resolves, through a resolve hook, and on the static imports of the
// compiled entry points, however deep.
import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT, buildProgram, runNode } from "./harness";
import { scratchDir } from "./scratch";

const CLI = path.join(ROOT, "dist", "host", "cli.js");
/** asc's and Binaryen's files, installed or in the prepared copy (host/compiler/prepared.ts). */
const COMPILER = /\/node_modules\/(assemblyscript|binaryen)\/|\/toolchain\/[0-9a-f]+\/[^/]+\.js$/;

/** Runs node with `args`, and returns the URLs of every module it resolved (a resolve hook logs them). */
async function resolvedBy(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ urls: string[]; stdout: string; status: number | null }> {
  const dir = scratchDir("weft-startup-");
  const log = path.join(dir, "resolved.log");
  const hook = path.join(dir, "hook.mjs");
  writeFileSync(hook, `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + "\\n");
  return r;
}\n`);
  const register = path.join(dir, "register.mjs");
  writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify("file://" + hook)});\n`);
  writeFileSync(log, "");
  const r = await runNode(["--import", register, ...args], { env: { ...process.env, ...env } });
  return { urls: readFileSync(log, "utf8").split("\n").filter(Boolean), stdout: r.stdout, status: r.status };
}

/** Static imports (import/export ... from, bare import) of a compiled host file, relative ones followed. */
function staticClosure(file: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(file)) return seen;
  const source = readFileSync(file, "utf8");
  const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^;'"]*?(?:from\s*)?["']([^"']+)["']/gm)].map((m) => m[1]);
  seen.set(file, specifiers.filter((s) => !s.startsWith(".")));
  for (const s of specifiers) if (s.startsWith(".")) staticClosure(path.resolve(path.dirname(file), s), seen);
  return seen;
}

describe("start-up", () => {
  it("the entry points and the build's front import neither asc nor Binaryen, however deep", () => {
    for (const entry of ["index.js", "node.js", "cli.js", "compiler/build.js"]) {
      const closure = staticClosure(path.join(ROOT, "dist", "host", entry));
      const compiler = [...closure].flatMap(([file, packages]) => packages.filter((p) => /^(assemblyscript|binaryen)/.test(p)).map((p) => `${path.relative(ROOT, file)} imports ${p}`));
      expect(compiler, entry).toEqual([]);
      expect(closure.size, entry).toBeGreaterThan(0);
    }
  });

  it("weft run of a built module, and importing weft and weft/node, load no compiler", async () => {
    const wasm = path.join(scratchDir("weft-startup-"), "simple.wasm");
    writeFileSync(wasm, await buildProgram("simple.ts"));
    const ran = await resolvedBy([CLI, "run", wasm]);
    expect({ status: ran.status, stdout: ran.stdout }).toEqual({ status: 7, stdout: "hello\n" });
    expect(ran.urls.some((u) => u.endsWith("/kernel/runner.js"))).toBe(true);   // the hook saw the host
    expect(ran.urls.filter((u) => COMPILER.test(u))).toEqual([]);
    const imported = await resolvedBy(["--input-type=module", "-e",
      `await import(${JSON.stringify(path.join(ROOT, "dist/host/index.js"))}); await import(${JSON.stringify(path.join(ROOT, "dist/host/node.js"))});`]);
    expect(imported.status).toBe(0);
    expect(imported.urls.filter((u) => COMPILER.test(u))).toEqual([]);
  });

  it("weft run app.ts served from the build cache loads no compiler", async () => {
    const dir = scratchDir("weft-startup-");
    const env = { WEFT_CACHE_DIR: path.join(dir, "cache") };
    const program = path.join(ROOT, "tests", "programs", "simple.ts");
    expect((await runNode([CLI, "build", program, "-o", path.join(dir, "simple.wasm")], { env: { ...process.env, ...env } })).status).toBe(0);
    const ran = await resolvedBy([CLI, "run", program], env);
    expect({ status: ran.status, stdout: ran.stdout }).toEqual({ status: 7, stdout: "hello\n" });
    expect(ran.urls.some((u) => u.endsWith("/compiler/cache.js"))).toBe(true);  // it did look
    expect(ran.urls.filter((u) => COMPILER.test(u))).toEqual([]);
  }, 120_000);
});
