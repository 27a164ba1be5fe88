// Every file operation in each of the three modes, chosen per call: open, write (bytes, text, at a
// position, appending), close, stat, read (at the offset, at a position, to the end), readdir (sorted;
// longer than its first buffer), mkdir, unlink, and a read whose memory grows while it is pending. Works
// in granted/ under the test's scratch directory (tests/io-files.test.ts); prints `<mode>_<what>=<value>`.
import {
  spawn, join, print, IoMode, O_READ, O_WRITE, O_CREATE, O_TRUNCATE, O_APPEND, Stat, open, close, read,
  readInto, write, writeString, stat, unlink, mkdir, readdir,
} from "weft";

function bytes(s: string): Uint8Array { return Uint8Array.wrap(String.UTF8.encode(s)); }
function text(b: Uint8Array, n: i32): string { return n < 0 ? "error" : String.UTF8.decodeUnsafe(b.dataStart, n); }
function show(key: string, value: string): void { print(key + "=" + value); }

/** Makes an empty file; returns what open or close said if either failed, else 0. */
function touch(path: string, mode: IoMode): i32 {
  let fd = open(path, O_WRITE | O_CREATE, mode);
  return fd < 0 ? fd : close(fd, mode);
}

let grown: i32 = 0;
const kept = new Array<ArrayBuffer>();   // kept, so that each mode's grower needs new memory again
// Grows linear memory while the main thread's read is pending: the host must copy the bytes into the
// new memory, not the old one.
function grower(arg: usize): i32 {
  let before = memory.size();
  let block = new ArrayBuffer(max<i32>(32 << 20, (memory.size() << 16) + (1 << 20)));   // more than there is
  kept.push(block);
  store<u8>(changetype<usize>(block) + (32 << 20) - 1, 1);
  grown = memory.size() - before;
  return 0;
}

function exercise(m: IoMode, name: string): void {
  let dir = "granted/" + name;
  show(name + "_mkdir", mkdir(dir, m).toString());
  let file = dir + "/f.txt";

  let fd = open(file, O_WRITE | O_CREATE | O_TRUNCATE, m);
  show(name + "_open", fd >= 3 ? "fd" : fd.toString());
  show(name + "_write_string", writeString(fd, "hello, ", m).toString());
  show(name + "_write", write(fd, bytes("world"), -1, m).toString());
  show(name + "_pwrite", write(fd, bytes("J"), 0, m).toString());
  show(name + "_close", close(fd, m).toString());

  fd = open(file, O_WRITE | O_APPEND, m);
  show(name + "_append", writeString(fd, "✓é", m).toString());        // 3 + 2 bytes of UTF-8
  close(fd, m);

  let st = new Stat();
  show(name + "_stat", stat(file, st, m).toString());
  let recent = st.mtimeMs > 1e12 ? "recent" : "old";     // after 2001
  show(name + "_stat_file", st.kind.toString() + "," + st.size.toString() + "," + recent);

  let buf = new Uint8Array(64);
  fd = open(file, O_READ, m);
  show(name + "_read_head", text(buf, readInto(fd, buf.dataStart, 5, -1, m)));
  show(name + "_pread", text(buf, readInto(fd, buf.dataStart, 5, 7, m)));
  show(name + "_read_rest", text(buf, read(fd, buf, -1, m)));              // from the offset: pread left it
  show(name + "_read_eof", read(fd, buf, -1, m).toString());

  let t = spawn(grower);
  let n = read(fd, buf, 0, m);                                                // parks, except in blocking mode
  join(t);
  show(name + "_read_grown", text(buf, n) + "," + (grown > 0 ? "grew" : "same"));
  show(name + "_close_read", close(fd, m).toString());

  touch(dir + "/b.txt", m);
  touch(dir + "/a.txt", m);
  mkdir(dir + "/sub", m);
  let names = readdir(dir, m);
  show(name + "_readdir", names == null ? "null" : names.join(","));
  show(name + "_stat_dir", stat(dir + "/sub", st, m).toString() + "," + st.kind.toString());

  // 40 names of 40 bytes: 1,640 bytes, more than readdir's first 1,024-byte buffer.
  mkdir(dir + "/many", m);
  let made = 0;
  for (let i = 0; i < 40; i++) {
    let id = i.toString();
    while (id.length < 2) id = "0" + id;
    if (touch(dir + "/many/" + id + "-" + "x".repeat(37), m) == 0) made++;
  }
  let many = readdir(dir + "/many", m);
  let summary = "null";                                   // files made, names read, first and last
  if (many != null) {
    summary = made.toString() + "," + many.length.toString() + ",";
    summary += many[0].slice(0, 2) + "," + many[many.length - 1].slice(0, 2);
  }
  show(name + "_readdir_many", summary);

  show(name + "_unlink", unlink(file, m).toString());
  show(name + "_stat_gone", stat(file, st, m).toString());
}

export function main(): i32 {
  exercise(IoMode.Async, "async");
  exercise(IoMode.Blocking, "blocking");
  exercise(IoMode.Offload, "offload");
  return 0;
}
