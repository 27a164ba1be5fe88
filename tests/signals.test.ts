// Signals (assembly/core/signal.ts, lib/signal.ts, host/kernel/signals.ts): POSIX's delivery rules one by one
// in N:1, on 1, 2 and 4 processors and 1:1 (the same lines everywhere); a default action that ends the run;
// signals raised by the host, in N:1, in shared runs and from the operating system to `weft run`; and a
// program whose threads all wait in sigwait with nobody to signal them, reported as a deadlock.
import { describe, expect, it } from "vitest";
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { buildAhead, buildProgram, runProgram, runSharedProgram, valuesOf, lines, ROOT } from "./harness";
import { WeftSignals, signalNumber, signalName } from "../dist/host/kernel/signals.js";
import { NodeIo } from "../dist/host/io/node.js";
import type { RunResult } from "../host/kernel/runner.js";

const TIMEOUT = 120_000;

buildAhead([
  ["signals_rules.ts", {}], ["signals_rules.ts", { shared: true }], ["signals_default.ts", {}],
  ["signals_default.ts", { shared: true }], ["signals_host.ts", {}], ["signals_host.ts", { shared: true }],
  ["signals_wait.ts", {}], ["dump_threads.ts", {}], ["signals_io.ts", {}], ["signals_io.ts", { shared: true }],
  ["mn_channel_signals.ts", {}], ["mn_channel_signals.ts", { shared: true }],
  ["mn_channel_interrupts.ts", {}], ["mn_channel_interrupts.ts", { shared: true }],
]);

/** What every model must print for signals_rules.ts (the CPU timer aside: 1:1 has no ticks). */
const RULES: Record<string, string> = {
  raise_ran_before_return: "1", raise_on_self: "yes", thread_directed_on_target: "yes", handler_sees_target_tls: "77",
  mask_inherited: "yes", blocked_everywhere_pending: "yes", delivered_on_unblock: "1", nothing_left_pending: "yes",
  not_pending_for_others: "yes", thread_pending_then_delivered: "yes", unblockable_stay_unblocked: "yes", bad_how: "EINVAL",
  fresh_thread_took_it: "yes", ignored_discarded: "yes", sigchld_default_ignored: "yes", catch_sigkill: "EINVAL", bad_number: "EINVAL",
  futex_eintr: "yes", futex_sa_restart: "restarted", sleep_returns_left: "yes", mutex_not_interrupted: "yes",
  mutex_then_locked: "yes", cond_wait_returns: "0", channel_recv_after_handler: "42", spinner_stopped_by_handler: "1",
  nested: "outer(usr2)usr1-again", deferred: "a()b", nodefer: "a(b)", handler_switched: "yes", sigwait_took: "10",
  merged_and_queued: "10,34,34,34,34,34", timed_out: "EAGAIN", empty_set: "EINVAL", storm_counted: "10000",
  alarm_first: "0.0", alarm_replaced_left: "yes", alarm_interrupted_sleep: "yes", bad_alarm: "EINVAL", eintr_is: "4",
};

function expectRules(result: { status: string; stderr: string; error?: string }, values: Map<string, string>, cpuTimer: string): void {
  expect({ status: result.status, error: result.error ?? null, stderr: result.stderr }).toEqual({ status: "exited", error: null, stderr: "" });
  expect(Object.fromEntries(values)).toEqual({ ...RULES, cpu_timer_fired: cpuTimer });
}

describe("POSIX's delivery rules", () => {
  it("hold in N:1", async () => {
    const result = await runProgram("signals_rules.ts");
    expectRules(result, valuesOf(result), "1");
  }, TIMEOUT);

  for (const processors of [1, 2, 4]) {
    it(`hold on ${processors} processor${processors > 1 ? "s" : ""}`, async () => {
      const result = await runSharedProgram("signals_rules.ts", processors, 90_000);
      expectRules(result, valuesOf(result), "1");
    }, TIMEOUT);
  }

  it("hold in 1:1, where a thread's CPU timer is refused (no ticks)", async () => {
    const result = await runSharedProgram("signals_rules.ts", 1, 90_000, "1:1");
    expectRules(result, valuesOf(result), "ENOTSUP");
  }, TIMEOUT);
});

/** `program` in N:1 and on 2 and 4 processors: it exits, and prints `expected`. */
function inEveryModel(program: string, what: string, expected: Record<string, string>): void {
  const check = (result: RunResult) => {
    expect({ status: result.status, error: result.error ?? null }).toEqual({ status: "exited", error: null });
    expect(Object.fromEntries(valuesOf(result))).toEqual(expected);
  };
  it(`${what} in N:1`, async () => check(await runProgram(program)), TIMEOUT);
  for (const processors of [2, 4]) {
    it(`${what} on ${processors} processors`, async () => check(await runSharedProgram(program, processors, 90_000)), TIMEOUT);
  }
}

describe("signals into threads parked on channels, racing their wakers", () => {
  // tests/programs/mn_channel_signals.ts: 4 pairs ping-pong 20,000 times while every member is sent
  // SIGUSR1 over and over; a signal and a waker both try to take a parked operation out of its word.
  inEveryModel("mn_channel_signals.ts", "lose no value and no thread",
    { pairs_exact: "yes", handled_at_most_sent: "yes", signals_sent: "some" });
});

describe("signals into a thread parked on a channel whose lock is busy", () => {
  // tests/programs/mn_channel_interrupts.ts: 200 signals, one at a time, to a receiver parked on a channel
  // that three threads poll without pause; on processors a signal that finds the channel's lock held is
  // delivered later by a processor's loop (core/parked.ts, "Signals"), and a signal sent while the
  // receiver still runs its handler finds it when it parks again (park step 5): none may be lost.
  inEveryModel("mn_channel_interrupts.ts", "every handler runs, and the receive still gets its value,",
    { every_signal_handled: "yes", pollers_polled: "yes", recv_after_handlers: "42" });
});

describe("a system call in flight", () => {
  // What signals_io.ts prints when each interrupted call says EINTR (or restarts) as POSIX says, and no
  // byte is lost to a call that said EINTR.
  const IO: Record<string, string> = {
    read_interrupted: "EINTR handled=1", read_after: "first", read_restarted: "second handled=1",
    delay_interrupted: "EINTR", waitpid_interrupted: "EINTR then=signal 15", accept_interrupted: "EINTR",
    socket_read_restarted: "over tcp",
  };
  const net = { listen: ["127.0.0.1:0"], connect: ["127.0.0.1:*"] };
  for (const processors of [0, 2]) {
    it(`is interrupted: EINTR, or restarted after the handler with SA_RESTART (${processors ? processors + " processors" : "N:1"})`, async () => {
      const result = processors
        ? await runSharedProgram("signals_io.ts", processors, 60_000, "M:N", {}, { io: new NodeIo(net) })
        : await runProgram("signals_io.ts", { node: net });
      expect({ status: result.status, error: result.error ?? null, stderr: result.stderr }).toEqual({ status: "exited", error: null, stderr: "" });
      expect(Object.fromEntries(valuesOf(result))).toEqual(IO);
    }, TIMEOUT);
  }
});

describe("default actions", () => {
  it("a signal with no handler ends the run as signaled, 128 + n, and the raising thread goes no further", async () => {
    const result = await runProgram("signals_default.ts");
    expect({ status: result.status, exitCode: result.exitCode, signal: result.signal, error: result.error, out: lines(result) })
      .toEqual({ status: "signaled", exitCode: 143, signal: "SIGTERM", error: "terminated by SIGTERM", out: ["before"] });
  }, TIMEOUT);

  it("the same on 2 processors", async () => {
    const result = await runSharedProgram("signals_default.ts", 2);
    expect({ status: result.status, exitCode: result.exitCode, signal: result.signal, out: lines(result) })
      .toEqual({ status: "signaled", exitCode: 143, signal: "SIGTERM", out: ["before"] });
  }, TIMEOUT);
});

describe("signals from the host", () => {
  const expected = ["ready", "sigwait_took=1,15", "took 1", "took 15", "usr1 handled", "usr1_handled=1"];
  const sorted = (result: { stdout: string }) => result.stdout.trim().split("\n").sort();

  it("N:1: WeftSignals raised while the program runs reach sigwait and a handler", async () => {
    const result = await runProgram("signals_host.ts", { raiseOn: { line: "ready", signals: ["SIGUSR1", "SIGHUP", "SIGTERM"] } });
    expect({ status: result.status, out: sorted(result) }).toEqual({ status: "exited", out: expected });
  }, TIMEOUT);

  for (const [label, processors, model] of [["2 processors", 2, "M:N"], ["1:1", 1, "1:1"]] as const) {
    it(`${label}: raised from the thread that started the run`, async () => {
      const signals = new WeftSignals();
      const result = await runSharedProgram("signals_host.ts", processors, 60_000, model, {}, {
        signals, stdout: (line) => { if (line === "ready") { signals.raise("SIGUSR1"); signals.raise(1); signals.raise("TERM"); } },
      });
      expect({ status: result.status, out: sorted(result) }).toEqual({ status: "exited", out: expected });
    }, TIMEOUT);
  }

  it("weft run: the process's own SIGTERM goes to the program, and an unhandled SIGINT ends it with 130", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "weft-signals-"));
    try {
      const host = path.join(dir, "host.wasm"), dflt = path.join(dir, "default.wasm");
      await writeFile(host, await buildProgram("signals_host.ts"));
      await writeFile(dflt, await buildProgram("signals_wait.ts"));
      // The operating system's signals reach Node one by one, in an order of its own: SIGTERM ends the
      // waiter, so it goes once the other two have been taken.
      const handled = await runSignalled(host, [["ready", ["SIGUSR1", "SIGHUP"]], ["took 1", []], ["usr1 handled", ["SIGTERM"]]]);
      expect({ code: handled.code, out: sorted(handled) }).toEqual({ code: 0, out: expected });
      const killed = await runSignalled(dflt, [["ready", ["SIGINT"]]]);
      expect({ code: killed.code, stderr: killed.stderr.trim() }).toEqual({ code: 130, stderr: "weft: terminated by SIGINT" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, TIMEOUT);

  it("a thread dump: dumpThreads() in the program, and weft run --dump-on SIGQUIT, which the program does not see", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "weft-dump-"));
    try {
      const wasm = path.join(dir, "dump.wasm");
      await writeFile(wasm, await buildProgram("dump_threads.ts"));
      const { code, stdout, stderr } = await runSignalled(wasm, [["ready", ["SIGQUIT"]], [/^threads of process 1 \(1\):\n.*\n/m, ["SIGTERM"]]], ["--dump-on", "SIGQUIT"]);
      expect({ code, stdout }).toEqual({ code: 0, stdout: "ready\n" });
      const dumps = stderr.split(/^threads of process 1 /m).slice(1);
      expect(dumps.length).toBe(2);
      // From inside, while they wait: a mutex waiter names the holder; a sleeper; a finished thread.
      // (N:1 answers the call at the host's next turn, main parked in it: every thread's frames show.)
      expect(dumps[0]).toMatch(/^\(4\):\n  thread \d+ "main": blocked on dumpThreads\(\); \d+ switches, [\d.]+ ms cpu\n    ioCall .*\n    dumpThreads .*\n    main +dump_threads\.ts /);
      expect(dumps[0]).toMatch(/\n  thread (\d+) "holder": sleeping on sleep;[^]*\n  thread \d+ "waiter": blocked on mutex at 0x[0-9a-f]+ held by thread \1;/);
      expect(dumps[0]).toMatch(/\n  thread \d+ "spinner": (exited \(value 0\)|runnable|running); \d+ switches/);
      // From the host, on Ctrl-\\: main waits in sigwait, the others were joined.
      expect(dumps[1]).toMatch(/^\(1\):\n  thread \d+ "main": blocked on sigwait at 0x[0-9a-f]+; \d+ switches/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, TIMEOUT);

  it("with no signal source, threads that all wait in sigwait are a deadlock, named", async () => {
    const result = await runProgram("signals_host.ts");
    expect(result.status).toBe("deadlock");
    expect(result.error).toMatch(/thread \d+: blocked on sigwait at 0x/);
  }, TIMEOUT);

  it("names and numbers", () => {
    expect([signalNumber("SIGINT"), signalNumber("term"), signalNumber("SIGRTMIN+3"), signalNumber(64)]).toEqual([2, 15, 37, 64]);
    expect([signalName(2), signalName(34), signalName(40)]).toEqual(["SIGINT", "SIGRTMIN", "SIGRTMIN+6"]);
    expect(() => signalNumber("SIGNOPE")).toThrow(/unknown signal "SIGNOPE"/);
    expect(() => signalNumber(65)).toThrow(/a signal is a number from 1 to 64/);
    expect(() => new WeftSignals().raise(0)).toThrow(/from 1 to 64/);
  });
});

/** Runs `weft run wasm` as a child process and sends it signals (the operating system's): each step's once
 *  it has printed that step's line on stdout (or, for a pattern, written a match on stderr) and every
 *  earlier step's. Two signals sent at once may reach the program in either order. */
function runSignalled(wasm: string, steps: [seen: string | RegExp, signals: NodeJS.Signals[]][], flags: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "dist/host/cli.js"), "run", wasm, ...flags], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", next = 0;
    const send = () => {
      const printed = stdout.split("\n");
      const seen = (want: string | RegExp) => (typeof want === "string" ? printed.includes(want) : want.test(stderr));
      while (next < steps.length && steps.slice(0, next + 1).every(([want]) => seen(want))) {
        for (const s of steps[next++][1]) child.kill(s);
      }
    };
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`${wasm}: no end within 60 s`)); }, 60_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      send();
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      send();
    });
    child.on("error", reject);
    child.on("exit", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}
