// ABI.md (the kernel ABI for readers) and weft.h (the same for C hosts) are checked against the host's half
// of the ABI (host/abi.ts, host/io/abi.ts, as built in dist/), so that neither drifts from the code:
// ABI.md's title, signature rows, run codes, errno list and record drawings; weft.h compiled with gcc, on
// its own and in a program that prints every offset, size and constant for comparison. The compiler runs
// in child processes (execFile), never holding this file's event loop.
import { afterAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as abi from "../dist/host/abi.js";
import * as io from "../dist/host/io/abi.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const ABI_MD = path.join(ROOT, "ABI.md");
const WEFT_H = path.join(ROOT, "weft.h");
/** The C compiler (installed on the machines that run the suite). */
const CC = "gcc";
const CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror"];

const run = promisify(execFile);
const scratch: string[] = [];
afterAll(async () => { for (const d of scratch) await rm(d, { recursive: true, force: true }); });

/** The run codes, by name (every RUN_* host/abi.ts exports: a new one must be documented too). */
const RUN_CODES = Object.entries(abi).filter(([name]) => name.startsWith("RUN_")) as [string, number][];

/** A record's fields and their offsets, without its size. */
const fieldsOf = (record: Record<string, number>) => Object.entries(record).filter(([name]) => name !== "size");

/** The records ABI.md draws, by the start of the heading of the section that draws each. */
const DRAWN: [heading: string, host: string, record: Record<string, number>][] = [
  ["Thread record", "THREAD", abi.THREAD],
  ["I/O request", "REQUEST", io.REQUEST],
  ["Completion ring", "RING", io.RING],
  ["GC statistics", "GC_STATS", abi.GC_STATS],
];

/** The section of `markdown` under the `### ` heading that starts with `heading`, to the next heading. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n### ${heading}`);
  if (start < 0) throw new Error(`ABI.md has no section "### ${heading}"`);
  const end = markdown.slice(start + 1).search(/\n#{1,3} /);
  return end < 0 ? markdown.slice(start) : markdown.slice(start, start + 1 + end);
}

/** What the C program prints, name by name, with the value the host's half has for it. Offsets and sizes
 *  are printed as `struct.field`, constants by their macro name. */
function expectedValues(): Map<string, number> {
  const want = new Map<string, number>();
  const record = (struct: string, fields: Record<string, number>) => {
    for (const [field, offset] of Object.entries(fields)) {
      want.set(field === "size" ? `sizeof(${struct})` : `${struct}.${field}`, offset);
    }
  };
  record("weft_thread", abi.THREAD);
  record("weft_io_request", io.REQUEST);
  record("weft_ring", io.RING);
  record("weft_gc_stats_record", abi.GC_STATS);
  // STAT's `size` is a field (the file's size); its record size is `bytes`.
  for (const [field, offset] of Object.entries(io.STAT)) {
    want.set(field === "bytes" ? "sizeof(weft_stat)" : `weft_stat.${field}`, offset);
  }
  record("weft_exact_stats", { cpu: abi.STATS_CPU, runnable: abi.STATS_RUNNABLE, blocked: abi.STATS_BLOCKED });
  record("weft_tick_words", abi.TICK_WORDS);
  const constant = (name: string, value: number) => want.set(`WEFT_${name}`, value);
  constant("ABI_VERSION", abi.ABI_VERSION);
  for (const [name, value] of RUN_CODES) constant(name, value);
  constant("SUBMIT_DONE", io.SUBMIT_DONE);
  constant("SUBMIT_PENDING", io.SUBMIT_PENDING);
  io.IO_MODES.forEach((mode, i) => constant(`MODE_${mode.toUpperCase()}`, i));
  for (const [op, value] of Object.entries(io.OP)) constant(`OP_${op.toUpperCase()}`, value);
  constant("IO_FLAG_UTF16", io.FLAG_UTF16);
  for (const [name, value] of Object.entries({
    O_READ: io.O_READ, O_WRITE: io.O_WRITE, O_CREATE: io.O_CREATE, O_TRUNCATE: io.O_TRUNCATE,
    O_APPEND: io.O_APPEND, O_EXCLUSIVE: io.O_EXCLUSIVE, KIND_FILE: io.KIND_FILE, KIND_DIR: io.KIND_DIR,
    KIND_SYMLINK: io.KIND_SYMLINK, KIND_OTHER: io.KIND_OTHER, IDLE_WORD: abi.IDLE_WORD,
    IDLE_ASLEEP: abi.IDLE_ASLEEP, IDLE_COUNT: abi.IDLE_COUNT, IDLE_TURN: abi.IDLE_TURN, PROCESSORS_MAX: abi.PROCESSORS_MAX,
    SHARED_MEMORY_INITIAL: abi.SHARED_MEMORY_INITIAL, SHARED_MEMORY_MAXIMUM: abi.SHARED_MEMORY_MAXIMUM,
    SLICE_MS_MAX: abi.SLICE_MS_MAX, TICK_MS_MAX: abi.TICK_MS_MAX, FLAG_DETACHED: abi.FLAG_DETACHED,
    FLAG_MAIN: abi.FLAG_MAIN, ASYNCIFY_NORMAL: abi.ASYNCIFY_NORMAL, ASYNCIFY_UNWINDING: abi.ASYNCIFY_UNWINDING,
    ASYNCIFY_REWINDING: abi.ASYNCIFY_REWINDING,
  })) constant(name, value);
  abi.STATE_NAMES.forEach((state, i) => constant(`STATE_${state.toUpperCase()}`, i));
  abi.WAIT_KINDS.forEach((kind, i) => constant(`WAIT_${kind.toUpperCase().replace(/ /g, "_")}`, i));
  for (const [name, value] of Object.entries(io.ERRNO)) constant(name, value);
  return want;
}

/** A C program that includes weft.h and prints `name=value` for every name in `names`. */
function printer(names: string[]): string {
  const line = (name: string) => {
    const sizeOf = /^sizeof\((\w+)\)$/.exec(name);
    const field = /^(\w+)\.(\w+)$/.exec(name);
    const value = sizeOf ? `sizeof(${sizeOf[1]})` : field ? `offsetof(${field[1]}, ${field[2]})` : name;
    return `  printf("%s=%lld\\n", "${name}", (long long)(${value}));`;
  };
  const body = names.map(line);
  return ["#include <stdio.h>", `#include "weft.h"`, "", "int main(void) {", ...body, "  return 0;", "}", ""].join("\n");
}

/** Runs the C compiler; its error output in the failure if it fails. */
async function compile(args: string[]): Promise<void> {
  try { await run(CC, args, { cwd: ROOT }); }
  catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${CC} ${args.join(" ")} failed:\n${err.stderr || err.message}`);
  }
}

describe("ABI.md", () => {
  it("is titled with the current ABI_VERSION", async () => {
    const markdown = await readFile(ABI_MD, "utf8");
    expect(markdown.split("\n")[0]).toBe(`# The weft kernel ABI, version ${abi.ABI_VERSION}`);
  });

  it("gives every host import and every export a row with its signature", async () => {
    const markdown = await readFile(ABI_MD, "utf8");
    // | `name` | `(params) -> (results)` |, or a memory's row: | `name` | memory ... |
    const hasRow = (name: string) =>
      new RegExp(`^\\| \`${name.replace(".", "\\.")}\` \\| (\`\\(|memory)`, "m").test(markdown);
    const imports = [...abi.HOST_IMPORTS.map((name) => `${abi.IMPORT_MODULE}.${name}`), "env.abort", "env.memory"];
    const exports = [...abi.REQUIRED_EXPORTS, ...abi.SHARED_EXPORTS];
    expect([...imports, ...exports].filter((name) => !hasRow(name)), "names without a row").toEqual([]);
  });

  it("names every RUN_* code with its value", async () => {
    const markdown = await readFile(ABI_MD, "utf8");
    expect(RUN_CODES.length).toBeGreaterThanOrEqual(6);
    for (const [name, value] of RUN_CODES) {
      const row = new RegExp(`^\\| ${value} \\| \`${name}\` \\|`, "m").test(markdown);
      expect({ name, value, row }).toEqual({ name, value, row: true });
    }
  });

  it("names every WASI import the WASI flavour may use, and its module", async () => {
    const markdown = await readFile(ABI_MD, "utf8");
    const section = markdown.slice(markdown.indexOf("## The WASI flavour"), markdown.indexOf("## A host in C"));
    expect(section).toContain(`\`${abi.WASI_MODULE}\``);
    for (const name of abi.WASI_IMPORTS) expect(section, name).toContain(`\`${name}\``);
  });

  it("lists every errno with its value", async () => {
    const markdown = (await readFile(ABI_MD, "utf8")).replace(/\s+/g, " ");
    const missing = Object.entries(io.ERRNO).filter(([name, value]) => !markdown.includes(`\`${name}\` ${value}`));
    expect(missing, "errno names without their value").toEqual([]);
  });

  it("draws every THREAD, REQUEST, RING and GC_STATS field at the host's offset, and each record's size", async () => {
    const markdown = await readFile(ABI_MD, "utf8");
    for (const [heading, host, record] of DRAWN) {
      const text = section(markdown, heading);
      for (const [field, offset] of fieldsOf(record)) {
        const drawn = new RegExp(`^ *${offset} │ ${field} `, "m").test(text);
        expect({ record: host, field, offset, drawn }).toEqual({ record: host, field, offset, drawn: true });
      }
      const title = text.split("\n")[1];
      if ("size" in record) expect(title, `${host}'s size`).toContain(`(${record.size} bytes`);
    }
  });
});

describe("weft.h", () => {
  it("defines WEFT_ABI_VERSION as the current ABI_VERSION", async () => {
    const header = await readFile(WEFT_H, "utf8");
    expect(/^#define WEFT_ABI_VERSION (\d+)$/m.exec(header)?.[1]).toBe(String(abi.ABI_VERSION));
  });

  it("compiles on its own with -Wall -Wextra -Wpedantic -Werror", async () => {
    // To an object, not -fsyntax-only: some warnings (an unused static function) come from code generation.
    const dir = await mkdtemp(path.join(tmpdir(), "weft-abi-h-"));
    scratch.push(dir);
    await compile([...CFLAGS, "-c", "-x", "c", WEFT_H, "-o", path.join(dir, "weft.o")]);
  });

  it("lays its structs out and defines its constants as host/abi.ts and host/io/abi.ts do (compiled, run)", async () => {
    const want = expectedValues();
    const dir = await mkdtemp(path.join(tmpdir(), "weft-abi-h-"));
    scratch.push(dir);
    const source = path.join(dir, "layout.c"), program = path.join(dir, "layout");
    await writeFile(source, printer([...want.keys()]));
    await compile([...CFLAGS, "-I", ROOT, "-o", program, source]);
    const { stdout } = await run(program);
    const got = new Map(stdout.trim().split("\n").map((line) => {
      const [name, value] = line.split("=");
      return [name, Number(value)] as const;
    }));
    const wrong = [...want].filter(([name, value]) => got.get(name) !== value)
      .map(([name, value]) => `${name}: weft.h ${got.get(name)}, host ${value}`);
    expect(wrong, "weft.h against the host's half").toEqual([]);
    expect(got.size).toBe(want.size);
  });
});
