// The blocking sync primitives (assembly/sync), each exercised by an AssemblyScript program in
// tests/programs/sync_*.ts with several threads. Programs print `key=value` lines of values they computed;
// every assertion here compares one of those against what the semantics demand.
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { runProgram, valuesOf, pick } from "./harness";

const TIMEOUT = 120_000; // a cold build of a program takes a few seconds; the runs take milliseconds

function program(name: string): string {
  return fileURLToPath(new URL(`./programs/${name}.ts`, import.meta.url));
}

/** Runs a program that must exit 0 and returns its `key=value` lines as a map. */
async function runValues(name: string): Promise<Map<string, string>> {
  const result = await runProgram(program(name));
  expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null, stdout: result.stdout })
    .toMatchObject({ status: "exited", exitCode: 0, error: null });
  return valuesOf(result);
}

const EPERM = "1";
const EINVAL = "22";
const EDEADLK = "35";
const ETIMEDOUT = "110";

describe("Mutex", () => {
  it("excludes, is non-recursive, times out, and reports misuse as errnos", async () => {
    const v = await runValues("sync_mutex");
    expect(v.get("counter")).toBe(v.get("expected"));
    expect(v.get("expected")).toBe("400");
    expect(pick(v, ["max_inside", "contended", "free_after"])).toEqual({
      max_inside: "1", contended: "yes", free_after: "yes",
    });
    expect(pick(v, ["trylock_free", "owner_is_self", "trylock_self", "lock_self", "locktimed_self", "trylock_other"]))
      .toEqual({
        trylock_free: "1", owner_is_self: "1", trylock_self: "0", lock_self: EDEADLK, locktimed_self: "0",
        trylock_other: "0",
      });
    expect(pick(v, ["unlock_foreign", "still_owner"])).toEqual({ unlock_foreign: EPERM, still_owner: "1" });
    expect(pick(v, ["timed_busy", "timed_busy_waited"])).toEqual({ timed_busy: "0", timed_busy_waited: "yes" });
    expect(pick(v, ["unlock_owner", "blocking_got_it"])).toEqual({ unlock_owner: "0", blocking_got_it: "0,late" });
    expect(v.get("timed_success")).toBe("1,in_time");
    expect(v.get("unlock_free")).toBe(EPERM);
  }, TIMEOUT);

  it("reports two threads locking two mutexes in opposite order as a deadlock naming a mutex", async () => {
    const result = await runProgram(program("sync_deadlock"));
    expect(result.status).toBe("deadlock");
    expect(result.error ?? "").toMatch(/mutex/i);
    expect(result.stdout).toContain("started");
    expect(result.stdout).not.toContain("got both");
    // Each of the two workers waits on a different mutex, held by the other (the report names the
    // owner); main waits on join.
    const onMutex = result.threads
      .map((t) => ({ id: t.id, m: /^mutex at (0x[0-9a-f]+) held by thread (\d+)$/.exec(t.waitingOn ?? "") }))
      .filter((w) => w.m !== null);
    expect(onMutex.length).toBe(2);
    expect(onMutex[0].m![1]).not.toBe(onMutex[1].m![1]);
    expect([Number(onMutex[0].m![2]), Number(onMutex[1].m![2])]).toEqual([onMutex[1].id, onMutex[0].id]);
  }, TIMEOUT);
});

describe("Cond", () => {
  it("returns holding the mutex; signal wakes one, broadcast all; timed waits time out", async () => {
    const v = await runValues("sync_cond");
    expect(v.get("wait_unlocked")).toBe(EPERM);
    expect(v.get("waiting")).toBe("4");
    expect(pick(v, ["after_signal", "after_broadcast", "owner_errors", "wait_errors", "waiting_end"])).toEqual({
      after_signal: "1", after_broadcast: "4", owner_errors: "0", wait_errors: "0", waiting_end: "0",
    });
    expect(pick(v, ["timed_result", "timed_owner", "timed_waited"])).toEqual({
      timed_result: ETIMEDOUT, timed_owner: "1", timed_waited: "yes",
    });
    expect(v.get("timed_signalled")).toBe("0,seen,in_time");
    expect(v.get("timed_signalled_owner")).toBe("1");
  }, TIMEOUT);
});

describe("RwLock", () => {
  it("shares among readers, excludes writers, prefers a waiting writer", async () => {
    const v = await runValues("sync_rwlock");
    expect(v.get("max_readers")).toBe("3");
    expect(v.get("shared")).toBe(v.get("expected"));
    expect(v.get("expected")).toBe("120");
    expect(v.get("violations")).toBe("0");
    expect(pick(v, ["tryread_while_read", "trywrite_while_read", "tryread_while_write", "trywrite_while_write"]))
      .toEqual({ tryread_while_read: "1", trywrite_while_read: "0", tryread_while_write: "0", trywrite_while_write: "0" });
    expect(pick(v, [
      "writelock_twice", "readlock_while_writing", "writeunlock_foreign", "readunlock_while_write",
      "writeunlock_owner", "writeunlock_free", "readunlock_free",
    ])).toEqual({
      writelock_twice: EDEADLK, readlock_while_writing: EDEADLK, writeunlock_foreign: EPERM,
      readunlock_while_write: EPERM, writeunlock_owner: "0", writeunlock_free: EPERM, readunlock_free: EPERM,
    });
    expect(v.get("tryread_writer_waiting")).toBe("0");
    expect(v.get("order")).toBe("UWR");
    expect(v.get("free_at_end")).toBe("1");
  }, TIMEOUT);
});

describe("Semaphore", () => {
  it("admits exactly `initial` holders, counts, times out, and release(n) wakes n", async () => {
    const v = await runValues("sync_semaphore");
    expect(pick(v, ["max_active", "passes", "value_after"])).toEqual({ max_active: "2", passes: "150", value_after: "2" });
    expect(pick(v, ["tryacquire_empty", "release3", "value3", "took", "value0"])).toEqual({
      tryacquire_empty: "0", release3: "0", value3: "3", took: "3", value0: "0",
    });
    expect(pick(v, ["timed_empty", "timed_full"])).toEqual({ timed_empty: "0,waited", timed_full: "1" });
    expect(pick(v, ["acquired_before", "acquired_after2", "acquired_after4", "gate_value"])).toEqual({
      acquired_before: "0", acquired_after2: "2", acquired_after4: "4", gate_value: "0",
    });
    expect(pick(v, ["release_negative", "release_overflow", "create_negative"])).toEqual({
      release_negative: EINVAL, release_overflow: EINVAL, create_negative: "null",
    });
  }, TIMEOUT);
});

describe("Barrier", () => {
  it("releases nobody early and names exactly one serial thread per round, round after round", async () => {
    const v = await runValues("sync_barrier");
    expect(v.get("serials")).toBe("1,1,1,1,1,1");
    expect(v.get("early")).toBe("0");
    expect(v.get("rounds")).toBe("6");
    expect(pick(v, ["create_zero", "create_one", "single_serial"])).toEqual({
      create_zero: "null", create_one: "object", single_serial: "1",
    });
  }, TIMEOUT);

  it("aborts on new Barrier(0) with a message naming the barrier", async () => {
    const result = await runProgram(program("sync_barrier_zero"));
    expect(result.status).toBe("error");
    expect(result.stdout).toContain("before");
    expect(result.stdout).not.toContain("after");
    const why = [result.error ?? "", ...result.threads.map((t) => t.error ?? "")].join("\n");
    expect(why).toContain("Barrier: count must be > 0, got 0");
  }, TIMEOUT);
});

describe("Once", () => {
  it("runs the function exactly once; every caller waits for it; a recursive call is EDEADLK", async () => {
    const v = await runValues("sync_once");
    expect(pick(v, ["done_before", "runs", "early", "results", "done_after"])).toEqual({
      done_before: "0", runs: "1", early: "0", results: "0", done_after: "1",
    });
    expect(v.get("recursive")).toBe(`0,${EDEADLK},1`);
  }, TIMEOUT);
});

describe("WaitGroup", () => {
  it("wait returns when every task is done, for every waiter", async () => {
    const v = await runValues("sync_waitgroup");
    expect(pick(v, ["empty_wait", "count", "finished_at_wait", "seen_by_waiters", "count_end", "reuse_finished"]))
      .toEqual({
        empty_wait: "returned", count: "5", finished_at_wait: "5", seen_by_waiters: "10", count_end: "0",
        reuse_finished: "6",
      });
  }, TIMEOUT);

  it("aborts when the counter goes negative", async () => {
    const result = await runProgram(program("sync_waitgroup_negative"));
    expect(result.status).toBe("error");
    expect(result.stdout).toContain("balanced");
    expect(result.stdout).not.toContain("unreachable");
    const why = [result.error ?? "", ...result.threads.map((t) => t.error ?? "")].join("\n");
    expect(why).toContain("WaitGroup.add: negative counter (-1)");
  }, TIMEOUT);
});
