// Spawned and exec'd by process_spawn.ts: prints its arguments, copies stdin to stdout in capitals until
// the end, and exits with the number of its arguments (its path excluded). With the argument "reap" it
// first waits for a child of the process it was exec'd into and prints that child's exit status.
import { print, args, read, waitpid, writeString, WEXITSTATUS, STDIN, STDOUT } from "weft";

export function main(): i32 {
  let argv = args();
  print("child_args=" + argv.slice(1).join(","));
  if (argv.includes("reap")) {
    let status = new StaticArray<i32>(1);
    let pid = waitpid(-1, status);
    print("reaped_exit=" + (pid > 0 ? WEXITSTATUS(status[0]).toString() : "error " + pid.toString()));
  }
  let buffer = new Uint8Array(256);
  let n = 0;
  while ((n = read(STDIN, buffer)) > 0) writeString(STDOUT, String.UTF8.decode(buffer.buffer.slice(0, n)).toUpperCase());
  return argv.length - 1;
}
