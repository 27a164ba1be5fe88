// Reads stdin one line per read, in each mode in turn: blocking and offload (read(2) on fd 0, which
// blocks in the kernel), async (Node's stream, which makes the pipe non-blocking and reads ahead), then
// blocking again (read(2) meets EAGAIN and must wait for the line rather than fail or spin), offload
// again (waits on the stream now), and the run's mode (async) to the end. The test writes each line only
// after the program printed the previous one and a pause, so every read finds nothing yet and waits.
// Prints `ready`, then each read as `<mode>=<text>` with newlines as "|" (tests/io-files.test.ts).
import { print, IoMode, read, STDIN } from "weft";

function readLine(mode: IoMode, name: string): void {
  let buf = new Uint8Array(64);
  let n = read(STDIN, buf, -1, mode);
  print(name + "=" + (n <= 0 ? n.toString() : String.UTF8.decodeUnsafe(buf.dataStart, n).replaceAll("\n", "|")));
}

export function main(): i32 {
  print("ready");
  readLine(IoMode.Blocking, "blocking");
  readLine(IoMode.Offload, "offload");
  readLine(IoMode.Async, "async");
  readLine(IoMode.Blocking, "blocking_again");
  readLine(IoMode.Offload, "offload_again");
  readLine(IoMode.Default, "end");
  return 0;
}
