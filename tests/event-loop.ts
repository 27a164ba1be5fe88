// Every test file's process keeps its event loop free (vitest setupFiles): vitest's calls between the
// process and the runner time out after 60 s, and a process that holds its event loop that long fails the
// run though its tests pass. Builds go to the build server, runs to Workers and child processes
// (tests/harness.ts); this checks, once the file's tests are done, that nothing held the loop for
// STALL_LIMIT_MS or more at a time.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, expect } from "vitest";

/** The longest the loop may be held (ms): a quarter of vitest's 60 s, room enough for what a test file
 *  does on its own thread (importing the compiler, compiling a module) on a machine whose cores are all
 *  busy. */
const STALL_LIMIT_MS = 15_000;

const delay = monitorEventLoopDelay({ resolution: 20 });
delay.enable();

afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 100));    // a last stall is recorded when the loop turns
  delay.disable();
  const longest = delay.max / 1e6;
  expect(longest, "the longest this file's process held its event loop (ms)").toBeLessThan(STALL_LIMIT_MS);
});
