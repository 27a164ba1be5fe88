// Error handling: deadlocks, traps, stack and save-area overflows, memory exhaustion and modules the host
// refuses. A failing thread must end alone, with a message naming it and the cause, while the others
// finish; programs print `key=value` lines of what they saw (tests/programs/core_*.ts).
import { describe, expect, it } from "vitest";
import wabtInit from "wabt";
import { runProgram, runOnce, runValues, valuesOf, pick, lines } from "./harness";
import { run, WeftError, type RunOptions, type RunResult, type ThreadOutcome } from "../host/kernel/runner";
import { REQUIRED_EXPORTS, ABI_VERSION } from "../host/abi";

const TIMEOUT = 120_000;
const ENOMEM = 12;





/** The outcome the run reported for the thread named `name`. */
function outcome(result: RunResult, name: string): ThreadOutcome | undefined {
  return result.threads.find((t) => t.name === name);
}

describe("deadlock", () => {
  it("ends the run naming each blocked thread, its state and what it waits on", async () => {
    const result = await runOnce("core_deadlock");
    const v = valuesOf(result);
    const stuck = v.get("stuck_id");
    const word = v.get("word");
    expect(stuck).toMatch(/^\d+$/);
    expect(word).toMatch(/^0x[0-9a-f]+$/);
    expect({ status: result.status, exitCode: result.exitCode }).toEqual({ status: "deadlock", exitCode: 1 });
    expect(v.get("helper")).toBe("42");                    // the helper finished before the deadlock
    expect(result.stdout).not.toContain("stuck woke");
    expect(result.stdout).not.toContain("joined");
    const report = result.error ?? "";
    expect(report.split("\n")[0]).toMatch(/deadlock/);
    expect(report).toContain(`thread 1 "main": blocked on join of thread ${stuck}`);
    expect(report).toContain(`thread ${stuck} "stuck-one": blocked on futex at ${word}`);
    expect(outcome(result, "main")).toMatchObject({ state: "blocked", waitingOn: `join of thread ${stuck}` });
    expect(outcome(result, "stuck-one")).toMatchObject({ state: "blocked", waitingOn: `futex at ${word}` });
    expect(result.threads.map((t) => t.name).sort()).toEqual(["main", "stuck-one"]);
  }, TIMEOUT);
});

describe("a trap in a thread", () => {
  const cases = [
    { key: "unreachable", name: "bad-unreachable", message: /unreachable/ },
    { key: "index", name: "bad-index", message: /Index out of range/ },
    { key: "divide", name: "bad-divide", message: /divide by zero/ },
  ];

  for (const c of cases) {
    it(`(${c.key}) ends only that thread; join returns an error naming it and the trap`, async () => {
      const v = await runValues("core_trap");
      expect(pick(v, [`${c.key}_code`, `${c.key}_ok`, `${c.key}_name`])).toEqual({
        [`${c.key}_code`]: "0", [`${c.key}_ok`]: "0", [`${c.key}_name`]: c.name,
      });
      const error = v.get(`${c.key}_error`) ?? "";
      expect(error).toContain(`"${c.name}"`);
      expect(error).toMatch(c.message);
    }, TIMEOUT);
  }

  it("lets the other threads finish and lists the trapped threads in RunResult.threads", async () => {
    const result = await runOnce("core_trap");
    const v = valuesOf(result);
    expect(pick(v, ["good", "after"])).toEqual({ good: "55,110", after: "165" });
    const ids = (v.get("ids") ?? "").split(",").map(Number);
    for (const [i, c] of cases.entries()) {
      const t = outcome(result, c.name);
      expect(t).toMatchObject({ id: ids[i], state: "trapped" });
      expect(t?.error ?? "").toMatch(c.message);
      expect(result.stderr).toContain(t?.error ?? "<missing>");
    }
  }, TIMEOUT);

  it("in main ends the run as an error naming main and the trap", async () => {
    const result = await runOnce("core_trap_main");
    expect({ status: result.status, exitCode: result.exitCode }).toEqual({ status: "error", exitCode: 1 });
    expect(result.error ?? "").toMatch(/"main"/);
    expect(result.error ?? "").toMatch(/Index out of range/);
    expect(lines(result)).toEqual(["before_trap"]);
    expect(outcome(result, "main")).toMatchObject({ state: "trapped" });
  }, TIMEOUT);
});

describe("stack overflow", () => {
  it("on weft's stack (managed locals, stackSize 4096) ends only that thread", async () => {
    const v = await runValues("core_stack_managed");
    expect(v.get("managed_ok")).toBe("0");
    const error = v.get("managed_error") ?? "";
    expect(error).toContain('"managed-rec"');
    expect(error).toMatch(/stack overflow/);
    expect(Number(v.get("managed_depth"))).toBeGreaterThan(10);
    // the same frames to depth 1,000 on a default (growing) stack: sum of the labels' lengths
    let labels = 0;
    for (let n = 0; n <= 1000; n++) labels += `level-${n}`.length;
    expect(v.get("bounded")).toBe(`${labels} error=none`);
    expect(pick(v, ["good", "after"])).toEqual({ good: "16,32", after: "48" });
  }, TIMEOUT);

  // Built without safepoints, so that nothing but the native stack stops the recursion.
  it("of the engine's native stack ends only that thread", async () => {
    const v = await runValues("core_stack_native", { build: { safepoints: false } });
    expect(v.get("native_ok")).toBe("0");
    const error = v.get("native_error") ?? "";
    expect(error).toContain('"native-rec"');
    expect(error).toMatch(/stack overflow/);
    expect(Number(v.get("native_depth"))).toBeGreaterThan(1000);
    expect(pick(v, ["good", "after"])).toEqual({ good: "16,32", after: "48" });
  }, TIMEOUT);

  // With safepoints, a tick may come while the recursion is tens of thousands of calls deep; its frames
  // then may not fit the save area even with the slack a tick is allowed: that thread ends with a
  // save-area overflow instead, and still only that thread.
  it("with safepoints, a recursion preempted too deep to keep ends only that thread, with a clear error", async () => {
    const v = await runValues("core_stack_native");
    expect(v.get("native_ok")).toBe("0");
    const error = v.get("native_error") ?? "";
    expect(error).toContain('"native-rec"');
    expect(error).toMatch(/stack overflow|save area overflow/);
    expect(pick(v, ["good", "after"])).toEqual({ good: "16,32", after: "48" });
  }, TIMEOUT);
});

describe("save-area overflow", () => {
  const SMALL = { saveAreaMax: 4096 };

  it("control: with the default limit the deep thread switches and finishes", async () => {
    const v = await runValues("core_save");
    for (const mode of ["yield", "sleep", "futex"]) {
      const keys = ["deep_ok", "deep_value_ok", "deep_error", "reached_bottom", "good", "markers_damaged"].map((k) => `${mode}.${k}`);
      expect(Object.values(pick(v, keys))).toEqual(["1", "1", "none", "1 resumed=1", "55,110", "0"]);
    }
    // Switches whose depth grows past the thread's save area and shrinks again, with a worker between.
    expect(v.get("regrow")).toBe("1 good=220");
  }, TIMEOUT);

  const bottoms = { yield: "yields", sleep: "sleeps", futex: "waits on a futex" };
  for (const [mode, bottom] of Object.entries(bottoms)) {
    it(`ends only the thread whose frames exceed saveAreaMax (it ${bottom} at the bottom)`, async () => {
      const result = await runOnce("core_save", SMALL);
      const v = valuesOf(result);
      expect({ status: result.status, error: result.error ?? null }).toMatchObject({ status: "exited", error: null });
      const error = v.get(`${mode}.deep_error`) ?? "";
      expect(error).toContain(`"deep-${mode}"`);
      expect(error).toMatch(/save area overflow/);
      const keys = ["deep_ok", "reached_bottom", "good", "after", "markers_damaged"].map((k) => `${mode}.${k}`);
      expect(Object.values(pick(v, keys))).toEqual(["0", "1 resumed=0", "55,110", "165", "0"]);
      expect(outcome(result, `deep-${mode}`)).toMatchObject({ state: "trapped" });
      expect(v.get("regrow")).toBe("1 good=220");          // depths up to 127 fit 4 KiB
    }, TIMEOUT);
  }
});

describe("memory exhaustion", () => {
  const CAPPED = { memoryLimit: 8 << 20 };

  it("spawn in a loop returns -ENOMEM (a huge stackSize is not reserved)", async () => {
    const result = await runOnce("core_enomem_code", CAPPED);
    // main returns spawn's error negated; 99 would mean fewer than 1,000 threads fitted in 8 MiB
    expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null })
      .toEqual({ status: "exited", exitCode: ENOMEM, error: null });
  }, TIMEOUT);

  it("after spawn's -ENOMEM the program goes on: prints, joins, spawns again, exits 0", async () => {
    const result = await runOnce("core_enomem", CAPPED);
    const v = valuesOf(result);
    expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null, failure: v.get("failure") })
      .toEqual({ status: "exited", exitCode: 0, error: null, failure: `-${ENOMEM} expected=-${ENOMEM}` });
    // threads 0..15 return their index & 0xff
    expect(pick(v, ["spawned_many", "live_is_count_plus_main", "joined_sum", "spawn_again", "live_end"])).toEqual({
      spawned_many: "1", live_is_count_plus_main: "1", joined_sum: "120 errors=0", spawn_again: String(300 & 0xff),
      live_end: "1",
    });
  }, TIMEOUT);

  it("after spawn exhausted the heap, main can still switch: spawn leaves a reserve", async () => {
    const result = await runOnce("core_enomem_main", CAPPED);
    expect(lines(result)).toEqual(["start", "resumed"]);
    expect({ status: result.status, exitCode: result.exitCode }).toEqual({ status: "exited", exitCode: 0 });
  }, TIMEOUT);

  it("a main thread the runtime cannot keep is not reported as a clean exit", async () => {
    const result = await runOnce("core_main_lost", { saveAreaMax: 4096 });
    expect(lines(result)).toEqual(["start"]);
    expect(result.status).toBe("error");
    expect(result.error ?? "").toMatch(/main died: thread \d+ "main" died: save area overflow/);
    expect(result.threads.find((t) => t.name === "main")).toMatchObject({ state: "trapped" });
  }, TIMEOUT);
});

describe("modules the host refuses", () => {
  /** A wasm module from WebAssembly text. */
  async function wat(text: string): Promise<Uint8Array<ArrayBuffer>> {
    const wabt = await wabtInit();
    const module = wabt.parseWat("test.wat", text);
    try { return new Uint8Array(module.toBinary({}).buffer); } finally { module.destroy(); }
  }

  /** A module with every export weft requires; functions return `version`; `extra` is spliced in. */
  function weftLookalike(version: number, extra = ""): string {
    const funcs = REQUIRED_EXPORTS.filter((n) => n !== "memory")
      .map((n) => `(func (export "${n}") (result i32) i32.const ${version})`).join("\n  ");
    return `(module\n  ${extra}\n  (memory (export "memory") 1)\n  ${funcs})`;
  }

  async function refusal(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
    const error = await run(bytes).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(WeftError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");                    // one line
    return message;
  }

  it("rejects random bytes and an empty buffer as not a valid WebAssembly module", async () => {
    let seed = 12345;
    const random = new Uint8Array(256).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    expect(await refusal(random)).toMatch(/^not a valid WebAssembly module/);
    expect(await refusal(new Uint8Array(0))).toMatch(/^not a valid WebAssembly module/);
    // a weft module cut short
    const good = await wat(weftLookalike(ABI_VERSION));
    expect(await refusal(good.slice(0, good.length - 5))).toMatch(/^not a valid WebAssembly module/);
  });

  it("rejects a valid module that is not a weft module, naming the missing exports", async () => {
    const empty = await refusal(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    expect(empty).toMatch(/^not a weft module: missing exports memory, weft_abi_version/);
    const partial = await refusal(await wat(
      `(module (memory (export "memory") 1) (func (export "weft_abi_version") (result i32) i32.const 1))`));
    expect(partial).toMatch(/^not a weft module: missing exports weft_start\b/);
    expect(partial).not.toMatch(/missing exports.*\bmemory\b/);
  });

  it("rejects a module that imports what the host does not provide, or speaks another ABI", async () => {
    const foreign = await refusal(await wat(weftLookalike(ABI_VERSION, `(import "env" "fopen" (func (param i32) (result i32)))`)));
    expect(foreign).toMatch(/^not a weft module: it imports env\.fopen/);
    const version = await refusal(await wat(weftLookalike(ABI_VERSION + 98)));
    expect(version).toMatch(new RegExp(`ABI mismatch.*version ${ABI_VERSION + 98}`));
  });
});
