// process_cost's spawned program (bench/processes.js): says when its main began, and ends.
import { print, now } from "weft";
export function main(): i32 { print("started " + now().toString()); return 0; }
