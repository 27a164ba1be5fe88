// The garbage collector: objects held only where weft keeps them survive, garbage is freed and its memory
// reused, running out of memory is an error and not a corrupt heap; in N:1 and on 2 and 4 processors.
import { describe, expect, it } from "vitest";
import { runProgram, runSharedProgram, valuesOf, type ProgramOptions } from "./harness";
import type { RunResult } from "../host/kernel/runner";

const KINDS = ["local", "sleeper", "buffer", "sender", "tls", "argument", "name", "select", "error", "churn"];

/** Runs `name` on N:1 (processors 0) or on that many processors; the run must exit 0. */
// Built with poisonFreed: whatever the collector frees is overwritten at once, so an object freed while
// still reachable breaks the run where it is next used, not whenever its block happens to be reused.
async function exits(name: string, processors: number, options: ProgramOptions = {}): Promise<Map<string, string>> {
  const build = { poisonFreed: true };
  const r: RunResult = processors === 0
    ? await runProgram(`${name}.ts`, { timeoutMs: 120_000, build, ...options })
    : await runSharedProgram(`${name}.ts`, processors, 120_000, "M:N", build, { memoryLimit: options.memoryLimit });
  expect({ status: r.status, exitCode: r.exitCode, error: r.error ?? null }, r.stdout.slice(-2000)).toMatchObject({ status: "exited", exitCode: 0, error: null });
  return valuesOf(r);
}

const where = (p: number) => p === 0 ? "N:1" : `${p} processors`;

describe("the collector's roots", () => {
  for (const p of [0, 2, 4]) {
    it(`${where(p)}: a local, a sleeper's local, a channel buffer, a value handed to a parked receiver, TLS, a spawn argument, a name, a select case and a dead thread's error all survive collections forced by other threads`, async () => {
      const v = await exits("gc_roots", p);
      expect(Object.fromEntries(KINDS.map((k) => [k, v.get(`broken_${k}`)]))).toEqual(Object.fromEntries(KINDS.map((k) => [k, "0"])));
      expect(v.get("checked")).toBe("62");
      expect(v.get("collected")).toBe("many");
    });
  }
});

describe("channels the program no longer refers to", () => {
  for (const p of [0, 2]) {
    it(`${where(p)}: a reply channel per request, an abandoned buffered channel and a Select per round are freed; a channel only a select case refers to, and a value only a Received holds, are kept`, async () => {
      const v = await exits("chan_collect", p);
      expect({ sum: v.get("sum"), growth: v.get("growth"), selectBox: v.get("select_box"), receivedBox: v.get("received_box") })
        .toEqual({ sum: v.get("expected"), growth: "0", selectBox: "1", receivedBox: "1" });
      // The measured rounds made 40,000 of each: kept, they would hold ~20 MB.
      expect(v.get("rounds")).toBe("40000");
      expect(Number(v.get("collected"))).toBeGreaterThan(2);
    });
  }
});

describe("a stack that moves", () => {
  for (const p of [0, 2]) {
    it(`${where(p)}: what a call returned is kept in its caller's frame when the call grew the stack, and survives collections`, async () => {
      const v = await exits("stack_moves", p);
      expect({ kept: v.get("kept"), threads: v.get("threads") }).toEqual({ kept: "8", threads: "8" });
    });
  }
});

describe("marking in slices while the program runs", () => {
  for (const p of [0, 2, 4]) {
    it(`${where(p)}: objects moved between fields, stacks, buffers, parked receivers, TLS and new threads while a collection marks in slices all survive`, async () => {
      const v = await exits("gc_incremental", p);
      expect(Object.fromEntries(["broken", "checked_many", "sliced"].map((k) => [k, v.get(k)])))
        .toEqual({ broken: "0", checked_many: "yes", sliced: "yes" });
      expect(v.get("collections")).toMatch(/^\d+$/);
      expect(Number(v.get("collections"))).toBeGreaterThanOrEqual(3);
    });
  }
});

describe("a thread running when marking began", () => {
  for (const p of [0, 2, 4]) {
    it(`${where(p)}: an object only on its stack survives when it switches out while the collection marks and sleeps through the remark`, async () => {
      // Before the remark looked at such a thread, the object was freed under it: "memory access out of
      // bounds" or "broken" here, every run, in N:1 and on processors.
      const v = await exits("gc_running_root", p);
      expect(v.get("held")).toBe("intact");
    });
  }
});

describe("memory returns", () => {
  for (const p of [0, 2]) {
    it(`${where(p)}: the same churn 10 times in one instance keeps the same bytes after each round, and the heap stops growing`, async () => {
      const v = await exits("gc_rounds", p);
      const rounds = Array.from({ length: 10 }, (_, i) => v.get(`round${i}`)!.split(",").map(Number));
      const sizes = rounds.map(([heapSize]) => heapSize), inUse = rounds.map(([, bytes]) => bytes);
      // After a full collection the bytes in use are what the program keeps, the same every round from
      // the third on (measured: equal to the byte, N:1 and on processors). Allowed: one block of the largest
      // small class (1 KiB + its header) in N:1, 64 KiB on processors, whose thread records and stacks
      // return by timing. A leak would add ~24 MB a round (what each round allocates).
      const settled = inUse.slice(2);
      expect(Math.max(...settled) - Math.min(...settled)).toBeLessThanOrEqual(p === 0 ? 1040 : 64 << 10);
      if (p === 0) {
        // N:1 reuses its blocks in one order: the heap's size settles too (measured: 48 bytes apart at most).
        expect(Math.max(...sizes.slice(2)) - Math.min(...sizes.slice(2))).toBeLessThanOrEqual(1040);
      } else {
        // On processors each keeps a cache of free blocks and sweeps its own list lazily, and where a
        // round's collections fall depends on timing: the heap may still grow by steps (measured up to
        // 2.7 MB over rounds 2-9 on a busy machine), far from a leak's 170 MB.
        expect(sizes[9] - sizes[2]).toBeLessThan(16 << 20);
      }
      // ~240 MB of strings and arrays were allocated over the rounds; the heap stays a few MB.
      expect(Math.max(...sizes)).toBeLessThan(32 << 20);
      expect(Number(v.get("collections"))).toBeGreaterThanOrEqual(10);
    });
  }
});

describe("when collections come", () => {
  for (const p of [0, 2]) {
    it(`${where(p)}: the goal counts the threads' records and stacks: garbage a third their size collects nothing, more garbage collects and the heap stays bounded`, async () => {
      const v = await exits("gc_pacing", p);
      const roots = Number(v.get("roots"));
      // 30,000 parked threads hold ~15 MB of weft's records and stacks; a third of that is far more than
      // the least trigger (1 MiB), so a goal taken only from the heap the last sweep left collects in step 2.
      expect(roots).toBeGreaterThan(3 * (4 << 20));
      expect(Object.fromEntries(["step1_collections", "step2_collections"].map((k) => [k, v.get(k)])))
        .toEqual({ step1_collections: expect.stringMatching(/^[1-9]\d*$/), step2_collections: "0" });
      expect(Number(v.get("step3_collections"))).toBeGreaterThanOrEqual(1);
      // Percent 100: the heap in use stays under twice what is live, plus what is made while a collection
      // marks (measured: 1.9x roots in N:1, 2.2-2.9x on 2 processors, which mark in slices between
      // allocations and whose caches hold blocks back).
      expect(Number(v.get("peak_over_before"))).toBeLessThanOrEqual((p === 0 ? 3 : 4) * roots);
    });
  }
});

describe("out of memory", () => {
  for (const p of [0, 2]) {
    it(`${where(p)}: a thread that keeps everything dies with "out of memory"; its memory is freed and main goes on`, async () => {
      const v = await exits("gc_oom", p, { memoryLimit: 32 << 20 });
      expect(Object.fromEntries(["hoarder_died", "hoarder_error", "hoarded_many", "after", "freed"].map((k) => [k, v.get(k)])))
        .toEqual({ hoarder_died: "yes", hoarder_error: "out of memory", hoarded_many: "yes", after: "ok", freed: "yes" });
    });
  }
});
