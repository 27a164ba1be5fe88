// Helpers of the partial-deadlock programs (tests/waitfor.test.ts): threads meant to end up in a cycle.
import { sleep, print, threadStats, SpawnOptions } from "weft";

/** Options for a detached thread called `name`. */
export function detachedNamed(name: string): SpawnOptions {
  let o = new SpawnOptions();
  o.name = name;
  o.detached = true;
  return o;
}

/** Waits until every thread of `ids` is blocked. False (after printing `gone=<id>`) if one ended
 *  instead: it formed no cycle. */
export function awaitBlocked(ids: StaticArray<i32>): bool {
  for (let i = 0; i < ids.length; i++) {
    while (true) {
      let s = threadStats(ids[i]);
      if (s === null) { print("gone=" + ids[i].toString()); return false; }
      if (s.state == "blocked") break;
      sleep(1);
    }
  }
  return true;
}
