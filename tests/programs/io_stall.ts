// The core claim of async I/O: a thread inside a slow system call (ioDelay, 100 ms) stalls the others in
// blocking mode only. A counter thread yields in a loop; the caller notes the count before and after its
// call. Prints, per mode, `<mode>_during=` (counts while the call ran), `<mode>_ms=` (its duration), `<mode>_result=`.
import { spawn, join, yieldNow, ioDelay, IoMode, now, print } from "weft";

let count: i32 = 0;
let done = false;

function counter(_: usize): i32 {
  while (!done) { count++; yieldNow(); }
  return 0;
}

function caller(mode: usize): i32 {
  let before = count;
  let t0 = now();
  let r = ioDelay(100, <IoMode>mode);
  let ms = now() - t0;
  let name = mode == <usize>IoMode.Async ? "async" : mode == <usize>IoMode.Blocking ? "blocking" : "offload";
  print(name + "_during=" + (count - before).toString());
  print(name + "_ms=" + (<i32>ms).toString());
  print(name + "_result=" + r.toString());
  done = true;
  return 0;
}

export function main(): i32 {
  for (let mode: usize = <usize>IoMode.Async; mode <= <usize>IoMode.Offload; mode++) {
    done = false;
    let c = spawn(counter, 0), k = spawn(caller, mode);
    join(k); join(c);
  }
  return 0;
}
