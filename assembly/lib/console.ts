// Printing from threads. Each call writes one line through the host; lines from different threads never
// interleave within a line.

import { hostWrite } from "../core/host";

/** Writes `s` and a newline to the program's standard output. */
export function print(s: string): void {
  hostWrite(1, changetype<usize>(s), s.length);
}

/** Writes `s` and a newline to the program's standard error. */
export function printError(s: string): void {
  hostWrite(2, changetype<usize>(s), s.length);
}
