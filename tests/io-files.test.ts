// Files, directories, stdin and granted-only access for Node's I/O host (host/io/files.ts, grants.ts):
// every file operation in each of the three modes, every error path, every refusal, descriptors left
// open, stdin through a child process, and Grants on its own. Programs (tests/programs/io_*.ts) name
// paths relative to the working directory, so each run happens with a fresh scratch directory (layout
// in makeScratch) as the working directory.
import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import {
  existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, buildProgram, runNode, runProgram, valuesOf, type ProgramOptions } from "./harness";
import { Grants } from "../host/io/grants";
import type { RunResult } from "../host/kernel/runner";

// Negated errnos, as the calls return them (host/io/abi.ts, ERRNO).
const EPERM = -1, ENOENT = -2, EBADF = -9, EACCES = -13, EEXIST = -17, ENOTDIR = -20, EISDIR = -21, EINVAL = -22;
const MODES = ["async", "blocking", "offload"] as const;
const scratchDirs: string[] = [];

afterAll(() => { for (const d of scratchDirs) rmSync(d, { recursive: true, force: true }); });

/** A fresh scratch directory; returns the working directory for a run (`cwd`, one level down, so that
 *  "../escape.txt" stays inside the scratch directory too):
 *    cwd/granted/hello.txt                     "hello\n"
 *    cwd/granted/sub/
 *    cwd/granted/link-in -> hello.txt          cwd/granted/link-in-dir -> sub
 *    cwd/granted/dangling-in -> sub/created.txt
 *    cwd/granted/link-out -> ../outside        cwd/granted/spare-link-out -> ../outside
 *    cwd/granted/file-link-out -> ../outside/secret.txt
 *    cwd/granted/dangling-out -> ../outside/new.txt
 *    cwd/outside/secret.txt                    "secret\n" */
function makeScratch(): string {
  const top = realpathSync(mkdtempSync(path.join(tmpdir(), "weft-io-")));
  scratchDirs.push(top);
  const cwd = path.join(top, "cwd");
  mkdirSync(path.join(cwd, "granted", "sub"), { recursive: true });
  mkdirSync(path.join(cwd, "outside"));
  writeFileSync(path.join(cwd, "granted", "hello.txt"), "hello\n");
  writeFileSync(path.join(cwd, "outside", "secret.txt"), "secret\n");
  const links: [string, string][] = [
    ["link-in", "hello.txt"], ["link-in-dir", "sub"], ["dangling-in", "sub/created.txt"],
    ["link-out", "../outside"], ["spare-link-out", "../outside"], ["file-link-out", "../outside/secret.txt"],
    ["dangling-out", "../outside/new.txt"],
  ];
  for (const [name, target] of links) symlinkSync(target, path.join(cwd, "granted", name));
  return cwd;
}

/** Runs tests/programs/<name>.ts with `cwd` as the working directory. */
async function runIn(cwd: string, name: string, options: ProgramOptions = {}): Promise<RunResult> {
  const back = process.cwd();
  process.chdir(cwd);
  try { return await runProgram(`${name}.ts`, options); }
  finally { process.chdir(back); }
}

/** Runs a program that must exit 0 and returns its values. */
async function valuesIn(cwd: string, name: string, options: ProgramOptions = {}): Promise<Map<string, string>> {
  const result = await runIn(cwd, name, options);
  expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null, stderr: result.stderr })
    .toEqual({ status: "exited", exitCode: 0, error: null, stderr: "" });
  return valuesOf(result);
}

/** The values whose keys start with `prefix`, without it. */
function withPrefix(values: Map<string, string>, prefix: string): Record<string, string> {
  const mine = [...values].filter(([k]) => k.startsWith(prefix));
  return Object.fromEntries(mine.map(([k, v]) => [k.slice(prefix.length), v]));
}

/** A run's result once per scratch directory and options, however many cases read it. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => (p ??= make());
}

describe("file operations", () => {
  const cwd = makeScratch();
  const run = once(() => valuesIn(cwd, "io_files", { node: { dirs: ["granted"] } }));

  for (const mode of MODES) {
    it(`${mode}: open, write, pwrite, append, close, stat, read, pread, readdir, mkdir and unlink`, async () => {
      expect(withPrefix(await run(), `${mode}_`)).toEqual({
        mkdir: "0", open: "fd", write_string: "7", write: "5", pwrite: "1", close: "0", append: "5",
        stat: "0", stat_file: "1,17.0,recent",
        read_head: "Jello", pread: "world", read_rest: ", world✓é", read_eof: "0",
        // another thread grew memory while this read was pending (in blocking mode it never was)
        read_grown: "Jello, world✓é,grew", close_read: "0",
        readdir: "a.txt,b.txt,f.txt,sub", stat_dir: "0,2", readdir_many: "40,40,00,39",
        unlink: "0", stat_gone: String(ENOENT),
      });
      const dir = path.join(cwd, "granted", mode);
      expect(readdirSync(dir).sort()).toEqual(["a.txt", "b.txt", "many", "sub"]);
      expect(readdirSync(path.join(dir, "many"))).toHaveLength(40);
    });
  }
});

describe("errors", () => {
  const cwd = makeScratch();
  // The grant given as an absolute path this time.
  const run = once(() => valuesIn(cwd, "io_errors", { node: { dirs: [path.join(cwd, "granted")] } }));
  const unlinkDir = process.platform === "linux" ? EISDIR : EPERM;      // POSIX allows either

  for (const mode of MODES) {
    it(`${mode}: ENOENT, EEXIST, ENOTDIR, EISDIR, EBADF and EINVAL where POSIX has them`, async () => {
      const v = withPrefix(await run(), `${mode}_`);
      expect(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Number(x)]))).toEqual({
        open_missing: ENOENT, open_missing_dir: ENOENT, open_exclusive: EEXIST, open_not_dir: ENOTDIR,
        open_dir_write: EISDIR, open_bad_flags: EINVAL, open_truncate_read_only: EINVAL,
        open_dir: 0, read_dir: EISDIR, close_dir: 0,
        write_read_only: EBADF, read_bad_position: EINVAL, close: 0,
        read_closed: EBADF, write_closed: EBADF, close_closed: EBADF, read_never: EBADF, read_stdout: EBADF, write_stdin: EBADF,
        errno: -EBADF,
        stat_missing: ENOENT, stat_not_dir: ENOTDIR, readdir_file: ENOTDIR, readdir_missing: ENOENT,
        mkdir_exists: EEXIST, mkdir_no_parent: ENOENT, unlink_missing: ENOENT, unlink_dir: unlinkDir,
      });
    });
  }

  it("leaves the files it failed on as they were", async () => {
    await run();
    expect(readFileSync(path.join(cwd, "granted", "hello.txt"), "utf8")).toBe("hello\n");
    expect(readdirSync(path.join(cwd, "granted", "sub"))).toEqual([]);
    expect(existsSync(path.join(cwd, "granted", "nodir"))).toBe(false);
  });
});

describe("granted-only access", () => {
  /** Every refusal case of io_access.ts, and the ops each is tried with. */
  const ALL = ["open", "create", "stat", "readdir", "unlink", "mkdir"];
  const REFUSALS: Record<string, string[]> = {
    parent: ALL, dotdot: ALL, deep_dotdot: ALL, ungranted: ALL, cwd: ALL, absolute: ALL, link_dir: ALL,
    link_dir_new: ALL, link_dir_itself: ["open", "stat", "readdir"],
    link_file: ["open", "create", "stat", "readdir"], dangling: ["open", "create", "stat", "readdir"],
  };
  const refusals = (mode: string) => Object.fromEntries(Object.entries(REFUSALS).flatMap(([label, ops]) =>
    ops.map((op) => [`${mode}_${op}_${label}`, String(EACCES)])));
  const empty = (mode: string) => Object.fromEntries(ALL.map((op) => [`${mode}_${op}_empty`, String(ENOENT)]));

  const cwd = makeScratch();
  const granted = once(() => valuesIn(cwd, "io_access", { node: { dirs: ["granted"] } }));
  const bare = makeScratch();
  const nothing = once(() => valuesIn(bare, "io_access", { node: {} }));

  for (const mode of MODES) {
    it(`${mode}: refuses .., absolute paths and symlinks that lead out, for open, stat, readdir, unlink, mkdir`, async () => {
      const v = await granted();
      const mine = Object.fromEntries([...v].filter(([k]) => k.startsWith(`${mode}_`)));
      expect(mine).toEqual({ ...refusals(mode), ...empty(mode) });
    });
  }

  it("allows paths inside the granted directory, symlinks that stay inside, and says ENOENT for missing ones", async () => {
    const v = await granted();
    expect(withPrefix(v, "allowed_")).toEqual({
      open: "fd", link_in: "6", dotdot_inside: "0", readdir_root: "0", mkdir: "0", mkdir_via_link_in: "0",
      create_dangling_in: "fd", unlink_link_out: "0", mkdir_link_out: String(EEXIST),
    });
    const missing = String(ENOENT);
    expect(withPrefix(v, "missing_")).toEqual({ open: missing, stat: missing, readdir: missing, unlink: missing });
  });

  it("touches nothing outside, and the allowed calls did what they say", async () => {
    await granted();
    const outside = path.join(cwd, "outside");
    expect(readdirSync(outside)).toEqual(["secret.txt"]);
    expect(readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("secret\n");
    expect(readdirSync(path.dirname(cwd))).toEqual(["cwd"]);                 // no ../escape.txt
    expect(existsSync(path.join(cwd, "granted", "spare-link-out"))).toBe(false);
    expect(existsSync(path.join(cwd, "granted", "link-out"))).toBe(true);
    expect(existsSync(path.join(cwd, "granted", "sub", "created.txt"))).toBe(true);
    expect(existsSync(path.join(cwd, "granted", "sub", "made"))).toBe(true);
  });

  it("with nothing granted, refuses every path", async () => {
    const v = await nothing();
    for (const [key, value] of v) {
      expect({ key, value }).toEqual({ key, value: String(key.endsWith("_empty") ? ENOENT : EACCES) });
    }
    expect(v.size).toBe(3 * (Object.values(REFUSALS).flat().length + ALL.length) + 9 + 4);
    expect(readdirSync(path.join(bare, "granted")).sort()).toEqual([            // nothing made, nothing removed
      "dangling-in", "dangling-out", "file-link-out", "hello.txt", "link-in", "link-in-dir", "link-out",
      "spare-link-out", "sub",
    ]);
  });
});

/** Runs a built program in a child process with runFile (host/node.js): the run's mode, the granted
 *  directories, stdin piped, and `cwd` as its working directory. The program runs on the child's main
 *  thread, as under the CLI. After the run the child prints `host_fds_left=<n>`: its descriptors still
 *  open on files under `cwd` (/proc/self/fd; -1 where there is none). The script is a file, not
 *  `node -e`: offload's helper Workers inherit the process's execArgv and would run an -e script. */
const CHILD = `
  import { runFile } from ${JSON.stringify(pathToFileURL(path.join(ROOT, "dist", "host", "node.js")).href)};
  import { existsSync, readdirSync, readlinkSync } from "node:fs";
  const [file, ioMode, dirs, countFds] = process.argv.slice(2);
  const r = await runFile(file, {
    ioMode, grants: { dirs: JSON.parse(dirs) },
    stdout: (l) => process.stdout.write(l + "\\n"), stderr: (l) => process.stderr.write(l + "\\n"),
  });
  if (countFds) {
    const left = !existsSync("/proc/self/fd") ? -1 : readdirSync("/proc/self/fd").filter((fd) => {
      try { return readlinkSync("/proc/self/fd/" + fd).startsWith(process.cwd()); } catch { return false; }
    }).length;
    process.stdout.write("host_fds_left=" + left + "\\n");
  }
  process.exitCode = r.status === "exited" ? r.exitCode : 1;`;

const childScratch = makeScratch();
const childScript = path.join(childScratch, "..", "child.mjs");
writeFileSync(childScript, CHILD);

/** tests/programs/<name>.ts built (cached) into the scratch directory, for a child process to run. */
async function wasmOf(name: string): Promise<string> {
  const file = path.join(childScratch, "..", `${name}.wasm`);
  writeFileSync(file, await buildProgram(`${name}.ts`));
  return file;
}

function childArgs(wasm: string, mode: string, dirs: string[] = [], countFds = false): string[] {
  return [childScript, wasm, mode, JSON.stringify(dirs), ...(countFds ? ["1"] : [])];
}

describe("descriptors the program left open", () => {
  it.skipIf(!existsSync("/proc/self/fd"))("are closed when the run ends, whichever mode opened them", async () => {
    const r = await runNode(childArgs(await wasmOf("io_leak"), "async", ["granted"], true), { cwd: childScratch, timeoutMs: 60_000 });
    expect({ status: r.status, stderr: r.stderr, stdout: r.stdout })
      .toEqual({ status: 0, stderr: "", stdout: "opened=5\nhost_fds_left=0\n" });
    expect(readFileSync(path.join(childScratch, "granted", "left.txt"), "utf8")).toBe("left open");
  });
});

describe("stdin", () => {
  const INPUT = "first line\nsecond, a little longer\n\nlast without newline ✓";

  for (const mode of MODES) {
    it(`${mode}: reads piped input to its end, then 0 at every read`, async () => {
      const args = childArgs(await wasmOf("io_stdin"), mode);
      for (const input of [INPUT, ""]) {
        const r = await runNode(args, { input, timeoutMs: 60_000 });
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
        expect(r.stdout).toBe(`text=${input.replaceAll("\n", "|")}\nend=0\nreads_enough=1\nagain=0\n`);
      }
    });
  }

  it("keeps the bytes in order across modes, and a blocking read waits through EAGAIN", async () => {
    const proc = spawn(process.execPath, childArgs(await wasmOf("io_stdin_mixed"), "async"), { stdio: ["pipe", "pipe", "pipe"] });
    const lines = ["one\n", "two\n", "three\n", "four\n", "five\n"];
    const out: string[] = [];
    let stderr = "";
    proc.stderr.on("data", (d) => { stderr += d; });
    // Each line goes only after the program has printed the previous read and had 150 ms to start the
    // next: that read finds nothing and must wait (in blocking mode, on a non-blocking pipe).
    let partial = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => {
      const got = (partial + d).split("\n");
      partial = got.pop()!;
      for (const line of got) {
        out.push(line);
        setTimeout(() => { const next = lines.shift(); if (next) proc.stdin.write(next); else proc.stdin.end(); }, 150);
      }
    });
    const status = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => { proc.kill(); reject(new Error(`stdin test stuck; saw ${JSON.stringify(out)}`)); }, 20_000);
      proc.on("exit", (code) => { clearTimeout(timer); resolve(code); });
    });
    expect({ status, stderr }).toEqual({ status: 0, stderr: "" });
    expect(out).toEqual([
      "ready", "blocking=one|", "offload=two|", "async=three|", "blocking_again=four|", "offload_again=five|", "end=0",
    ]);
  });
});

describe("Grants", () => {
  const cwd = makeScratch();
  /** Grants made with `cwd` as the working directory (they keep it). */
  const grants = (options: ConstructorParameters<typeof Grants>[0]) => {
    const back = process.cwd();
    process.chdir(cwd);
    try { return new Grants(options); } finally { process.chdir(back); }
  };
  const g = grants({ dirs: ["granted"] });
  const real = (p: string) => path.join(cwd, p);

  it("maps a path inside a granted directory to its real host path", () => {
    expect(g.path("granted/hello.txt")).toBe(real("granted/hello.txt"));
    expect(g.path("granted")).toBe(real("granted"));
    expect(g.path("granted/./sub/../hello.txt")).toBe(real("granted/hello.txt"));
    expect(g.path("granted/link-in")).toBe(real("granted/hello.txt"));
    expect(g.path("granted/link-in-dir/x/y")).toBe(real("granted/sub/x/y"));        // need not exist
    expect(g.path("granted/dangling-in")).toBe(real("granted/sub/created.txt"));
    expect(g.path("../cwd/granted/hello.txt")).toBe(real("granted/hello.txt"));      // leaves, comes back in
  });

  it("refuses absolute paths, .. escapes and symlinks that lead out with EACCES", () => {
    for (const p of [real("granted/hello.txt"), "/etc/passwd", "..", "../outside/secret.txt", "granted/..",
      "outside/secret.txt", "granted/../outside", "granted/link-out", "granted/link-out/secret.txt",
      "granted/link-out/nothing/deeper", "granted/file-link-out", "granted/dangling-out", "C:\\windows"]) {
      expect({ p, answer: g.path(p) }).toEqual({ p, answer: EACCES });
    }
  });

  it("without following, names the link itself (unlink and mkdir act on it)", () => {
    expect(g.path("granted/link-out", false)).toBe(real("granted/link-out"));
    expect(g.path("granted/link-in", false)).toBe(real("granted/link-in"));
    expect(g.path("granted/link-out/secret.txt", false)).toBe(EACCES);           // its directory is outside
  });

  it("refuses every path when no directory is granted; empty is ENOENT, a 0 character EINVAL", () => {
    expect(grants({}).path("granted/hello.txt")).toBe(EACCES);
    expect(grants({ dirs: [] }).path(".")).toBe(EACCES);
    expect(g.path("")).toBe(ENOENT);
    expect(g.path("granted/a\0b")).toBe(EINVAL);
  });

  it("grants a directory that is itself a symlink by its name, not by where it leads", () => {
    const viaLink = grants({ dirs: ["granted/link-out"] });
    expect(viaLink.path("granted/link-out/secret.txt")).toBe(real("outside/secret.txt"));
    expect(viaLink.path("outside/secret.txt")).toBe(EACCES);
    expect(grants({ dirs: [real("outside")] }).path("outside/secret.txt")).toBe(real("outside/secret.txt"));
  });

  it("answers a symlink loop with an error, not a hang", () => {
    symlinkSync("loop-b", path.join(cwd, "granted", "loop-a"));
    symlinkSync("loop-a", path.join(cwd, "granted", "loop-b"));
    expect(g.path("granted/loop-a")).toBeLessThan(0);
    expect(g.path("granted/loop-a/x")).toBeLessThan(0);
  });

  it("listen: exact address, any port with port 0 or *, host and v6 forms compared canonically", () => {
    const l = grants({ listen: ["127.0.0.1:8080", "0.0.0.0:0", "[::1]:*", "LocalHost:9000"] });
    expect(l.listen("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(l.listen("127.0.0.1:8081")).toBe(EACCES);
    expect(l.listen("127.0.0.1:0")).toBe(EACCES);
    expect(l.listen("0.0.0.0:0")).toEqual({ host: "0.0.0.0", port: 0 });
    expect(l.listen("0.0.0.0:4321")).toEqual({ host: "0.0.0.0", port: 4321 });
    expect(l.listen("[0:0:0:0:0:0:0:1]:80")).toEqual({ host: "::1", port: 80 });
    expect(l.listen("localhost:9000")).toEqual({ host: "localhost", port: 9000 });
    expect(l.listen("127.0.0.1:9000")).toBe(EACCES);                        // names are not looked up
    expect(l.connect("127.0.0.1:8080")).toBe(EACCES);                       // listen grants only listen
  });

  it("connect: exact address or port *; port 0 grants only port 0", () => {
    const c = grants({ connect: ["example.org:443", "10.0.0.1:*", "10.0.0.2:0"] });
    expect(c.connect("example.org:443")).toEqual({ host: "example.org", port: 443 });
    expect(c.connect("example.org:80")).toBe(EACCES);
    expect(c.connect("10.0.0.1:5")).toEqual({ host: "10.0.0.1", port: 5 });
    expect(c.connect("10.0.0.2:5")).toBe(EACCES);
    expect(c.listen("10.0.0.1:5")).toBe(EACCES);
    expect(grants({}).connect("example.org:443")).toBe(EACCES);
  });

  it("malformed addresses are EINVAL; malformed grants throw when made", () => {
    const c = grants({ connect: ["10.0.0.1:*"], listen: ["10.0.0.1:*"] });
    for (const a of ["10.0.0.1", "10.0.0.1:", ":80", "10.0.0.1:65536", "10.0.0.1:*", "::1:80", "[::1]80", "[nope]:80", "a:b:80", ""]) {
      expect({ a, connect: c.connect(a), listen: c.listen(a) }).toEqual({ a, connect: EINVAL, listen: EINVAL });
    }
    expect(() => grants({ listen: ["nope"] })).toThrow(/listen address "nope"/);
    expect(() => grants({ connect: ["[::1]:x"] })).toThrow(/connect address/);
  });
});
