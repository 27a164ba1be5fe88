// Every thread waits on I/O (main in one async call of 1 s): the loop returns to the host, which must
// sleep until the completion rather than spin. Prints `result=` and `ms=`.
import { ioDelay, now, print } from "weft";

export function main(): i32 {
  let t0 = now();
  let r = ioDelay(1000);
  print("result=" + r.toString());
  print("ms=" + (<i32>(now() - t0)).toString());
  return 0;
}
