// The core's thread semantics: join / detach / exit / names, priorities, sleep and the futex, TLS, and
// scale. Each case runs an AssemblyScript program from tests/programs/core_*.ts that prints `key=value`
// lines of values it computed; every assertion compares one of them with what the semantics demand.
import { describe, expect, it } from "vitest";
import { runProgram, runOnce, runValues, valuesOf, pick, lines } from "./harness";
import type { RunOptions, RunResult } from "../host/kernel/runner";

const TIMEOUT = 120_000; // a cold build of a program takes a few seconds; the runs take milliseconds

const ESRCH = "3";
const EINVAL = "22";
const EDEADLK = "35";
const FUTEX_WOKEN = "0", FUTEX_NOT_EQUAL = "1", FUTEX_TIMED_OUT = "2";





/** A whole-millisecond value printed by a program. */
function ms(values: Map<string, string>, key: string): number {
  const text = values.get(key);
  expect(text, key).toMatch(/^\d+$/);
  return Number(text);
}

describe("join", () => {
  it("returns the thread's value, also for a thread that finished before the join", async () => {
    const v = await runValues("core_join");
    expect(pick(v, ["live_start", "join_value", "live_with_zombie", "join_finished", "live_after_join"])).toEqual({
      live_start: "1",                       // only main
      join_value: "42 code=0 ok=1",          // 14 * 3
      live_with_zombie: "2",                 // finished, not yet joined: still a record
      join_finished: "42 code=0",            // 41 + 1
      live_after_join: "1",                  // joined: reaped
    });
  }, TIMEOUT);

  it("refuses to join yourself (EDEADLK), twice, stale or unknown ids (ESRCH)", async () => {
    const v = await runValues("core_join");
    expect(pick(v, ["join_self", "join_twice", "reused_id_differs", "join_stale", "join_reused", "join_never", "join_zero"]))
      .toEqual({
        join_self: EDEADLK,
        join_twice: ESRCH,
        reused_id_differs: "1",              // a reused slot gets a new generation
        join_stale: ESRCH,                   // ... so the old id stays dead while the new thread lives
        join_reused: "2",
        join_never: ESRCH,
        join_zero: `${ESRCH} join_negative=${ESRCH}`,
      });
  }, TIMEOUT);

  it("refuses to join a detached thread or one another thread joins (EINVAL)", async () => {
    const v = await runValues("core_join");
    expect(pick(v, ["detach", "detach_again", "join_detached", "join_being_joined", "detach_being_joined", "inner_join"]))
      .toEqual({
        detach: "0",
        detach_again: EINVAL,
        join_detached: EINVAL,
        join_being_joined: EINVAL,
        detach_being_joined: EINVAL,
        inner_join: "21 code=0",             // the first joiner still gets the value (7 * 3)
      });
  }, TIMEOUT);
});

describe("detach", () => {
  it("frees the record when the thread finishes, or at once if it already had", async () => {
    const v = await runValues("core_join");
    expect(pick(v, [
      "live_before_detach", "live_after_detached_exit", "join_reaped_detached", "detach_reaped",
      "detach_zombie", "detach_zombie_freed", "live_end",
    ])).toEqual({
      live_before_detach: "2",
      live_after_detached_exit: "1",         // reaped without a join
      join_reaped_detached: ESRCH,
      detach_reaped: ESRCH,
      detach_zombie: "0",
      detach_zombie_freed: "1",
      live_end: "1",
    });
    const result = await runOnce("core_join");
    expect(result.threads.filter((t) => t.id !== 1)).toEqual([]);   // nothing left but main
  }, TIMEOUT);

  it("SpawnOptions.detached starts a thread detached: join and detach say EINVAL, it is freed when it ends", async () => {
    const v = await runValues("core_join");
    expect(pick(v, ["spawn_detached_live", "spawn_detached_join", "spawn_detached_detach", "spawn_detached_freed", "spawn_detached_gone"]))
      .toEqual({
        spawn_detached_live: "1",
        spawn_detached_join: EINVAL,
        spawn_detached_detach: EINVAL,
        spawn_detached_freed: "1",
        spawn_detached_gone: ESRCH,          // its id names no thread any more
      });
  }, TIMEOUT);
});

describe("exit", () => {
  it("ends a thread from deep in its call stack with the value; nothing after it runs", async () => {
    const v = await runValues("core_join");
    expect(v.get("exit_value")).toBe("77 deepest=1 after_exit=0 error=none");
  }, TIMEOUT);

  it("called by main from deep in its call stack ends the program with that value", async () => {
    const result = await runOnce("core_exit_main");
    expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null })
      .toEqual({ status: "exited", exitCode: 42, error: null });
    // main's TLS destructor ran (with main's value); no line after the exit call was printed
    expect(lines(result)).toEqual(["before_exit", "main_destructor=5150"]);
  }, TIMEOUT);
});

describe("names", () => {
  it("come from SpawnOptions.name, change with setName, and show in getName and JoinResult", async () => {
    const v = await runValues("core_join");
    expect(pick(v, [
      "name_before_run", "name_inside", "name_after_rename", "join_name", "name_main", "name_unnamed",
      "name_stale", "name_main_renamed",
    ])).toEqual({
      name_before_run: "worker-a",
      name_inside: "worker-a",
      name_after_rename: "renamed-3",
      join_name: "renamed-3",
      name_main: "main name_self=main",
      name_unnamed: "[]",
      name_stale: "[]",
      name_main_renamed: "boss",
    });
  }, TIMEOUT);

  it("spawn rejects a priority outside 0..7 and a negative stackSize with -EINVAL", async () => {
    const v = await runValues("core_join");
    expect(pick(v, ["spawn_priority_8", "spawn_priority_neg", "spawn_stack_neg"])).toEqual({
      spawn_priority_8: `-${EINVAL}`, spawn_priority_neg: `-${EINVAL}`, spawn_stack_neg: `-${EINVAL}`,
    });
  }, TIMEOUT);
});

describe("priorities", () => {
  it("run higher levels first and round robin within a level", async () => {
    const v = await runValues("core_priority");
    // T (7) alone; H, I, J (6) take turns; M (3); L and l (1) take turns.
    expect(v.get("mixed")).toBe("T0 H0 I0 J0 H1 I1 J1 H2 I2 J2 M0 M1 L0 l0 L1 l1 L2 l2");
    expect(v.get("mixed_total")).toBe("18");
  }, TIMEOUT);

  it("yield hands over to a higher or equal level, never to a lower one", async () => {
    const v = await runValues("core_priority");
    // D (1) waits until main blocks; U (7) runs at main's first yield after its spawn; S (4) alternates.
    expect(v.get("yield")).toBe("main0 main1 U0 main2 S0 main3 S1 main4 D0");
  }, TIMEOUT);

  it("a thread woken at a higher level runs before lower ones already queued", async () => {
    const v = await runValues("core_priority");
    expect(v.get("wake")).toBe("Z0 Z1 main a0 b0 a1 b1 a2 b2");
  }, TIMEOUT);
});

describe("sleep", () => {
  it("wakes threads in deadline order, not in the order they slept, and others run meanwhile", async () => {
    const v = await runValues("core_sleep");
    expect(v.get("wake_order")).toBe("s0,s1,s2,50,100,150");
    expect(v.get("sleep_early")).toBe("0");
    const slept = (v.get("slept") ?? "").split(",").map(Number);
    expect(slept).toHaveLength(3);
    [50, 100, 150].forEach((asked, i) => {
      expect(slept[i]).toBeGreaterThanOrEqual(asked);
      expect(slept[i]).toBeLessThan(asked + 1000);
    });
  }, TIMEOUT);

  it("wakes sleepers on time while another thread polls with yieldNow", async () => {
    const v = await runValues("core_sleep");
    // The poller gives up after 10 s; the sleepers (10 and 20 ms) must wake while it still polls.
    expect(v.get("poller_gave_up")).toBe("0");
    const atWake = (v.get("ticks_at_wake") ?? "").split(",").map(Number);
    const total = Number(v.get("poll_ticks"));
    expect(atWake).toHaveLength(2);
    // The last sleeper to wake ends the polling, so its tick is the poller's last. (Both may wake at one
    // tick: when the kernel keeps the run off its core past both deadlines.)
    for (const t of atWake) expect(t).toBeLessThanOrEqual(total);
    expect(Math.max(...atWake)).toBe(total);
  }, TIMEOUT);
});

describe("futex", () => {
  it("a timed wait nobody wakes returns FUTEX_TIMED_OUT after about its timeout", async () => {
    const v = await runValues("core_sleep");
    expect(v.get("timed_result")).toBe(`${FUTEX_TIMED_OUT} expected=${FUTEX_TIMED_OUT}`);
    const waited = ms(v, "timed_waited");
    expect(waited).toBeGreaterThanOrEqual(25);
    expect(waited).toBeLessThan(1025);
  }, TIMEOUT);

  it("returns FUTEX_NOT_EQUAL at once when the word differs, and a 0 timeout does not wait", async () => {
    const v = await runValues("core_sleep");
    expect(v.get("not_equal")).toBe(`${FUTEX_NOT_EQUAL},${FUTEX_NOT_EQUAL} expected=${FUTEX_NOT_EQUAL}`);
    expect(v.get("zero_timeout")).toBe(FUTEX_TIMED_OUT);
    expect(ms(v, "fast_waited")).toBeLessThan(1000);  // the 1 s timeout of the second wait never ran
  }, TIMEOUT);

  it("a timed wait woken before its deadline returns FUTEX_WOKEN early", async () => {
    const v = await runValues("core_sleep");
    expect(v.get("wake_long")).toBe("1");
    expect(v.get("woken_early")).toBe(`${FUTEX_WOKEN} expected=${FUTEX_WOKEN}`);
    const waited = ms(v, "woken_early_waited");
    expect(waited).toBeGreaterThanOrEqual(10);
    expect(waited).toBeLessThan(4000);
  }, TIMEOUT);

  it("futexWake wakes exactly `count` waiters of that address", async () => {
    const v = await runValues("core_sleep");
    expect(pick(v, [
      "woken_before", "wake_2", "woken_after_2", "wake_0", "wake_other_addr", "wake_10", "woken_after_all",
      "wake_none",
    ])).toEqual({
      woken_before: "0",
      wake_2: "2",
      woken_after_2: "2",
      wake_0: "0",
      wake_other_addr: "0",
      wake_10: "3",                          // only 3 were left
      woken_after_all: `5 results=${FUTEX_WOKEN}`,
      wake_none: "0",
    });
  }, TIMEOUT);
});

describe("TLS", () => {
  it("keeps each thread's value for a key across many switches", async () => {
    const v = await runValues("core_tls");
    expect(pick(v, ["key_valid", "tls_checks", "tls_last_sum", "tls_main_kept"])).toEqual({
      key_valid: "1",
      tls_checks: "1200 mismatches=0",       // 6 threads x 200 rounds
      tls_last_sum: String(6 * 199),
      tls_main_kept: "424242",
    });
  }, TIMEOUT);

  it("runs destructors at thread exit, in the thread, with its value; also after exit()", async () => {
    const v = await runValues("core_tls");
    // Values 7, 1007 (returned), 2007, 3007 (exit from depth 10); no call for unset or 0 values.
    expect(v.get("destructor_calls")).toBe(`4 sum=${7 + 1007 + 2007 + 3007} in_own_thread=4`);
    expect(v.get("exit_values")).toBe("0,0,3,3,0,0");
    expect(v.get("revive_calls")).toBe("4");                // PTHREAD_DESTRUCTOR_ITERATIONS rounds
  }, TIMEOUT);

  it("makes a deleted key invalid and drops its values without calling its destructor", async () => {
    const v = await runValues("core_tls");
    expect(pick(v, [
      "delete", "delete_again", "set_deleted", "get_deleted", "reused_key_value", "holder_saw",
      "deleted_destructor_calls", "set_invalid", "delete_invalid",
    ])).toEqual({
      delete: "0",
      delete_again: EINVAL,
      set_deleted: `${EINVAL} expected=${EINVAL}`,
      get_deleted: "0",
      reused_key_value: "0",
      holder_saw: "0",
      deleted_destructor_calls: "0",
      set_invalid: `${EINVAL},${EINVAL}`,
      delete_invalid: `${EINVAL},${EINVAL}`,
    });
  }, TIMEOUT);

  it("gives ThreadLocal<i32> and errno a value per thread", async () => {
    const v = await runValues("core_tls");
    expect(pick(v, ["local_mismatches", "local_sum", "main_errno"])).toEqual({
      local_mismatches: "0 errno_mismatches=0",
      local_sum: String([1, 2, 3, 4].reduce((s, i) => s + i * 1000 + 49, 0)),
      main_errno: "-7 main_local=0",
    });
  }, TIMEOUT);
});

describe("scale", () => {
  it("keeps 10,000 threads alive at once, releases and joins them all", async () => {
    const v = await runValues("core_scale");
    expect(pick(v, ["spawn_failed", "arrived", "woken", "sum", "live_after"])).toEqual({
      spawn_failed: "0",
      arrived: "10000 max_live=10001",
      woken: "10000",
      sum: `${(10000 * 9999) / 2} bad_joins=0`,
      live_after: "1",
    });
  }, TIMEOUT);

  it("switches from 1,000 frames deep, interleaved with other threads, and unwinds correctly", async () => {
    const v = await runValues("core_scale");
    expect(v.get("deep_ok")).toBe("1,1,1");
    // Round robin of the two deep threads and a shallow one: both reach the bottom before either resumes.
    expect(v.get("trail")).toBe("bottom3 bottom11 s0 resume3 resume11 s1 s2 s3 s4 done3 done11");
  }, TIMEOUT);
});
