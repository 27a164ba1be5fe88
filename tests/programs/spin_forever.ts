// Never ends and never yields: the test harness must stop it (tests/threads.test.ts).
export function main(): i32 {
  let x = 0;
  while (true) { x++; if (x == -1) break; }
  return x;
}
