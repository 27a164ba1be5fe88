// A program as a process of its family: its id, its parent's, its children, where its output goes, and the
// process calls its threads make — fork, waitpid, kill, args, posixSpawn and exec. host/kernel/processes.ts
// has the protocols (fork's steps, spawn and exec) and the parts that need no program; this file is a
// program's side of them. host/kernel/runner.ts's WeftProgram holds one Process and gives it a
// ProcessProgram: what a process may ask of its program, and of a relative's (a child, an exec's image).
// Web-standard APIs only.

import { REQUEST, OP, ERRNO, errnoOf } from "../io/abi.js";
import type { IoHost } from "../io/host.js";
import { SHARED_MEMORY_MAXIMUM, THREAD } from "../abi.js";
import { ProcessIds, Children, waitStatus, applyActions, copyMemory, ENOSYS, ENOEXEC, SIGCHLD } from "./processes.js";
import { ProcessIo } from "./process-io.js";
import { signalNumber } from "./signals.js";
import { readU32, readI32, readUtf16 } from "./tables.js";
import { WeftError } from "./weft-error.js";
import type { RunOptions, RunResult } from "./options.js";

/** The core's exports a process uses (assembly/core/fork.ts, assembly/core/signal.ts). */
export interface ProcessCore {
  memory: WebAssembly.Memory;
  /** Present in builds that can fork (N:1: host/compiler/passes/fork.ts). */
  weft_globals_save?: (ptr: number) => void;
  weft_globals_load?: (ptr: number) => void;
  weft_globals_size?: () => number;
  weft_new_string(units: number): number;
  weft_fork_child(request: number, pid: number, ppid: number): number;
  weft_fork_stop(): void;
  weft_fork_go(): void;
  weft_heap_top(): number;
  weft_signal_source(on: number): void;
  weft_signal(sig: number): void;
}

/** What a relative is made from: a fork's copy of this program, or a program posixSpawn or exec loads. */
export type Relative = { fork: true } | { source: BufferSource | WebAssembly.Module; args: string[]; exec: boolean };

/** What a process asks of its program (host/kernel/runner.ts makes it). */
export interface ProcessProgram {
  readonly options: RunOptions<unknown>;
  core(): ProcessCore;
  io(): IoHost;
  setIo(io: IoHost): void;
  /** Answers a pending request (writes the result, queues the completion, wakes the loop). */
  complete(addr: number, result: number): void;
  emit(fd: number, text: string): void;
  /** Wakes the loop if it sleeps (RUN_WAIT). */
  wake(): void;
  signal(sig: number): void;
  run(): Promise<RunResult>;
  /** The core's completion ring (processors: this processor's). */
  ring(): number;
  /** Loads a relative of this program, with this program as its parent (fork, posixSpawn) or as the
   *  process it replaces (exec); not yet started. */
  load(relative: Relative): Promise<Process>;
  /** Whether this program's run has ended. */
  ended(): boolean;
}

/** One program as a process of its family. The family's first program is process 1. */
export class Process {
  pid = 1;
  ppid = 0;
  ids = new ProcessIds();
  children: Children;
  /** A fork's child while its start function runs: what it prints is not the program's. */
  muted = false;
  /** A child's output goes where its parent's does. */
  outputTo: Process | null = null;
  /** The I/O host itself, once fork or spawn gave this process a table of its own over it. */
  hostIo: IoHost | null = null;
  /** A fork request waiting for the loop to return (fork protocol, step 1), or 0. */
  forkRequest = 0;
  /** In a fork's child: its main thread's id (the forking thread's copy). */
  forkedMain = 0;
  /** exec: the image that takes this process's place at the loop's next return. */
  replacement: Process | null = null;

  constructor(readonly program: ProcessProgram) {
    this.children = new Children(() => program.core().memory, (addr, result) => program.complete(addr, result));
  }

  /** fork, waitpid, kill, args, posixSpawn and exec: the answer, or null while it is pending. */
  call(addr: number, op: number): number | null {
    const core = this.program.core(), processor = this.program.options.processor;
    if (op === OP.waitpid) return this.children.wait(addr);
    if (op === OP.kill) return this.kill(readI32(core.memory, addr + REQUEST.fd), readU32(core.memory, addr + REQUEST.flags));
    if (op === OP.args) return this.args(addr);
    if (op === OP.spawn || op === OP.exec) return processor ? -ENOSYS : this.spawn(addr, op === OP.exec);
    if (processor ? !processor.onFork : !core.weft_globals_save) return -ENOSYS;
    if (this.forkRequest) return -ERRNO.EAGAIN;
    this.forkRequest = addr;
    return null;
  }

  /** Fork protocol, steps 2-4 (host/kernel/processes.ts): between two calls of the loop. */
  async fork(): Promise<void> {
    const addr = this.forkRequest;
    this.forkRequest = 0;
    if (this.program.options.processor) return this.forkShared(addr);
    const pid = this.ids.take();
    this.giveOwnTable();
    let child: Process;
    try { child = await this.program.load({ fork: true }); }
    catch (e) { this.program.complete(addr, -ERRNO.ENOMEM); return; }
    const ex = this.program.core(), cx = child.program.core();
    const ptr = ex.weft_new_string(Math.ceil(ex.weft_globals_size!() / 2));
    if (!ptr) { this.program.complete(addr, -ERRNO.ENOMEM); return; }
    ex.weft_globals_save!(ptr);
    const written = cx.memory.buffer.byteLength;   // what the child's start function may have written; past it, fresh
    const grow = (ex.memory.buffer.byteLength - written) / 65536;
    if (grow > 0) cx.memory.grow(grow);
    copyMemory(ex.memory.buffer, cx.memory.buffer, ex.memory.buffer.byteLength, written);
    cx.weft_globals_load!(ptr);
    if (cx.weft_fork_child(addr, pid, this.pid) !== 0) { this.program.complete(addr, -ERRNO.EINVAL); return; }
    child.pid = pid;
    child.ppid = this.pid;
    child.ids = this.ids;
    this.ids.running.set(this.pid, this.program);
    this.ids.running.set(pid, child.program);
    child.forkedMain = readI32(cx.memory, readU32(cx.memory, addr + REQUEST.thread) + THREAD.id);
    child.muted = false;
    // Each process of a family can signal the others (kill): a thread in sigwait waits on the outside.
    ex.weft_signal_source(1);
    cx.weft_signal_source(1);
    child.program.complete(addr, 0);
    this.children.add(pid);
    this.program.complete(addr, pid);
    this.start(child);
  }

  /** exec: `image` takes this process's place — its id, parent, children, descriptors and output — and
   *  this program's loop ends at its next return to the host (runner.ts, runThreads). */
  private execInto(image: Process): void {
    image.ppid = this.ppid;
    image.children = this.children;
    image.children.rebind(() => image.program.core().memory, (addr, result) => image.program.complete(addr, result));
    image.hostIo = this.hostIo;
    image.outputTo = this.outputTo;
    image.program.core().weft_signal_source(1);
    this.program.options.signals?.retarget((sig) => image.program.signal(sig));
    this.replacement = image;
    this.program.wake();
  }

  /** args: each argument as UTF-8 ended by a 0 byte, written at ptr if all fit in len; the bytes they need. */
  private args(addr: number): number {
    const memory = this.program.core().memory;
    const bytes = new TextEncoder().encode((this.program.options.args ?? []).map((a) => a + "\0").join(""));
    const ptr = readU32(memory, addr + REQUEST.ptr), len = readU32(memory, addr + REQUEST.len);
    if (ptr && bytes.length <= len) new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
    return bytes.length;
  }

  /** posixSpawn and exec (host/kernel/processes.ts, "Spawn and exec"): the request's text is the path and
   *  the arguments, each ended by a 0; spawn's actions are i32 triples at ptr2 (1 close fd, 2 dup2 fd to).
   *  Pending while the program loads. */
  private spawn(addr: number, exec: boolean): number | null {
    const memory = this.program.core().memory;
    const load = this.program.options.loadProgram ?? pageLoader();
    if (!load) return -ENOSYS;
    const [path, ...args] = readUtf16(memory, readU32(memory, addr + REQUEST.ptr), readU32(memory, addr + REQUEST.len)).split("\0").slice(0, -1);
    const actionsAt = readU32(memory, addr + REQUEST.ptr2);
    const actions = [...new Int32Array(memory.buffer.slice(actionsAt, actionsAt + readU32(memory, addr + REQUEST.len2)))];
    if (!path || actions.length % 3) return -ERRNO.EINVAL;
    this.giveOwnTable();
    const pid = exec ? this.pid : this.ids.take();
    const failed = (e: unknown) => this.program.complete(addr, e instanceof WeftError ? -ENOEXEC : errnoOf(e));
    load(path).then(async (source) => {
      const child = await this.program.load({ source, args: [path, ...args], exec });
      child.pid = pid;
      child.ids = this.ids;
      this.ids.running.set(pid, child.program);
      if (exec) return this.execInto(child);
      child.ppid = this.pid;
      const refused = applyActions(child.program.io() as ProcessIo, actions);
      if (refused) { this.ids.running.delete(pid); this.program.complete(addr, refused); return; }
      this.ids.running.set(this.pid, this.program);
      this.program.core().weft_signal_source(1);
      this.children.add(pid);
      this.program.complete(addr, pid);
      this.start(child);
    }).catch(failed);
    return null;
  }

  /** After the first fork or spawn, this process has a descriptor table of its own over the host's. */
  private giveOwnTable(): void {
    const io = this.program.io();
    if (io instanceof ProcessIo) return;
    this.hostIo = io;
    this.program.setIo(ProcessIo.first(io, io.openDescriptors?.() ?? [0, 1, 2]));
  }

  /** kill of another process of this family: its host raises the signal there. */
  private kill(pid: number, sig: number): number {
    const target = this.ids.running.get(pid);
    if (!target) return -ERRNO.ESRCH;
    if (sig !== 0) target.signal(sig);
    return 0;
  }

  /** fork on processors, steps 1-3 (assembly/core/fork.ts, "Shared builds"): the copy is made with the
   *  world stopped; the run's I/O owner starts the child and answers the request (it alone writes this
   *  processor's completion ring while the run goes on). */
  private forkShared(addr: number): void {
    const processor = this.program.options.processor!;
    const ex = this.program.core();
    let copy: WebAssembly.Memory | null = null;
    ex.weft_fork_stop();
    try {
      const used = Math.min(ex.weft_heap_top(), processor.memory.buffer.byteLength);
      copy = new WebAssembly.Memory({ initial: SHARED_MEMORY_MAXIMUM, maximum: SHARED_MEMORY_MAXIMUM, shared: true });
      copyMemory(processor.memory.buffer, copy.buffer, used);
    } catch { copy = null; }
    finally { ex.weft_fork_go(); }
    processor.onFork!(copy, addr, this.program.ring());
  }

  /** Runs a child beside this process; its end is this process's to hear. */
  private start(child: Process): void {
    void child.program.run().then((r) => this.childEnded(child.pid, r), () => this.childEnded(child.pid, null));
  }

  /** A child's run ended: its status waits for waitpid, and this process is sent SIGCHLD. */
  private childEnded(pid: number, result: RunResult | null): void {
    const status = result ? waitStatus(result.status, result.exitCode, result.signal ? signalNumber(result.signal) : 0) : 1 << 8;
    // A child's end that is not its own exit is said as `weft run` says it (its output is the parent's).
    if (!result || result.status === "deadlock" || result.status === "error") {
      this.program.emit(2, `weft: process ${pid}: ${result?.error ?? "its run failed"}\n`);
    }
    this.children.ended(pid, status);
    if (this.program.ended()) return;
    this.program.core().weft_signal(SIGCHLD);
    this.program.wake();
  }
}

/** A page's default loader for posixSpawn and exec: the path is fetched next to the page. None elsewhere. */
function pageLoader(): ((path: string) => Promise<Uint8Array>) | undefined {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  if (!base || typeof fetch !== "function") return undefined;
  return async (path) => {
    const response = await fetch(new URL(path, base));
    if (!response.ok) throw Object.assign(new Error(`${path}: HTTP ${response.status}`), { code: response.status === 404 ? "ENOENT" : "EIO" });
    return new Uint8Array(await response.arrayBuffer());
  };
}
