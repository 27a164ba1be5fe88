// start() of a program whose main traps (tests/serve.test.ts): start rejects, naming it.
export function main(): i32 {
  let list = new Array<i32>(1);
  return list[3];
}

export function add(x: i32, y: i32): i32 { return x + y; }
