// Never ends and never yields (2^64 turns): the test harness must stop it (tests/threads.test.ts).
export function main(): i32 {
  let x: i64 = 0;
  while (true) { x++; if (x == -1) break; }
  return <i32>x;
}
