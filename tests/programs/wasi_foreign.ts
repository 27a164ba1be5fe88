// A program with an import of its own: a WASI build refuses it, naming the import.
import { print } from "weft";

// @ts-ignore: decorator
@external("app", "lookup")
declare function lookup(id: i32): i32;

export function main(): i32 {
  print("looked up " + lookup(7).toString());
  return 0;
}
