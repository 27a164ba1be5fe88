// The answer app.ts must print, worked out in JavaScript: the sum over jobs n = 1..jobs of the Collatz
// steps of every number in [n * SPAN, (n + 1) * SPAN). The page shows it beside the program's.
//
// The numbers are done in order with a memo: x's steps are the steps until its path first drops below x
// (and below MEMO_SIZE), plus the memo of where it landed, whose steps are known by then: about 0.5 s for
// the page's default 1,000 jobs. Paths climb past 2^32, so JavaScript works in doubles, exact up to 2^53
// (a path from below 10^8 climbs to ~2 * 10^15 at most); `y & 1` is still y's parity, since ToInt32
// keeps y modulo 2^32.

/** Numbers per job: app.ts's SPAN. */
export const SPAN = 10000;

/** Numbers whose steps the memo keeps (16 MiB of Int32). */
const MEMO_SIZE = 1 << 22;

/** What app.ts prints as "checksum" for `jobs` jobs. */
export function expectedChecksum(jobs) {
  const end = (jobs + 1) * SPAN;
  const memo = new Int32Array(Math.min(end, MEMO_SIZE));      // memo[x]: x's steps, once x is done (memo[1] = 0)
  let sum = 0;
  for (let x = 2; x < end; x++) {
    const known = Math.min(x, memo.length);
    let y = x, steps = 0;
    while (y >= known) { y = y & 1 ? 3 * y + 1 : y / 2; steps++; }
    steps += memo[y];
    if (x < memo.length) memo[x] = steps;
    if (x >= SPAN) sum += steps;
  }
  return sum;
}
