// Scratch directories for tests (vitest setupFiles, and imported by the files that make them): each is
// made under the system's temporary directory and removed, with all it holds, when its file's tests end,
// so a run of the suite leaves nothing behind in it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];

/** A new empty directory whose name starts with `prefix`, removed after the file's tests. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
