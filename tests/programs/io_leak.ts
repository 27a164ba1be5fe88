// Leaves descriptors open — files opened in each mode, one written to, and a directory — and returns:
// the host must close them when the run ends (tests/io-files.test.ts checks /proc/self/fd).
import { print, IoMode, O_READ, O_WRITE, O_CREATE, open, writeString } from "weft";

export function main(): i32 {
  let opened = 0;
  if (open("granted/hello.txt", O_READ, IoMode.Async) >= 0) opened++;
  if (open("granted/hello.txt", O_READ, IoMode.Blocking) >= 0) opened++;
  if (open("granted/hello.txt", O_READ, IoMode.Offload) >= 0) opened++;
  let fd = open("granted/left.txt", O_WRITE | O_CREATE);
  if (fd >= 0 && writeString(fd, "left open") == 9) opened++;
  if (open("granted/sub", O_READ) >= 0) opened++;
  print("opened=" + opened.toString());
  return 0;
}
