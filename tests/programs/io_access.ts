// Granted-only access (host/io/grants.ts): paths that leave the granted directory — by `..`, by being
// absolute, by a symlink inside it that leads out (to a directory, a file, or nowhere yet) — are refused
// with EACCES by open, stat, readdir, unlink and mkdir, in each mode; paths inside it work, and a missing
// one is ENOENT. Run with granted/ granted, and with nothing granted (then every line is EACCES but the
// empty path's, which names nothing: ENOENT). The scratch directory's layout is in
// tests/io-files.test.ts. Prints `<what>=<result>` (a negated errno, or "fd" for a descriptor).
import {
  print, IoMode, O_READ, O_WRITE, O_CREATE, Stat, open, close, read, stat, unlink, mkdir, readdir, getErrno,
} from "weft";

function show(key: string, value: i32): void { print(key + "=" + (value >= 3 ? "fd" : value.toString())); }

const OPEN = 1, CREATE = 2, STAT = 4, READDIR = 8, UNLINK = 16, MKDIR = 32, ALL = 63;

/** Every op in `ops` on `path`, in mode `m`; each result printed as `<mode>_<op>_<label>`. */
function refuse(m: IoMode, mode: string, label: string, path: string, ops: i32): void {
  let st = new Stat();
  if (ops & OPEN) {
    let fd = open(path, O_READ, m);
    show(mode + "_open_" + label, fd);
    if (fd >= 0) close(fd);
  }
  if (ops & CREATE) {
    let fd = open(path, O_WRITE | O_CREATE, m);
    show(mode + "_create_" + label, fd);
    if (fd >= 0) close(fd);
  }
  if (ops & STAT) show(mode + "_stat_" + label, stat(path, st, m));
  if (ops & READDIR) show(mode + "_readdir_" + label, readdir(path, m) == null ? -getErrno() : 0);
  if (ops & UNLINK) show(mode + "_unlink_" + label, unlink(path, m));
  if (ops & MKDIR) show(mode + "_mkdir_" + label, mkdir(path, m));
}

function refusals(m: IoMode, mode: string): void {
  refuse(m, mode, "parent", "../escape.txt", ALL);
  refuse(m, mode, "dotdot", "granted/../outside/secret.txt", ALL);
  refuse(m, mode, "deep_dotdot", "granted/sub/../../outside", ALL);
  refuse(m, mode, "ungranted", "outside/secret.txt", ALL);
  refuse(m, mode, "cwd", ".", ALL);
  refuse(m, mode, "absolute", "/etc/passwd", ALL);
  refuse(m, mode, "link_dir", "granted/link-out/secret.txt", ALL);
  refuse(m, mode, "link_dir_new", "granted/link-out/new", ALL);
  refuse(m, mode, "link_dir_itself", "granted/link-out", OPEN | STAT | READDIR);
  // unlink and mkdir act on a link itself, which is inside: those are the allowed cases below.
  refuse(m, mode, "link_file", "granted/file-link-out", OPEN | CREATE | STAT | READDIR);
  refuse(m, mode, "dangling", "granted/dangling-out", OPEN | CREATE | STAT | READDIR);
  refuse(m, mode, "empty", "", ALL);
}

export function main(): i32 {
  refusals(IoMode.Async, "async");
  refusals(IoMode.Blocking, "blocking");
  refusals(IoMode.Offload, "offload");

  // Inside the grant (each is EACCES when nothing is granted).
  let st = new Stat();
  let buf = new Uint8Array(16);
  let fd = open("granted/hello.txt");
  show("allowed_open", fd);
  close(fd);
  fd = open("granted/link-in");                                   // a symlink to hello.txt
  print("allowed_link_in=" + (fd >= 0 ? read(fd, buf) : fd).toString());
  close(fd);
  show("allowed_dotdot_inside", stat("granted/sub/../hello.txt", st));
  show("allowed_readdir_root", readdir("granted") == null ? -getErrno() : 0);
  show("allowed_mkdir", mkdir("granted/made"));
  show("allowed_mkdir_via_link_in", mkdir("granted/link-in-dir/made"));   // link-in-dir -> sub
  fd = open("granted/dangling-in", O_WRITE | O_CREATE);                   // -> sub/created.txt
  show("allowed_create_dangling_in", fd);
  if (fd >= 0) close(fd);
  show("allowed_unlink_link_out", unlink("granted/spare-link-out"));     // removes the link, not its target
  show("allowed_mkdir_link_out", mkdir("granted/link-out"));             // the link exists: EEXIST
  show("missing_open", open("granted/missing.txt"));
  show("missing_stat", stat("granted/missing.txt", st));
  show("missing_readdir", readdir("granted/missing") == null ? -getErrno() : 0);
  show("missing_unlink", unlink("granted/missing.txt"));
  return 0;
}
