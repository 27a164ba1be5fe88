// The errors of the file operations, in each of the three modes: each case prints
// `<mode>_<case>=<result>` (a negated errno, or what a call that should succeed returned). Uses
// granted/hello.txt and granted/sub/ from the test's scratch directory (tests/io-files.test.ts).
import {
  print, IoMode, O_READ, O_WRITE, O_CREATE, O_TRUNCATE, O_EXCLUSIVE, Stat, open, close, read, writeString,
  stat, unlink, mkdir, readdir, getErrno,
} from "weft";

function show(key: string, value: i32): void { print(key + "=" + value.toString()); }

function exercise(m: IoMode, name: string): void {
  let st = new Stat();
  let buf = new Uint8Array(16);
  show(name + "_open_missing", open("granted/missing.txt", O_READ, m));
  show(name + "_open_missing_dir", open("granted/nodir/x.txt", O_WRITE | O_CREATE, m));
  show(name + "_open_exclusive", open("granted/hello.txt", O_WRITE | O_CREATE | O_EXCLUSIVE, m));
  show(name + "_open_not_dir", open("granted/hello.txt/x", O_READ, m));
  show(name + "_open_dir_write", open("granted/sub", O_WRITE, m));
  show(name + "_open_bad_flags", open("granted/hello.txt", O_READ | O_EXCLUSIVE, m));
  show(name + "_open_truncate_read_only", open("granted/hello.txt", O_READ | O_TRUNCATE, m));

  // A directory opens for reading; reading it is EISDIR.
  let dirFd = open("granted/sub", O_READ, m);
  show(name + "_open_dir", dirFd >= 3 ? 0 : dirFd);
  show(name + "_read_dir", read(dirFd, buf, -1, m));
  show(name + "_close_dir", close(dirFd, m));

  // A closed descriptor, one never opened, and a file opened for reading only.
  let fd = open("granted/hello.txt", O_READ, m);
  show(name + "_write_read_only", writeString(fd, "x", m));
  show(name + "_read_bad_position", read(fd, buf, -2, m));
  show(name + "_close", close(fd, m));
  show(name + "_read_closed", read(fd, buf, -1, m));
  show(name + "_write_closed", writeString(fd, "x", m));
  show(name + "_close_closed", close(fd, m));
  show(name + "_read_never", read(99, buf, -1, m));
  show(name + "_read_stdout", read(1, buf, -1, m));
  show(name + "_write_stdin", writeString(0, "x", m));
  show(name + "_errno", getErrno());

  show(name + "_stat_missing", stat("granted/missing.txt", st, m));
  show(name + "_stat_not_dir", stat("granted/hello.txt/x", st, m));
  show(name + "_readdir_file", readdir("granted/hello.txt", m) == null ? -getErrno() : 0);
  show(name + "_readdir_missing", readdir("granted/missing", m) == null ? -getErrno() : 0);
  show(name + "_mkdir_exists", mkdir("granted/sub", m));
  show(name + "_mkdir_no_parent", mkdir("granted/nodir/deeper", m));
  show(name + "_unlink_missing", unlink("granted/missing.txt", m));
  show(name + "_unlink_dir", unlink("granted/sub", m));
}

export function main(): i32 {
  exercise(IoMode.Async, "async");
  exercise(IoMode.Blocking, "blocking");
  exercise(IoMode.Offload, "offload");
  return 0;
}
