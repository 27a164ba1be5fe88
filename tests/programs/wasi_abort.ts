// A thread that fails an index check (the standard library's abort) while main waits for it. Under
// weft's own host only that thread dies; under WASI the program ends with the thread named
// (assembly/sys/wasi.ts, "No catching a trap").
import { spawn, join, print, SpawnOptions } from "weft";

const small = new Array<i32>(2);

function reader(index: usize): i32 { return small[<i32>index]; }

export function main(): i32 {
  print("before");
  let options = new SpawnOptions();
  options.name = "out-of-range";
  let r = join(spawn(reader, 5, options));
  print("after code=" + r.code.toString());
  return 0;
}
