// A check-then-act race (README, "Reproducible schedules"): three buyers, two seats. Each buyer browses
// a while (yields), checks that a seat is left, and — after a yield between the check and the act, where
// another thread may run — takes it. In the order weft's scheduler runs them by default the buyers take
// turns and nobody oversells; in some interleavings all three pass the check before any takes a seat,
// and the assert in main fails. Find one and replay it:
//   weft explore examples/race.ts
//   weft run examples/race.ts --seed <the seed it prints>
import { spawn, join, yieldNow, print } from "weft";

const SEATS = 2;
const BUYERS = 3;
let sold = 0;

function buyer(i: usize): i32 {
  for (let k = 0; k < 3 + 2 * <i32>i; k++) yieldNow();   // browsing: the buyers arrive one after another
  if (sold < SEATS) {                                    // check
    yieldNow();                                          // ... another buyer may run here ...
    sold++;                                              // act
    print("buyer " + i.toString() + " took seat " + sold.toString());
    return 1;
  }
  print("buyer " + i.toString() + " found no seat");
  return 0;
}

export function main(): i32 {
  let ids = new StaticArray<i32>(BUYERS);
  for (let i = 0; i < BUYERS; i++) ids[i] = spawn(buyer, i);
  for (let i = 0; i < BUYERS; i++) join(ids[i]);
  print("sold " + sold.toString() + " of " + SEATS.toString() + " seats");
  assert(sold <= SEATS, "oversold");
  return 0;
}
