// done() without a matching add() drives the counter negative: weft aborts with a clear message.
import { print } from "weft";
import { WaitGroup } from "weft/assembly/lib/sync/index";

export function main(): i32 {
  let wg = new WaitGroup();
  wg.add(1);
  wg.done();
  print("balanced");
  wg.done();
  print("unreachable");
  return 0;
}
