// Prints "ready" and sleeps: `weft run` of it is sent SIGINT by tests/signals.test.ts (no handler: the run
// ends with 130).
import { sleep, print } from "weft";
export function main(): i32 { print("ready"); sleep(60000); print("woke"); return 0; }
