// The grants race (host/io/confine.ts): while a helper on another OS thread swaps granted/d for a symlink
// to outside/d and back, and granted/f.txt for a symlink to outside/d/file.txt and back, THREADS threads
// per mode make every call that names a path through them, ROUNDS times each. Layout, helper and checks:
// tests/io-grants-race.test.ts. Every inside file holds "inside\n"; outside/d/file.txt holds the marker
// (OUTSIDE_SIZE bytes), which no call may ever show.
//
// Prints, per mode and call, `<mode>_<call>=<inside>,<refused>,<missing>,<leaked>,<other>`: how many
// calls reached the inside file (for create, unlink and mkdir: succeeded, or EEXIST for mkdir), were
// refused (EACCES), found nothing (ENOENT), showed the outside file, or said anything else (the first
// such answer is printed as `<mode>_<call>_other=<errno or text>`).
import {
  spawn, join, print, IoMode, O_READ, O_WRITE, O_CREATE, O_TRUNCATE, Stat, open, close, read, stat, unlink,
  mkdir, readdir, getErrno,
} from "weft";

const THREADS = 2;
const ROUNDS = 300;
const OUTSIDE_SIZE: f64 = 21;                  // "SECRET-OUTSIDE-MARKER"

const CALLS = ["read_dir", "read_file", "stat", "readdir", "create", "unlink", "mkdir"];
const READ_DIR = 0, READ_FILE = 1, STAT = 2, READDIR = 3, CREATE = 4, UNLINK = 5, MKDIR = 6;
const INSIDE = 0, REFUSED = 1, MISSING = 2, LEAKED = 3, OTHER = 4, OUTCOMES = 5;
const EACCES = -13, ENOENT = -2, EEXIST = -17;

const counts = new StaticArray<i32>(7 * OUTCOMES);
const others = new StaticArray<string | null>(7);

function count(call: i32, outcome: i32, what: string = ""): void {
  counts[call * OUTCOMES + outcome]++;
  if (outcome == OTHER && others[call] == null) others[call] = what;
}

/** The outcome of a call that failed with `code`, or that succeeded (`code` >= 0) on an inside file. */
function byCode(call: i32, code: i32): void {
  if (code >= 0) count(call, INSIDE);
  else if (code == EACCES) count(call, REFUSED);
  else if (code == ENOENT) count(call, MISSING);
  else count(call, OTHER, code.toString());
}

/** Opens `path`, reads it and says what it held. */
function readThrough(call: i32, path: string, m: IoMode): void {
  let fd = open(path, O_READ, m);
  if (fd < 0) { byCode(call, fd); return; }
  let buf = new Uint8Array(64);
  let n = read(fd, buf, -1, m);
  close(fd, m);
  if (n < 0) { count(call, OTHER, "read " + n.toString()); return; }
  let text = String.UTF8.decodeUnsafe(buf.dataStart, n);
  if (text == "inside\n") count(call, INSIDE);
  else if (text.includes("SECRET")) count(call, LEAKED);
  else count(call, OTHER, text);
}

function round(m: IoMode): void {
  readThrough(READ_DIR, "granted/d/file.txt", m);
  readThrough(READ_FILE, "granted/f.txt", m);

  let st = new Stat();
  let r = stat("granted/d/file.txt", st, m);
  if (r < 0) byCode(STAT, r);
  else if (st.size == 7) count(STAT, INSIDE);
  else if (st.size == OUTSIDE_SIZE) count(STAT, LEAKED);
  else count(STAT, OTHER, "size " + st.size.toString());

  let names = readdir("granted/d", m);
  if (names == null) byCode(READDIR, -getErrno());
  else if (names.includes("out-only")) count(READDIR, LEAKED);
  else if (names.includes("in-only")) count(READDIR, INSIDE);
  else count(READDIR, OTHER, names.join(","));

  // outside/d/victim exists too: creating, truncating or removing it would be a leak (the test looks).
  let fd = open("granted/d/victim", O_WRITE | O_CREATE | O_TRUNCATE, m);
  byCode(CREATE, fd);
  if (fd >= 0) close(fd, m);
  byCode(UNLINK, unlink("granted/d/victim", m));
  r = mkdir("granted/d/made", m);
  byCode(MKDIR, r == EEXIST ? 0 : r);
}

function worker(mode: usize): i32 {
  for (let i = 0; i < ROUNDS; i++) round(<IoMode>mode);
  return 0;
}

function runMode(m: IoMode, name: string): void {
  for (let i = 0; i < counts.length; i++) counts[i] = 0;
  for (let i = 0; i < others.length; i++) others[i] = null;
  let ids = new StaticArray<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(worker, <usize>m);
  for (let i = 0; i < THREADS; i++) join(ids[i]);
  for (let c = 0; c < CALLS.length; c++) {
    let line = name + "_" + CALLS[c] + "=";
    for (let o = 0; o < OUTCOMES; o++) line += (o ? "," : "") + counts[c * OUTCOMES + o].toString();
    print(line);
    let other = others[c];
    if (other != null) print(name + "_" + CALLS[c] + "_other=" + other);
  }
}

export function main(): i32 {
  runMode(IoMode.Async, "async");
  runMode(IoMode.Blocking, "blocking");
  runMode(IoMode.Offload, "offload");
  return 0;
}
