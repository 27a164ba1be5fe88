// Processes (assembly/core/fork.ts, assembly/sys/process.ts, host/kernel/processes.ts): fork's child gets
// the memory and one thread; waitpid's statuses; the inherited lock reported, and its cures; SIGCHLD.
import { describe, expect, it } from "vitest";
import { buildAhead, runProgram, runSharedProgram, valuesOf, lines, FORK_VALUES } from "./harness";
import { NodeIo, loadFromDisk } from "../dist/host/node.js";

const TIMEOUT = 120_000;
buildAhead([["process_fork.ts", {}], ["process_fork.ts", { shared: true }], ["process_pipe.ts", {}], ["process_pipe.ts", { shared: true }],
  ["process_spawn.ts", {}], ["process_spawn.ts", { shared: true }], ["process_fork_busy.ts", {}], ["process_fork_busy.ts", { shared: true }]]);

const PIPE_VALUES = {
  pipe: "0", read_end: "0", read_from_child: "line 1 from the child|line 2 from the child|line 3 from the child|",
  child_exit: "0", write_no_reader: "EPIPE", closed_twice: "EBADF", kill_child: "0", child_got: "10",
  parent_got_usr2: "1", kill_gone: "ESRCH",
};
/** The hazard is never silent: the thread that blocks says which thread holds the lock, and the child's
 *  deadlock report names it again. */
function expectHazardReported(stderr: string): void {
  expect(stderr).toMatch(/waits for mutex at 0x[0-9a-f]+ held by thread \d+, which does not exist in this process: it was not copied by fork\(\)/);
  expect(stderr).toMatch(/process \d+: deadlock: every thread is blocked[^]*blocked on mutex at 0x[0-9a-f]+ held by thread \d+, which does not exist in this process: it was not copied by fork\(\)/);
}

describe("fork", () => {
  it("copies the process with one thread, reports the inherited lock, and atfork or a robust mutex cure it (N:1)", async () => {
    const result = await runProgram("process_fork.ts");
    expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null }).toEqual({ status: "exited", exitCode: 0, error: null });
    expect(Object.fromEntries(valuesOf(result))).toEqual(FORK_VALUES);
    expectHazardReported(result.stderr);
    expect(result.stdout).not.toMatch(/child_never/);
  }, TIMEOUT);

  for (const processors of [1, 2]) {
    it(`the same on ${processors} processor${processors > 1 ? "s" : ""}: the child is a run of its own over the copy`, async () => {
      const result = await runSharedProgram("process_fork.ts", processors);
      expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null }).toEqual({ status: "exited", exitCode: 0, error: null });
      expect(Object.fromEntries(valuesOf(result))).toEqual(FORK_VALUES);
      expectHazardReported(result.stderr);
      expect(result.stdout).not.toMatch(/child_never/);
    }, TIMEOUT);
  }

  // Whatever the other threads do at the fork (compute, channels, a mutex, spawn and join, sleep), the
  // child's runtime is whole, and the parent's threads go on.
  for (const processors of [0, 2, 4]) {
    it(`forks while every other thread is busy (${processors ? processors + " processors" : "N:1"})`, async () => {
      const result = processors ? await runSharedProgram("process_fork_busy.ts", processors) : await runProgram("process_fork_busy.ts");
      expect({ status: result.status, error: result.error ?? null, stderr: result.stderr }).toEqual({ status: "exited", error: null, stderr: "" });
      expect(Object.fromEntries(valuesOf(result))).toEqual({ children_whole: "6/6", parent_went_on: "yes" });
    }, TIMEOUT);
  }

  it("the same in 1:1: the child's one thread has the first processor, and each thread it spawns one more", async () => {
    const result = await runSharedProgram("process_fork.ts", 1, 60_000, "1:1");
    expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null }).toEqual({ status: "exited", exitCode: 0, error: null });
    expect(Object.fromEntries(valuesOf(result))).toEqual(FORK_VALUES);
    expectHazardReported(result.stderr);
  }, TIMEOUT);

  it("a parent reads its child's output through a pipe, and kill reaches the other process", async () => {
    const result = await runProgram("process_pipe.ts");
    expect({ status: result.status, error: result.error ?? null, stderr: result.stderr }).toEqual({ status: "exited", error: null, stderr: "" });
    expect(Object.fromEntries(valuesOf(result))).toEqual(PIPE_VALUES);
  }, TIMEOUT);

  it("the same on 2 processors: the pipe's ends and kill work across a fork there too", async () => {
    const result = await runSharedProgram("process_pipe.ts", 2);
    expect({ status: result.status, error: result.error ?? null, stderr: result.stderr }).toEqual({ status: "exited", error: null, stderr: "" });
    expect(Object.fromEntries(valuesOf(result))).toEqual(PIPE_VALUES);
  }, TIMEOUT);

  it("posixSpawn starts a program with pipes as its stdin and stdout, exec puts one in a child's place, args", async () => {
    const result = await runProgram("process_spawn.ts", { args: ["process_spawn.ts", "x", "y"] });
    expect({ status: result.status, error: result.error ?? null, stderr: result.stderr }).toEqual({ status: "exited", error: null, stderr: "" });
    expect(lines(result).sort()).toEqual([
      // The spawned child's print goes where dup2 put its stdout: the pipe its parent reads.
      "THROUGH A PIPE", "child_args=a,b,reap", "child_args=g", "child_output=child_args=one,two", "exec_exit=3", "my_args=x,y",
      "reaped_exit=1",
      "spawn_bad_action=EBADF", "spawn_missing=ENOENT", "spawn_not_weft=ENOEXEC", "spawned_exit=2",
    ]);
  }, TIMEOUT);

  it("posixSpawn and exec on 2 processors: an N:1 program runs on the owner's thread, with pipes as its stdin and stdout, or in a forked child's place", async () => {
    const result = await runSharedProgram("process_spawn.ts", 2, 60_000, "M:N", {},
      { io: new NodeIo(), loadProgram: loadFromDisk, args: ["process_spawn.ts", "x", "y"] });
    expect({ status: result.status, error: result.error ?? null, stderr: result.stderr }).toEqual({ status: "exited", error: null, stderr: "" });
    expect(lines(result).sort()).toEqual([
      "THROUGH A PIPE", "child_args=a,b,reap", "child_args=g", "child_output=child_args=one,two", "exec_exit=3", "my_args=x,y",
      "reaped_exit=1",
      "spawn_bad_action=EBADF", "spawn_missing=ENOENT", "spawn_not_weft=ENOEXEC", "spawned_exit=2",
    ]);
  }, TIMEOUT);
});
