// The README is checked against the code: its tuning-constant table against the constants in the source,
// its table of a thread's memory against the ABI's record size and the core's constants, and its first
// program by running it.
import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT, runProgram } from "./harness";
import { scratchDir } from "./scratch";
import { THREAD } from "../dist/host/abi.js";

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");

function constantValue(file: string, name: string): number {
  const source = readFileSync(path.join(ROOT, file), "utf8");
  const m = new RegExp(`const ${name}: \\w+ = ([^;]+);`).exec(source);
  if (!m) throw new Error(`${name} not found in ${file}`);
  return Function(`return (${m[1].replace(/<\w+>/g, "")})`)() as number;
}

describe("README", () => {
  const rows = [...readme.matchAll(/^\| `(\w+)` \| (\d+) \| [^|]+ \| (\S+) \|/gm)];

  it("lists every tuning constant with the value the source has", () => {
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const [, name, value, file] of rows) {
      expect({ name, value: constantValue(file, name) }).toEqual({ name, value: Number(value) });
    }
  });

  it("gives a thread's memory as the record and the core's constants have it", () => {
    const size = (part: string) => Number(new RegExp(`^\\| ${part} \\| (\\d+) bytes`, "m").exec(readme)?.[1]);
    expect(size("thread record")).toBe(THREAD.size);
    expect(size("exact-accounting block")).toBe(constantValue("assembly/core/preempt.ts", "STATS_SIZE"));
    const stack = /^\| stack \| none until a frame needs one; then (\d+) bytes/m.exec(readme);
    expect(Number(stack?.[1])).toBe(constantValue("assembly/core/stack.ts", "STACK_INITIAL"));
  });

  it("its first program runs and prints what the comment says", async () => {
    const code = /```ts\n\/\/ app\.ts\n([\s\S]*?)```/.exec(readme)![1];
    const file = path.join(scratchDir("weft-readme-"), "app.ts");
    writeFileSync(file, code);
    const result = await runProgram(file);
    expect(result.status).toBe("exited");
    expect(result.stdout.trim()).toBe(/print\(.*\/\/ (\d+)/.exec(code)![1]);
    expect(result.exitCode).toBe(0);
  });
});
