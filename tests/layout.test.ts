// The folders draw the architecture (README, "Layout"); this test keeps them honest. Imports run one way
// between layers, and no two host files import each other, directly or round a circle.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []);
}

/** Static imports and re-exports (types included) of `file`, as paths relative to ROOT (no extension). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/gm)) {
    out.push(path.relative(ROOT, path.resolve(path.dirname(file), m[1])).replace(/\.(js|ts)$/, ""));
  }
  return out;
}

const rel = (file: string) => path.relative(ROOT, file).replace(/\.ts$/, "");
const layerOf = (name: string, layers: string[]) => layers.find((l) => name === l || name.startsWith(l + "/")) ?? name;

/** Every import that leaves `from`'s layer for a layer not in `allowed[from]`. */
function crossings(files: string[], layers: string[], allowed: Record<string, string[]>): string[] {
  const bad: string[] = [];
  for (const f of files) {
    const from = layerOf(rel(f), layers);
    for (const to of importsOf(f).map((i) => layerOf(i, layers))) {
      if (to !== from && allowed[from] && !allowed[from].includes(to)) bad.push(`${rel(f)} imports ${to}`);
    }
  }
  return bad;
}

describe("layout", () => {
  it("assembly: sys/ and lib/ use core/, core/ uses runtime/, and never the other way", () => {
    const files = filesUnder(path.join(ROOT, "assembly"));
    const layers = ["assembly/runtime", "assembly/core", "assembly/lib", "assembly/sys"];
    expect(crossings(files, layers, {
      "assembly/runtime": [],
      "assembly/core": ["assembly/runtime"],
      "assembly/lib": ["assembly/core", "assembly/runtime"],
      "assembly/sys": ["assembly/core", "assembly/runtime"],
    })).toEqual([]);
  });

  it("host: the compiler and the kernel are separate programs; only the entry points use both", () => {
    const files = filesUnder(path.join(ROOT, "host"));
    const layers = ["host/compiler", "host/kernel", "host/mn", "host/io", "host/abi", "host/engine"];
    expect(crossings(files, layers, {
      "host/compiler": ["host/abi", "host/engine"],
      "host/kernel": ["host/abi", "host/io", "host/engine"],
      "host/mn": ["host/abi", "host/kernel"],
      "host/io": [],
      "host/engine": [],
    })).toEqual([]);
    // The kernel's entry points (and the command line's parts, host/cli/) load no compiler at start-up (a
    // dynamic import is allowed where a .ts file must be built).
    const cli = filesUnder(path.join(ROOT, "host", "cli")).map((f) => path.relative(ROOT, f));
    for (const entry of ["host/index.ts", "host/node.ts", "host/cli.ts", ...cli]) {
      expect(importsOf(path.join(ROOT, entry)).filter((i) => i.startsWith("host/compiler/") && !/errors$/.test(i)), entry).toEqual([]);
    }
  });

  it("host: no file imports itself round a circle, types included", () => {
    const files = filesUnder(path.join(ROOT, "host")).map(rel);
    const graph = new Map(files.map((f) => [f, importsOf(path.join(ROOT, f + ".ts")).filter((i) => files.includes(i))]));
    const circles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") { circles.push([...trail.slice(trail.indexOf(f)), f].join(" -> ")); return; }
      state.set(f, "open");
      for (const g of graph.get(f) ?? []) visit(g, [...trail, f]);
      state.set(f, "done");
    };
    for (const f of files) visit(f, []);
    expect(circles).toEqual([]);
  });
});
