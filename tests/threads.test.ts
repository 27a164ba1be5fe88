import { describe, expect, it } from "vitest";
import { runProgram, lines } from "./harness";

describe("threads", () => {
  it("switches between threads that yield and joins their values", async () => {
    const r = await runProgram("pingpong.ts");
    expect(r.status).toBe("exited");
    expect(lines(r)).toEqual(["a=10 b=100"]);
    expect(r.exitCode).toBe(110);
  });
});

describe("test harness", () => {
  it("stops a program that never ends instead of hanging the suite", async () => {
    const started = Date.now();
    await expect(runProgram("spin_forever.ts", { timeoutMs: 2000 })).rejects.toThrow(/still running after 2000 ms/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
