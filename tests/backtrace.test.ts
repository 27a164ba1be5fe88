// Backtraces (assembly/core/inspect.ts, "Backtraces"; host/kernel/backtrace.ts): a thread dump shows
// every parked thread's frames, innermost first, whatever it parked in (a mutex, a sleep, a condition, a
// yield, a safepoint's tick); the threads go on afterwards exactly as before; a trapped thread's report
// and a deadlock's report carry frames too, in N:1 and on processors (after a migration).
import { describe, expect, it } from "vitest";
import { buildAhead, runProgram, runSharedProgram } from "./harness";

const TIMEOUT = 120_000;
buildAhead([["backtrace.ts", {}], ["backtrace_deadlock.ts", {}], ["backtrace.ts", { shared: true }], ["backtrace_deadlock.ts", { shared: true }],
  ["backtrace.ts", { lines: true }], ["backtrace.ts", { lines: true, optimize: true }], ["backtrace_locals.ts", { optimize: false }],
  ["backtrace_deadlock.ts", { optimize: false, lines: true }]]);

interface Frame { fn: string; file: string; line?: number }

/** The frames printed under each `  thread N "name": ...` line of `text`, by name: function names,
 *  innermost first, with the file each is in (and the line, in a build with source lines). */
function backtraces(text: string): Map<string, Frame[]> {
  const threads = new Map<string, Frame[]>();
  let current: Frame[] | null = null;
  for (const line of text.split("\n")) {
    if (/^      \| /.test(line)) continue;              // a frame's locals (backtraceLocals reads them)
    const head = /^(?:  )?thread \d+ "([^"]+)"/.exec(line);
    if (head) { current = []; threads.set(head[1], current); continue; }
    const frame = /^    (\S+)\s+(?:(\S+\.ts)(?::(\d+):\d+)?\s+)?wasm-function\[\d+\]:0x[0-9a-f]+$/.exec(line);
    if (frame && current) current.push({ fn: frame[1], file: frame[2] ?? "", ...(frame[3] ? { line: Number(frame[3]) } : {}) });
    else current = null;
  }
  return threads;
}

const names = (frames: { fn: string }[] | undefined) => (frames ?? []).map((f) => f.fn);

/** Each frame's locals line under thread `thread`'s head in `text`, by function: `a = 1, b = 2`. */
function backtraceLocals(text: string, thread: string): Map<string, string> {
  const out = new Map<string, string>();
  let inside = false, fn = "";
  for (const line of text.split("\n")) {
    const head = /^  thread \d+(?: "([^"]+)")?:/.exec(line);
    if (head) { inside = (head[1] ?? "") === thread; continue; }
    if (!inside) continue;
    const frame = /^    (\S+)\s/.exec(line);
    if (frame) { fn = frame[1]; continue; }
    const locals = /^      \| (.*)$/.exec(line);
    if (locals) out.set(fn, locals[1]);
  }
  return out;
}
/** The program's own frames: those in backtrace*.ts, in order. */
const own = (frames: { fn: string; file: string }[] | undefined) =>
  (frames ?? []).filter((f) => /^backtrace(_deadlock)?\.ts$/.test(f.file)).map((f) => f.fn);

describe("backtraces", () => {
  it("a thread dump shows every parked thread's frames, and the threads go on as before (N:1)", async () => {
    const result = await runProgram("backtrace.ts");
    expect({ status: result.status, exitCode: result.exitCode }).toEqual({ status: "exited", exitCode: 0 });
    expect(result.stdout).toBe('crashed: thread 7 "crasher" died: divide by zero\ndone\n');
    const dump = result.stderr.slice(result.stderr.indexOf("threads of process 1 (6):"));
    const bt = backtraces(dump);
    expect(own(bt.get("main"))).toEqual(["main"]);
    expect(names(bt.get("main")).slice(0, 2)).toEqual(["ioCall", "dumpThreads"]);
    // A mutex three calls down: the innermost frame is weft's lock, in weft's own file.
    expect(own(bt.get("locker"))).toEqual(["lockDeep3", "lockDeep2", "lockDeep1", "locker"]);
    expect(bt.get("locker")![0]).toEqual({ fn: "lockContended", file: "weft/assembly/lib/sync/mutex.ts" });
    expect(own(bt.get("sleeper"))).toEqual(["napInner", "napOuter", "sleeper"]);
    expect(names(bt.get("sleeper")).slice(0, 2)).toEqual(["sleepUntil", "sleep"]);
    expect(own(bt.get("gatekeeper"))).toEqual(["waitOpen", "gatekeeper"]);
    expect(names(bt.get("gatekeeper"))).toContain("Cond#wait");
    expect(own(bt.get("spinner"))).toEqual(["spinTurns", "spinner"]);
    // Preempted at a safepoint of its loop: parked by a tick, not by a call.
    expect(own(bt.get("cruncher"))).toEqual(["crunch", "cruncher"]);
    expect(dump).toMatch(/thread 2 "locker": blocked on mutex at 0x[0-9a-f]+ held by thread 1/);
    expect(dump).toMatch(/thread 1 "main": blocked on dumpThreads\(\)/);
  }, TIMEOUT);

  it("a trapped thread's report names the frames it trapped in (N:1 and on 2 processors)", async () => {
    for (const result of [await runProgram("backtrace.ts"), await runSharedProgram("backtrace.ts", 2)]) {
      expect(result.status).toBe("exited");
      const at = result.stderr.indexOf('thread 7 "crasher" died: divide by zero\n');
      expect(at).toBeGreaterThanOrEqual(0);
      const bt = backtraces(result.stderr.slice(at));
      expect(own(bt.get("crasher"))).toEqual(["crash4", "crash3", "crash2", "crash1"]);
    }
  }, TIMEOUT);

  it("on processors a dump shows every thread's frames: the processors stop at their loops' tops for it, then go on", async () => {
    const result = await runSharedProgram("backtrace.ts", 2);
    expect({ status: result.status, exitCode: result.exitCode }).toEqual({ status: "exited", exitCode: 0 });
    expect(result.stdout).toBe('crashed: thread 7 "crasher" died: divide by zero\ndone\n');
    const dump = result.stderr.slice(result.stderr.indexOf("threads of process 1 (6):"));
    const bt = backtraces(dump);
    expect(own(bt.get("main"))).toEqual(["main"]);
    expect(names(bt.get("main")).slice(0, 2)).toEqual(["ioCall", "dumpThreads"]);
    // Each other thread started before the dump and is somewhere on its way down (on processors the
    // dump may find it before its innermost call): its own frames are the outer part of its chain.
    const chains: Record<string, string[]> = {
      locker: ["lockDeep3", "lockDeep2", "lockDeep1", "locker"], sleeper: ["napInner", "napOuter", "sleeper"],
      gatekeeper: ["waitOpen", "gatekeeper"], spinner: ["spinTurns", "spinner"], cruncher: ["crunch", "cruncher"],
    };
    for (const [name, chain] of Object.entries(chains)) {
      const frames = own(bt.get(name));
      expect(frames.length, `${name}: ${dump}`).toBeGreaterThan(0);
      expect(chain.slice(chain.length - frames.length), name).toEqual(frames);
    }
    // The cruncher never leaves crunch: wherever the stop found it, that is where it is.
    expect(own(bt.get("cruncher"))).toEqual(["crunch", "cruncher"]);
  }, TIMEOUT);

  it("with source lines (lines: true), each frame says where it is: file:line of its call, or of the trap", async () => {
    const result = await runProgram("backtrace.ts", { build: { lines: true } });
    expect(result.status).toBe("exited");
    const bt = backtraces(result.stderr.slice(result.stderr.indexOf("threads of process 1 (6):")));
    const at = (frames: Frame[] | undefined) => (frames ?? []).filter((f) => f.file === "backtrace.ts").map((f) => `${f.fn}:${f.line}`);
    // (lockDeep3's call is inside Mutex#lock, which the compiler inlined: its line is the mutex's.)
    expect(at(bt.get("locker"))).toEqual(["lockDeep2:13", "lockDeep1:14", "locker:15"]);
    expect(bt.get("locker")![1]).toMatchObject({ fn: "lockDeep3", file: "weft/assembly/lib/sync/mutex.ts" });
    expect(at(bt.get("sleeper"))).toEqual(["napInner:17", "napOuter:18", "sleeper:19"]);
    expect(at(bt.get("gatekeeper"))).toEqual(["waitOpen:21", "gatekeeper:22"]);
    expect(at(bt.get("cruncher"))).toEqual(["crunch:28", "cruncher:29"]);   // parked at its loop's safepoint
    expect(at(bt.get("main"))).toEqual(["main:48"]);
    const crash = backtraces(result.stderr.slice(result.stderr.indexOf('thread 7 "crasher" died')));
    expect(at(crash.get("crasher"))).toEqual(["crash4:32", "crash3:33", "crash2:34", "crash1:35"]);
  }, TIMEOUT);

  it("an optimised build with source lines: inlined functions' calls keep their own lines", async () => {
    const result = await runProgram("backtrace.ts", { build: { lines: true, optimize: true } });
    expect(result.status).toBe("exited");
    const bt = backtraces(result.stderr.slice(result.stderr.indexOf("threads of process 1 (6):")));
    // lockDeep1 and lockDeep2 are inlined into locker: its frame is at the call they made.
    const locker = bt.get("locker")!;
    expect(locker.at(-1)).toMatchObject({ fn: "locker", file: "backtrace.ts" });
    expect([13, 14, 15]).toContain(locker.at(-1)!.line);
    expect(result.stderr).toMatch(/\n    crash1 +backtrace\.ts:3[2-5]:\d+ /);
  }, TIMEOUT);

  for (const processors of [0, 2]) {
    const where = processors ? `on ${processors} processors, after a migration` : "in N:1";
    it(`a deadlock's report carries each thread's frames (${where})`, async () => {
      const result = processors ? await runSharedProgram("backtrace_deadlock.ts", processors) : await runProgram("backtrace_deadlock.ts");
      expect(result.status).toBe("deadlock");
      expect(result.error).toMatch(/^deadlock: every thread is blocked and nothing can wake them\n  thread 1 "main": blocked on join of thread 2\n/);
      const bt = backtraces(result.error!);
      expect(own(bt.get("main"))).toEqual(["awaitStuck", "main"]);
      expect(names(bt.get("main"))).toContain("join");
      expect(own(bt.get("stuck"))).toEqual(["takeLock", "stuck"]);
    }, TIMEOUT);
  }

  it("an unoptimised build keeps its locals' names: a dump shows each parked frame's live locals by name and value", async () => {
    const result = await runProgram("backtrace_locals.ts", { build: { optimize: false } });
    expect({ status: result.status, exitCode: result.exitCode }).toEqual({ status: "exited", exitCode: 0 });
    expect(result.stdout).toBe("after=6,1099511627776,3.5,11\n");
    const locals = backtraceLocals(result.stderr, "");          // the spawned thread has no name
    expect(locals.get("inner")).toBe("label = 11, twice = 6, big = 1099511627776, ratio = 3.5");
    expect(locals.get("outer")).toBe("seven = 7");
  }, TIMEOUT);

  it("an unoptimised build with source lines runs (a function's last statement may be a loop that only returns), and its frames show lines and locals by name", async () => {
    const result = await runProgram("backtrace_deadlock.ts", { build: { optimize: false, lines: true } });
    expect(result.status).toBe("deadlock");
    const bt = backtraces(result.error!);
    expect(bt.get("main")!.filter((f) => f.file === "backtrace_deadlock.ts")).toEqual([
      { fn: "awaitStuck", file: "backtrace_deadlock.ts", line: 10 }, { fn: "main", file: "backtrace_deadlock.ts", line: 18 }]);
    // awaitStuck's t is a flattened function's local (flattening adds locals and renumbers them): still
    // named, and still the thread's id.
    const locals = backtraceLocals(result.error!, "main");
    expect(locals.get("awaitStuck")).toBe("t = 2");
    expect(locals.get("main")).toBe("t = 2");
  }, TIMEOUT);
});
