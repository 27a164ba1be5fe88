// What the web host cannot do fails with ENOTSUP and a message that says so; the program goes on.
// Prints `open=`, `open_errno=`, `message=`, `offload=`, `async=`.
import { open, ioDelay, IoMode, getErrno, errnoName, errnoMessage, print, stat, Stat } from "weft";

export function main(): i32 {
  let fd = open("data.txt");
  print("open=" + fd.toString());
  print("open_errno=" + errnoName(getErrno()));
  print("message=" + errnoMessage(-fd));
  let s = new Stat();
  print("stat=" + errnoName(-stat("data.txt", s)));
  print("offload=" + errnoName(-ioDelay(1, IoMode.Offload)));
  print("async=" + ioDelay(1, IoMode.Async).toString());
  return 0;
}
