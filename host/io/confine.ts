// Path calls made through a directory descriptor whose place is verified, so that a directory swapped
// for a symlink after grants.ts's check cannot lead the call out of the grant (Linux).
//
// Design note
// -----------
// Problem. grants.ts checks a path (its real path lies inside a granted directory) and the call then
// names that path again. In between, another process can swap a directory on the way for a symlink that
// leads out, and the call follows it. The kernel could refuse such a walk itself (openat2 with
// RESOLVE_BENEATH), but Node offers neither openat2 nor any *at call: every call takes a path.
//
// Rejected:
//   - Check again after the call (realpath once more): the same race, one step later.
//   - Open, then check where the descriptor points, and nothing more: that catches a read, but an open
//     that creates or truncates has done its harm outside before the check, and stat, readdir, unlink
//     and mkdir leave no descriptor of their target to check.
//   - Walk the path one component at a time with O_NOFOLLOW: without openat each step names the whole
//     path again.
//
// Chosen. Linux resolves /proc/self/fd/<n> to the object descriptor n holds, not to any name, so
// "/proc/self/fd/<n>/<name>" is <name> looked up in that very directory: openat, written as a path.
// Every call that names a path (open, stat, readdir, unlink, mkdir; files.ts) goes:
//   1. Check (grants.ts, on the processor's thread): the real path, and the real paths of the granted
//      directories as they are now.
//   2. Anchor: open the real path's directory with O_PATH | O_DIRECTORY (O_PATH needs no read permission,
//      just as the walk it replaces). If that directory lies outside every grant, the path is a granted
//      directory itself: open the path itself instead ("the anchor is the target").
//   3. Verify: readlink /proc/self/fd/<anchor> is where the kernel says the directory is now. Unless it
//      lies inside a granted directory (byte for byte), close it and answer EACCES. A swap before this
//      step leads the anchor outside and is refused here; a swap after it no longer matters, since the
//      call names the directory by its descriptor.
//   4. Act on "/proc/self/fd/<anchor>/<name>" without following a symlink at <name> (below). A real path
//      has none there; if one is there now, the file system changed since step 1 and the answer says so
//      (PATH_CHANGED): files.ts starts the call over at step 1, a few times at most (CHECKS_MAX there).
//   5. Close the anchor, whatever happened.
// Step 4 per call:
//   open     with O_NOFOLLOW (ELOOP: a symlink). The new descriptor is verified as in step 3 too before
//            the program gets it: step 3 already confines it, but this is the one call that hands out a
//            descriptor, and the second check costs one readlink.
//   stat     lstat (a symlink: changed).
//   readdir  open <name> with O_DIRECTORY | O_NOFOLLOW, then list /proc/self/fd/<that>. O_DIRECTORY
//            wins over O_NOFOLLOW (ENOTDIR for a symlink), so an ENOTDIR asks lstat what is there now:
//            ENOTDIR stands if it is neither a directory nor a symlink; otherwise (or if it is gone) it
//            changed since the open.
//   unlink, mkdir  never follow <name>: as they are.
// When the anchor is the target, open, stat and readdir go through /proc/self/fd/<anchor>, which the
// kernel follows to the verified object. unlink and mkdir are made on the checked path as before: they
// name the grant's own entry, in a directory outside every grant, so there is nothing verified to act
// through, and all they can do is fail (EISDIR, EEXIST) or remove or make the granted directory itself.
//
// What stays open:
//   - An object renamed out of the grant after step 3 (the anchor directory, or the file) is used where
//     it is then. That is a move, not a walk through a symlink: whoever can move it out could as well
//     have moved it after the call.
//   - Hard links: a file hard-linked into a granted directory is inside by every test, as before.
//   - A deleted object's link reads "<path it had> (deleted)" and is judged by that path; nothing can be
//     found or made in a deleted directory.
//   - Without /proc/self/fd (every system but Linux, or Linux without /proc mounted), steps 2 to 5 are
//     skipped and the call names the checked path, as before: there the race stays open.
//
// Cost: an anchored call makes three system calls more than the bare one (open, readlink and close of the
// anchor), open one more (the second readlink), readdir two more (open and close of the directory); in
// async mode each is one more trip through libuv's thread pool.
//
// Steps 2 to 5 are written once, as scripts: generators that yield each system call they make (Call).
// runSync runs a script with Node's synchronous calls (blocking mode here, offload mode on a helper
// Worker, which has the same /proc/self/fd), runAsync with its callbacks (async mode).

import fs from "node:fs";
import path from "node:path";
import type { CheckedPath } from "./grants.js";

/** Linux's O_PATH (fs.constants has none): the value on every architecture Node is built for (alpha,
 *  parisc and sparc have their own). */
const O_PATH = 0o10000000;

const { O_RDONLY, O_DIRECTORY = 0, O_NOFOLLOW = 0 } = fs.constants;

/** Whether calls go through verified descriptors (design note); false: they name the checked path. */
export const CONFINED = process.platform === "linux" && fs.existsSync("/proc/self/fd");

/** The `code` of the error a script throws when the file system changed between the check and the call
 *  (design note, step 4). Not an errno: files.ts checks again rather than answering it. */
export const PATH_CHANGED = "PATH_CHANGED";

const SLASH = 0x2f;

// ─── System calls, and the two ways to run a script of them ───────────────────────────────────────────

/** One system call a script asks for: its name and arguments. */
type Call =
  | ["open", string, number] | ["close", number] | ["readlink", string] | ["lstat", string] | ["stat", string]
  | ["readdir", string] | ["unlink", string] | ["mkdir", string];

/** A script: yields the calls it makes, is sent each one's result (or has its error thrown in). */
export type Script<T> = Generator<Call, T, any>;

type Callback = (e: unknown, value?: unknown) => void;

const SYNC_CALLS: { [K in Call[0]]: (...args: any[]) => unknown } = {
  open: (p: string, flags: number) => fs.openSync(p, flags, 0o666),
  close: (fd: number) => fs.closeSync(fd),
  readlink: (p: string) => fs.readlinkSync(p, { encoding: "buffer" }),
  lstat: (p: string) => fs.lstatSync(p),
  stat: (p: string) => fs.statSync(p),
  readdir: (p: string) => fs.readdirSync(p, { encoding: "buffer" }),
  unlink: (p: string) => fs.unlinkSync(p),
  mkdir: (p: string) => fs.mkdirSync(p, 0o777),
};

const ASYNC_CALLS: { [K in Call[0]]: (...args: any[]) => void } = {
  open: (p: string, flags: number, cb: Callback) => fs.open(p, flags, 0o666, cb),
  close: (fd: number, cb: Callback) => fs.close(fd, cb),
  readlink: (p: string, cb: Callback) => fs.readlink(p, { encoding: "buffer" }, cb),
  lstat: (p: string, cb: Callback) => fs.lstat(p, cb),
  stat: (p: string, cb: Callback) => fs.stat(p, cb),
  readdir: (p: string, cb: Callback) => fs.readdir(p, { encoding: "buffer" }, cb),
  unlink: (p: string, cb: Callback) => fs.unlink(p, cb),
  mkdir: (p: string, cb: Callback) => fs.mkdir(p, 0o777, cb),
};

/** Runs `script` with Node's synchronous calls; returns what it returns, throws what it throws. */
export function runSync<T>(script: Script<T>): T {
  let step = script.next();
  while (!step.done) {
    const [name, ...args] = step.value;
    let value: unknown;
    try { value = SYNC_CALLS[name](...args); }
    catch (e) { step = script.throw(e); continue; }
    step = script.next(value);
  }
  return step.value;
}

/** Runs `script` with Node's callbacks; `done` gets what it throws, or null and what it returns. */
export function runAsync<T>(script: Script<T>, done: (e: unknown, value?: T) => void): void {
  const resume: Callback = (error, value) => {
    let step: IteratorResult<Call, T>;
    try { step = error ? script.throw(error) : script.next(value); }
    catch (e) { done(e); return; }
    if (step.done) { done(null, step.value); return; }
    const [name, ...args] = step.value;
    ASYNC_CALLS[name](...args, resume);
  };
  resume(null);
}

// ─── Steps 2, 3 and 5 ─────────────────────────────────────────────────────────────────────────────────

const errorOf = (code: string, message: string) => Object.assign(new Error(message), { code });
const codeOf = (e: unknown) => (e as { code?: string })?.code;

/** Whether `where` (a path as bytes) is one of `grantedReal` or lies under it. */
function grantedAt(grantedReal: string[], where: Buffer): boolean {
  return grantedReal.some((d) => {
    const dir = Buffer.from(d);
    if (where.length < dir.length || !where.subarray(0, dir.length).equals(dir)) return false;
    return where.length === dir.length || dir[dir.length - 1] === SLASH || where[dir.length] === SLASH;
  });
}

/** Where the call's anchor is (step 2): the target's directory and its name there, or the target itself
 *  (name null) when that directory lies outside every grant. */
function anchorOf(target: CheckedPath): { dir: string; name: string | null } {
  const dir = path.dirname(target.path);
  if (dir === target.path || !grantedAt(target.grantedReal, Buffer.from(dir))) return { dir: target.path, name: null };
  return { dir, name: path.basename(target.path) };
}

/** Step 3: `fd` if /proc/self/fd says it lies inside one of `grantedReal`; otherwise closes it and
 *  throws EACCES. */
export function* verified(fd: number, grantedReal: string[]): Script<number> {
  let inside = false;
  try { inside = grantedAt(grantedReal, yield ["readlink", `/proc/self/fd/${fd}`]); }
  finally { if (!inside) yield ["close", fd]; }
  if (!inside) throw errorOf("EACCES", `confine: descriptor ${fd} lies outside every granted directory`);
  return fd;
}

/** Steps 2, 3 and 5 around `act` (step 4), which gets the path to act on and whether the anchor is the
 *  target. */
function* anchored<T>(target: CheckedPath, act: (at: string, itself: boolean) => Script<T>): Script<T> {
  const { dir, name } = anchorOf(target);
  const fd: number = yield ["open", dir, name === null ? O_PATH : O_PATH | O_DIRECTORY];
  yield* verified(fd, target.grantedReal);
  try { return yield* act(name === null ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`, name === null); }
  finally { yield ["close", fd]; }
}

const changed = (at: string) => errorOf(PATH_CHANGED, `confine: ${at} became a symlink after the check`);

// ─── The calls (step 4) ───────────────────────────────────────────────────────────────────────────────

/** open(2) of a checked path with OS `flags`: the new descriptor. */
export function* openChecked(target: CheckedPath, flags: number): Script<number> {
  if (!CONFINED) return yield ["open", target.path, flags];
  return yield* anchored(target, function* (at, itself) {
    let fd: number;
    try { fd = yield ["open", at, itself ? flags : flags | O_NOFOLLOW]; }
    catch (e) { throw codeOf(e) === "ELOOP" && !itself ? changed(at) : e; }
    return yield* verified(fd, target.grantedReal);
  });
}

/** stat(2) of a checked path (a real path: its last component is no symlink). */
export function* statChecked(target: CheckedPath): Script<fs.Stats> {
  if (!CONFINED) return yield ["stat", target.path];
  return yield* anchored(target, function* (at, itself) {
    if (itself) return yield ["stat", at];
    const s: fs.Stats = yield ["lstat", at];
    if (s.isSymbolicLink()) throw changed(at);
    return s;
  });
}

/** The names in a checked directory, as bytes, unsorted. */
export function* readdirChecked(target: CheckedPath): Script<Buffer[]> {
  if (!CONFINED) return yield ["readdir", target.path];
  return yield* anchored(target, function* (at, itself) {
    if (itself) return yield ["readdir", at];
    let dir: number;
    try { dir = yield ["open", at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW]; }
    catch (e) {
      if (codeOf(e) !== "ENOTDIR") throw e;
      let s: fs.Stats | null = null;
      try { s = yield ["lstat", at]; } catch { /* gone since: it changed */ }
      throw s && !s.isSymbolicLink() && !s.isDirectory() ? e : changed(at);
    }
    try { return yield ["readdir", `/proc/self/fd/${dir}`]; }
    finally { yield ["close", dir]; }
  });
}

/** unlink(2) of a checked path (its last component not followed). */
export function* unlinkChecked(target: CheckedPath): Script<void> {
  if (!CONFINED || anchorOf(target).name === null) return yield ["unlink", target.path];
  return yield* anchored(target, function* (at) { yield ["unlink", at]; });
}

/** mkdir(2) of a checked path (its last component not followed). */
export function* mkdirChecked(target: CheckedPath): Script<void> {
  if (!CONFINED || anchorOf(target).name === null) return yield ["mkdir", target.path];
  return yield* anchored(target, function* (at) { yield ["mkdir", at]; });
}
