import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Started first: the file that builds the most programs (the build server builds what it asks for ahead,
 *  tests/harness.ts, buildAhead, while the other files run), and the one whose children build through the
 *  CLI (tens of seconds, which would otherwise run alone at the end). */
const START_FIRST = ["tests/mn.test.ts", "tests/cli.test.ts"];

/** vitest's order (failed first, then the longest, by the last run's times; the largest files first when
 *  there are none), with START_FIRST in front. */
class BuildsFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const first = (f: TestSpecification) => (START_FIRST.some((name) => f.moduleId.endsWith(name)) ? 0 : 1);
    return (await super.sort(files)).sort((a, b) => first(a) - first(b));
  }
}

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Builds every test program on build threads of this process, cached (tests/build-server.ts).
    globalSetup: ["tests/build-server.ts"],
    // Fails a file whose process held its event loop too long (tests/event-loop.ts).
    setupFiles: ["tests/event-loop.ts", "tests/scratch.ts"],
    sequence: { sequencer: BuildsFirst },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
