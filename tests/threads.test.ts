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
