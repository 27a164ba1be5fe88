// Counted loops (host/compiler/passes/safepoints.ts, "Counted loops"): a short one runs in a copy without its check, a
// long one keeps it. Spinner A goes round a short counted loop (1,000 turns) inside a `while`; spinner B
// is one counted loop of up to 2^31 turns. Main sleeps 5 ms ten times meanwhile and prints how late it
// woke at worst (late_max=, ms), then stops them; each prints its sum (a_sum=, b_sum=) so the loops stay.
import { spawn, join, sleep, now, print } from "weft";

let stop = false;
let aSum: i64 = 0, bSum: i64 = 0;

function shortLoops(arg: usize): i32 {
  let n = <i32>arg;
  while (!stop) {
    let s: i64 = 0;
    for (let k = 0; k < n; k++) s += k;
    aSum += s;
  }
  return 0;
}

function longLoop(arg: usize): i32 {
  let n = <i32>arg;
  let s: i64 = 0;
  for (let k = 0; k < n; k++) { s += k; if (stop) break; }
  bSum = s;
  return 0;
}

export function main(): i32 {
  let a = spawn(shortLoops, 1000);
  let b = spawn(longLoop, i32.MAX_VALUE);
  let worst = 0.0;
  for (let i = 0; i < 10; i++) {
    let t = now();
    sleep(5);
    worst = Math.max(worst, now() - t - 5);
  }
  stop = true;
  join(a);
  join(b);
  print("late_max=" + worst.toString());
  print("a_sum=" + (aSum > 0 ? "1" : "0"));
  print("b_sum=" + (bSum > 0 ? "1" : "0"));
  return 0;
}
