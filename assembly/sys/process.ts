// Processes: fork, waitpid, atfork, getpid / getppid (system calls: the host makes the copy). A weft process is one instance of the module: its
// memory, its threads, its descriptors. core/fork.ts says what a child is made of.
//
//   let pid = fork();
//   if (pid == 0) { /* the child: this thread only */ exit(3); }
//   let status = new StaticArray<i32>(1);
//   waitpid(pid, status);                     // WIFEXITED(status[0]), WEXITSTATUS(status[0]) == 3
//
// Descriptors: the child gets a table of its own whose entries name the parent's open files, as POSIX
// says (host/kernel/process-io.ts): what one process closes stays open in the other. Its output goes where
// the parent's goes.

import { ioRequest, ioCall, IO_MODE_DEFAULT } from "./io";
import { processSelf, processParent } from "../core/fork";
import { SHARED_MEMORY } from "../core/atomics";
import { ENOSYS, EINVAL } from "../core/errno";
import { signalSend, signalCheckpoint, validSignal } from "../core/signal";
import { schedLockTake, schedLockDrop } from "../core/processor";
import { currentThread, hostTurnSoon } from "../core/scheduler";

// @ts-ignore: decorator
@inline const IO_OP_FORK: u32 = 17;
// @ts-ignore: decorator
@inline const IO_OP_WAITPID: u32 = 18;
// @ts-ignore: decorator
@inline const IO_OP_PIPE: u32 = 19;
// @ts-ignore: decorator
@inline const IO_OP_KILL: u32 = 20;
// @ts-ignore: decorator
@inline const IO_OP_ARGS: u32 = 21;
// @ts-ignore: decorator
@inline const IO_OP_SPAWN: u32 = 22;
// @ts-ignore: decorator
@inline const IO_OP_EXEC: u32 = 23;

/** waitpid's options: return 0 at once when no child has ended. */
// @ts-ignore: decorator
@inline export const WNOHANG: i32 = 1;

// Wait statuses, Linux's encoding: exited with code c: c << 8; killed by signal s: s.
export function WIFEXITED(status: i32): bool { return (status & 0x7f) == 0; }
export function WEXITSTATUS(status: i32): i32 { return (status >> 8) & 0xff; }
export function WIFSIGNALED(status: i32): bool { return (status & 0x7f) != 0 && (status & 0x7f) != 0x7f; }
export function WTERMSIG(status: i32): i32 { return status & 0x7f; }

/** This process's id (1 for the first), and its parent's (0 for the first). */
export function getpid(): i32 { return processSelf(); }
export function getppid(): i32 { return processParent(); }

// ── atfork ──

const prepares: Array<() => void> = [];
const parents: Array<() => void> = [];
const children: Array<() => void> = [];

/** Registers fork handlers, as pthread_atfork: `prepare` runs before fork copies the process (the last
 *  registered first), `parent` and `child` after it, in the parent and in the child (in the order they
 *  were registered). The usual use: prepare locks the program's mutexes, parent and child unlock them, so
 *  that none is copied held by a thread the child does not have. Pass null for a handler not wanted. */
export function atfork(prepare: (() => void) | null, parent: (() => void) | null, child: (() => void) | null): i32 {
  if (prepare) prepares.push(prepare);
  if (parent) parents.push(parent);
  if (child) children.push(child);
  return 0;
}

// ── fork ──

/** Copies the calling process: in the child, this thread alone returns 0; the parent gets the child's
 *  id. Every other thread's record is copied but the thread is absent in the child (joining it says it
 *  was not copied); mutexes are copied as they are — a mutex another thread holds stays held by a thread
 *  the child does not have (atfork, or a robust Mutex, are the cures). On processors the child runs on as
 *  many processors as the parent (1:1: one, and one per thread it spawns). -ENOSYS in a host that cannot
 *  copy a module; -ENOMEM, -EAGAIN. */
export function fork(): i32 {
  for (let i = prepares.length - 1; i >= 0; i--) prepares[i]();
  let r = ioRequest(IO_OP_FORK, IO_MODE_DEFAULT, -1);
  if (SHARED_MEMORY) hostTurnSoon();           // the host makes the copy once this thread has parked (core/fork.ts)
  let pid = r === null ? -12 : ioCall(r);
  if (pid == 0) {
    for (let i = 0; i < children.length; i++) children[i]();
  } else {
    for (let i = 0; i < parents.length; i++) parents[i]();
  }
  return pid;
}

/** Waits for child `pid` (-1: any child) to end, and stores its wait status in status[0] (WIFEXITED ...).
 *  Returns its id; 0 with WNOHANG when none has ended yet; -ECHILD when there is no such child (or it was
 *  waited for already); -EINVAL for bad options. */
export function waitpid(pid: i32, status: StaticArray<i32> | null = null, options: i32 = 0): i32 {
  if ((options & ~WNOHANG) != 0 || (status !== null && status.length < 1)) return -EINVAL;
  let r = ioRequest(IO_OP_WAITPID, IO_MODE_DEFAULT, pid);
  if (r === null) return -12;
  r.flags = <u32>options;
  if (status !== null) { r.ptr = changetype<usize>(status); r.len = 4; }
  return ioCall(r);
}

/** Makes a pipe: fds[0] its read end, fds[1] its write end (read, write and close as any descriptor). A
 *  read waits, parking only its thread, until bytes come or every write end is closed (then 0); a write
 *  with no read end left says -EPIPE. Across fork both processes hold both ends: each closes the one it
 *  does not use. 0, or -EINVAL (fds shorter than 2), -ENOTSUP in a host without pipes. */
export function pipe(fds: StaticArray<i32>): i32 {
  if (fds.length < 2) return -EINVAL;
  let r = ioRequest(IO_OP_PIPE, IO_MODE_DEFAULT, -1);
  if (r === null) return -12;
  r.ptr = changetype<usize>(fds);
  r.len = 8;
  return ioCall(r);
}

/** Sends `sig` to a process: 0, -1 or getpid() is this one, which gives it to one thread that does not
 *  block it, chosen as Linux does (core/signal.ts); another id names another process of this family (a
 *  child, the parent), which its host raises it in. Signal 0 only checks that the process exists. 0,
 *  -ESRCH (no such process, or it ended), -EINVAL. */
export function kill(pid: i32, sig: i32): i32 {
  if (sig != 0 && !validSignal(sig)) return -EINVAL;
  if (pid == 0 || pid == -1 || pid == processSelf() || pid == -processSelf()) {
    if (sig == 0) return 0;
    schedLockTake();
    let result = signalSend(null, sig);
    schedLockDrop();
    if (currentThread != 0) signalCheckpoint();
    return result;
  }
  let r = ioRequest(IO_OP_KILL, IO_MODE_DEFAULT, pid < 0 ? -pid : pid);
  if (r === null) return -12;
  r.flags = <u32>sig;
  return ioCall(r);
}

// ── Arguments, spawn, exec ──

/** The program's arguments: args()[0] is its path, as argv[0] (`weft run app.ts -- a b` gives
 *  ["app.ts", "a", "b"]); empty when the host gave none. */
export function args(): string[] {
  let r = ioRequest(IO_OP_ARGS, IO_MODE_DEFAULT, -1);
  if (r === null) return [];
  let need = ioCall(r);
  if (need <= 0) return [];
  let buffer = new Uint8Array(need);
  r = ioRequest(IO_OP_ARGS, IO_MODE_DEFAULT, -1);
  if (r === null) return [];
  r.ptr = buffer.dataStart;
  r.len = need;
  if (ioCall(r) != need) return [];
  let all = String.UTF8.decode(buffer.buffer);
  let list = all.split("\0");
  list.pop();                                  // after the last 0
  return list;
}

/** What posixSpawn does to the child's descriptors before it starts, in order: close one, or make one
 *  name what another names (dup2: the classic way to give a child a pipe as its stdout or stdin). */
export class SpawnActions {
  triples: i32[] = [];
  close(fd: i32): SpawnActions { this.triples.push(1); this.triples.push(fd); this.triples.push(0); return this; }
  dup2(fd: i32, to: i32): SpawnActions { this.triples.push(2); this.triples.push(fd); this.triples.push(to); return this; }
}

/** The path and arguments as one text, each ended by a 0 (what the host splits). */
function commandText(path: string, argv: string[] | null): string {
  let text = path + "\0";
  if (argv !== null) for (let i = 0; i < argv.length; i++) text += argv[i] + "\0";
  return text;
}

/** Starts program `path` (a .wasm, or a .ts the host builds) as a new process, a child of this one, with
 *  `argv` after its path as its arguments and a copy of this process's descriptors changed by `actions`.
 *  Nothing of this process is copied: the safe alternative to fork. Returns the child's id (waitpid it),
 *  or -ENOENT (no such program), -ENOEXEC (not a weft program), -EBADF (an action's descriptor), -ENOSYS. */
export function posixSpawn(path: string, argv: string[] | null = null, actions: SpawnActions | null = null): i32 {
  let text = commandText(path, argv);
  let triples = actions !== null ? actions.triples : new Array<i32>(0);
  let r = ioRequest(IO_OP_SPAWN, IO_MODE_DEFAULT, -1);
  if (r === null) return -12;
  r.ptr = changetype<usize>(text);
  r.len = <u32>text.length;
  r.ptr2 = triples.dataStart;
  r.len2 = <u32>triples.length << 2;
  return ioCall(r);
}

/** Replaces this process's program with `path` (its id, parent, children and descriptors stay; every
 *  thread of this one is gone). Returns only if it failed: -ENOENT, -ENOEXEC, -ENOSYS. */
export function exec(path: string, argv: string[] | null = null): i32 {
  let text = commandText(path, argv);
  let r = ioRequest(IO_OP_EXEC, IO_MODE_DEFAULT, -1);
  if (r === null) return -12;
  r.ptr = changetype<usize>(text);
  r.len = <u32>text.length;
  return ioCall(r);
}
