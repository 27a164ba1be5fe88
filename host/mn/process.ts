// A shared run as a process (M:N): its id, its parent, its children and the calls that name them, kept on
// the thread that called runShared, where the run's I/O owner answers them (host/kernel/shared-io.ts).
// The N:1 family is host/kernel/processes.ts; this one speaks the same protocol over the owner.
//
// Design note
// -----------
// A processor's host answers fork itself (host/kernel/family.ts, forkShared: the world stopped, the copy
// made) and sends the copy here ("fork" message); everything else a process does with its family —
// waitpid, kill of another process, args — is a system call like any, which the owner hands to this
// object. So the family lives in one place per process, and a child can be reached from any processor.
//
// fork here (assembly/core/fork.ts has the core's side):
//   1. a new id; this process's descriptors become a table over the I/O host (process-io.ts), and the
//      child gets a copy of it (the same open files, each counted once more);
//   2. the child is a new shared run of the same module over the copy, on as many processors (new
//      Workers), whose processor 0 makes it a process of its own (weft_fork_child) and completes the
//      forker's request with 0 there; its output goes where this process's goes;
//   3. the parent's request is answered with the child's id, through the forker's processor's ring;
//   4. when the child's run ends, its wait status (Linux's encoding) waits for waitpid, and this process
//      is sent SIGCHLD.
// posixSpawn here: the program is loaded (SharedRunOptions.loadProgram), its descriptors are a copy of this
// process's changed by the actions, and it runs as what it was built for: a shared module on as many
// processors as this run (new Workers), an N:1 one on this thread, beside the I/O owner.
// exec here: the program is loaded, then this run's processors and ticker are stopped at once (every thread
// of the old image is gone), and the program runs in the process's place — its id, parent, children,
// descriptors and output; a shared module on as many processors, an N:1 one on this thread. The run's
// result is the new image's. What differs from N:1: a forked child is a set of Workers, not an instance
// on this thread.

import { ProcessIds, Children, waitStatus, SIGCHLD, ENOSYS, ESRCH, EINVAL, ENOEXEC, type Signalable } from "../kernel/processes.js";
import type { ProcessCall } from "../kernel/shared-io.js";
import type { RunResult } from "../kernel/runner.js";
import { signalNumber } from "../kernel/signals.js";

export interface SharedProcessOptions {
  /** This process's id, its parent's (0 for the first), and its family's ids. */
  pid: number;
  ppid: number;
  ids: ProcessIds;
  /** args() (RunOptions.args). */
  args?: string[];
  /** The run's memory, where requests and their buffers are. */
  memory: WebAssembly.Memory;
  /** Answers a pending request (the owner's completion protocol). */
  answer: (addr: number, result: number) => void;
  /** Says a line on this process's stderr (a child's failed run). */
  say: (line: string) => void;
  /** exec: the process's children (an image takes them over from the process it replaces). */
  children?: Children;
  /** exec: puts program `path` in this run's place (host/mn/run.ts): null once it does (the request is
   *  never answered: its thread is gone), or an errno. */
  exec?: (path: string, args: string[]) => Promise<number | null>;
  /** posixSpawn: starts program `path` as process `pid` (host/mn/run.ts): its end once it runs, or an errno. */
  spawn?: (path: string, args: string[], actions: number[], pid: number) => Promise<{ done: Promise<RunResult> } | number>;
}

export class SharedProcess implements Signalable {
  readonly children: Children;
  private raise: ((sig: number) => void) | null = null;
  private early: number[] = [];               // signals sent before processor 0 was ready
  private ended = false;

  constructor(private readonly options: SharedProcessOptions) {
    const answer = (addr: number, result: number) => options.answer(addr, result);
    if (options.children) options.children.rebind(() => options.memory, answer);
    this.children = options.children ?? new Children(() => options.memory, answer);
    options.ids.running.set(options.pid, this);
  }

  get pid(): number { return this.options.pid; }
  get ppid(): number { return this.options.ppid; }
  get ids(): ProcessIds { return this.options.ids; }

  /** Processor 0 is ready: signals reach the core through `raise` (host/kernel/signals.ts, raiseShared). */
  ready(raise: (sig: number) => void): void {
    this.raise = raise;
    for (const sig of this.early.splice(0)) raise(sig);
  }

  /** kill from another process of the family (or SIGCHLD from a child's end). */
  signal(sig: number): void {
    if (this.ended) return;
    if (this.raise) this.raise(sig);
    else this.early.push(sig);
  }

  /** The run ended: kill cannot reach it any more. */
  end(): void {
    this.ended = true;
    this.options.ids.running.delete(this.options.pid);
  }

  /** waitpid, kill, args, spawn, exec (the owner's PROCESS_OPS): the answer, or null: it waits. */
  call(req: ProcessCall): number | null {
    if (req.op === "waitpid") return this.children.wait(req.addr);
    if (req.op === "kill") {
      const target = this.options.ids.running.get(req.fd);
      if (!target) return -ESRCH;
      if (req.flags !== 0) target.signal(req.flags);
      return 0;
    }
    if (req.op === "args") return this.argsCall(req);
    if (req.op === "spawn") return this.spawnCall(req);
    if (req.op === "exec") return this.execCall(req);
    return -ENOSYS;
  }

  /** exec: as spawn's text; pending while the program loads, and never answered once it runs. */
  private execCall(req: ProcessCall): number | null {
    const exec = this.options.exec;
    if (!exec) return -ENOSYS;
    const [path, ...args] = this.commandOf(req);
    if (!path) return -EINVAL;
    exec(path, args).then((failed) => { if (failed !== null) this.options.answer(req.addr, failed); },
      () => this.options.answer(req.addr, -ENOEXEC));
    return null;
  }

  /** The path and arguments of a spawn or exec request: UTF-16 text at ptr, each ended by a 0. */
  private commandOf(req: ProcessCall): string[] {
    const units = new Uint16Array(this.options.memory.buffer.slice(req.ptr, req.ptr + 2 * req.len));
    let text = "";
    for (let i = 0; i < units.length; i += 4096) text += String.fromCharCode(...units.subarray(i, i + 4096));
    return text.split("\0").slice(0, -1);
  }

  /** posixSpawn: the request's text is the path and the arguments, each ended by a 0; its actions are
   *  i32 triples at ptr2 (1 close fd, 2 dup2 fd to). Pending while the program loads. */
  private spawnCall(req: ProcessCall): number | null {
    const spawn = this.options.spawn;
    if (!spawn) return -ENOSYS;
    const [path, ...args] = this.commandOf(req);
    const actions = [...new Int32Array(this.options.memory.buffer.slice(req.ptr2, req.ptr2 + req.len2))];
    if (!path || actions.length % 3) return -EINVAL;
    const pid = this.options.ids.take();
    spawn(path, args, actions, pid).then((started) => {
      if (typeof started === "number") { this.options.answer(req.addr, started); return; }
      this.children.add(pid);
      this.options.answer(req.addr, pid);
      started.done.then((r) => this.childEnded(pid, r), (e) => {
        this.options.say(`weft: process ${pid}: ${(e as Error)?.message ?? e}`);
        this.childEnded(pid, null);
      });
    }, () => this.options.answer(req.addr, -ENOEXEC));
    return null;
  }

  /** A waitpid interrupted by a signal (IO_OP_CANCEL): -EINTR if it still waits. */
  cancel(addr: number): boolean { return this.children.cancel(addr); }

  /** fork, steps 1-4: `start` runs the child (a new shared run over the copy) with its id. */
  fork(start: (pid: number) => Promise<RunResult>): number {
    const pid = this.options.ids.take();
    this.children.add(pid);
    start(pid).then((r) => this.childEnded(pid, r), (e) => {
      this.options.say(`weft: process ${pid}: ${(e as Error)?.message ?? e}`);
      this.childEnded(pid, null);
    });
    return pid;
  }

  private childEnded(pid: number, result: RunResult | null): void {
    const status = result ? waitStatus(result.status, result.exitCode, result.signal ? signalNumber(result.signal) : 0) : 1 << 8;
    if (result && (result.status === "deadlock" || result.status === "error")) {
      this.options.say(`weft: process ${pid}: ${result.error ?? "its run failed"}`);
    }
    this.children.ended(pid, status);
    this.options.ids.running.get(this.options.pid)?.signal(SIGCHLD);   // this process, or the image exec put in its place
  }

  /** args: each argument as UTF-8 ended by a 0 byte, written at ptr if all fit in len; the bytes they need. */
  private argsCall(req: ProcessCall): number {
    const bytes = new TextEncoder().encode((this.options.args ?? []).map((a) => a + "\0").join(""));
    if (req.ptr && bytes.length <= req.len) new Uint8Array(this.options.memory.buffer, req.ptr, bytes.length).set(bytes);
    return bytes.length;
  }
}
