// A shared build's globals (tests/build-shared.test.ts): instance 1 initialises the memory and spawns main,
// instance 2 runs it. main reads what instance 1's initialisation left in the program's top-level
// variables (one of each type a global can have, and a string the top-level code computed), changes them,
// and returns the counter, which instance 1 then reads.
import { print, spawn, join } from "weft";

let counter: i32 = 41;                               // a constant: weft_init_globals writes it
let wide: i64 = 0x1_0000_0002;
let ratio: f64 = 0.25;
let small: f32 = 1.5;
let greeting: string = "hello from " + counter.toString(); // computed: the top-level code (weft_init) makes it
const LITERAL = "a string literal";                  // static data: weft_init_memory writes it

class Pair<A, B> {                                   // a static field is a global too
  static made: i32 = 0;
  add(n: i32): i32 { Pair.made += n; return Pair.made; }
}

function bump(arg: usize): i32 {
  counter += <i32>arg;
  return 0;
}

export function main(): i32 {
  join(spawn(bump, 1));                              // main blocks: a switch (unwind, rewind) on instance 2
  wide++;
  ratio *= 2;
  small += 1;
  let made = new Pair<i32, f64>().add(3);
  print("counter=" + counter.toString());
  print("wide=" + wide.toString());
  print("ratio=" + ratio.toString());
  print("small=" + small.toString());
  print("made=" + made.toString());
  print(greeting);
  print(LITERAL);
  return counter;
}
