// Whether the safepoints are what preempts (tests/preempt.test.ts): a spinner that never yields runs
// SPIN_MS by the clock and ends; main asks to sleep NAP_MS while it spins. Built with safepoints the
// spinner is preempted and main wakes about on time, while the spinner still spins; built without
// (`safepoints: false`) nothing can take the processor from the spinner, and main wakes only after it
// ended, ~SPIN_MS late.
// Prints late= (ms past NAP_MS), woke_while_spinning= (1 if main woke before the spinner ended), spun=
// (ms the spinner ran, by its own clock) and rounds= (its loop's turns, so it cannot be optimised away).
import { spawn, join, sleep, now, print } from "weft";

const SPIN_MS: f64 = 1000;
const NAP_MS: f64 = 5;

let rounds: i64 = 0;
let spun: f64 = 0;                         // set when the spinner ends

function spinner(arg: usize): i32 {
  let t0 = now();
  while (now() - t0 < SPIN_MS) rounds++;
  spun = now() - t0;
  return 1;
}

export function main(): i32 {
  let id = spawn(spinner);                 // it runs once main sleeps
  let t0 = now();
  sleep(NAP_MS);
  let late = now() - t0 - NAP_MS;
  let wokeWhileSpinning = spun == 0;
  join(id);
  print("late=" + late.toString());
  print("woke_while_spinning=" + (wokeWhileSpinning ? "1" : "0"));
  print("spun=" + spun.toString());
  print("rounds=" + rounds.toString());
  return 0;
}
