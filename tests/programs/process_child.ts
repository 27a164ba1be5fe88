// Spawned and exec'd by process_spawn.ts: prints its arguments, copies stdin to stdout in capitals until
// the end, and exits with the number of its arguments (its path excluded).
import { print, args, read, writeString, STDIN, STDOUT } from "weft";

export function main(): i32 {
  let argv = args();
  print("child_args=" + argv.slice(1).join(","));
  let buffer = new Uint8Array(256);
  let n = 0;
  while ((n = read(STDIN, buffer)) > 0) writeString(STDOUT, String.UTF8.decode(buffer.buffer.slice(0, n)).toUpperCase());
  return argv.length - 1;
}
