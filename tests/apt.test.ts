// scripts/apt.js: the project's package installs take turns (its design note). Checked with stand-ins
// for apt-get and dpkg-query on PATH, which log when each call starts and ends and "install" a package
// by leaving a file, so nothing is installed: three installs asked for at once must not overlap, a
// package another turn installed meanwhile is not installed again, and `apt-get update` failing on
// apt's lock is tried again. Needs what installing needs: Linux, /usr/bin/apt-get, root, and flock(1).
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runNode } from "./harness.js";
import { scratchDir } from "./scratch.js";

const canInstall = process.platform === "linux" && existsSync("/usr/bin/apt-get") && existsSync("/usr/bin/flock") &&
  process.getuid?.() === 0;

/** Stand-in apt-get and dpkg-query in a new directory; `lockedUpdates` updates fail on the lists lock first. */
function standIns(lockedUpdates: number): string {
  const dir = scratchDir("weft-apt-");
  writeFileSync(path.join(dir, "locked-updates"), String(lockedUpdates));
  writeFileSync(path.join(dir, "apt-get"), `#!/bin/sh
dir=$(dirname "$0")
echo "start $$ $*" >> "$dir/log"
case "$*" in
  *update*) n=$(cat "$dir/locked-updates")
    if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$dir/locked-updates"; echo "end $$" >> "$dir/log"
      echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1 (apt-get)" >&2; exit 100; fi ;;
  *install*) for p in "$@"; do case "$p" in -*|install|*=*) ;; *) touch "$dir/installed-$p" ;; esac; done ;;
esac
sleep 0.2
echo "end $$" >> "$dir/log"
`);
  writeFileSync(path.join(dir, "dpkg-query"), `#!/bin/sh
dir=$(dirname "$0")
shift 3
for p in "$@"; do if [ -e "$dir/installed-$p" ]; then echo "install ok installed"; else echo "unknown ok not-installed"; fi; done
`);
  for (const f of ["apt-get", "dpkg-query"]) chmodSync(path.join(dir, f), 0o755);
  return dir;
}

/** aptInstall(packages) in a child process with the stand-ins first on PATH and its own lock file. */
function install(dir: string, packages: string[]) {
  const script = `const { aptInstall } = await import(${JSON.stringify(path.join(ROOT, "scripts", "apt.js"))});
    console.log(JSON.stringify(aptInstall(${JSON.stringify(packages)}, ["ignore", "ignore", "inherit"])));`;
  return runNode(["--input-type=module", "-e", script], { timeoutMs: 60_000, env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, TMPDIR: dir } });
}

/** The stand-in apt-get's calls as [start, end] pairs, in the order they started; fails if two overlap. */
function turns(dir: string): string[] {
  const calls: string[] = [];
  let open: string | null = null;
  for (const line of readFileSync(path.join(dir, "log"), "utf8").trim().split("\n")) {
    const [what, pid, ...args] = line.split(" ");
    if (what === "start") {
      expect(open, `apt-get ${args.join(" ")} started while ${open} ran`).toBeNull();
      open = `${pid} ${args.join(" ")}`;
      calls.push(args.filter((a) => !a.startsWith("-o") && !a.includes("=")).join(" "));
    } else {
      expect(open?.startsWith(`${pid} `)).toBe(true);
      open = null;
    }
  }
  return calls;
}

describe.skipIf(!canInstall)("package installs (scripts/apt.js)", () => {
  it("take turns: three at once never overlap, and what a turn installed is not installed again", async () => {
    const dir = standIns(0);
    const results = await Promise.all([install(dir, ["wabt"]), install(dir, ["chromium"]), install(dir, ["wabt"])]);
    for (const r of results) expect(r.stdout.trim(), r.stderr).toBe("null");
    const calls = turns(dir);
    // wabt once and chromium once, each an update then its install; the second asker of wabt found it installed.
    expect(calls.filter((c) => c.startsWith("update")).length).toBe(2);
    expect(calls.filter((c) => c.startsWith("install")).sort()).toEqual(["install -y --no-install-recommends chromium", "install -y --no-install-recommends wabt"]);
  }, 90_000);

  it("try apt-get update again while apt's lists lock is held elsewhere", async () => {
    const dir = standIns(2);
    const r = await install(dir, ["wrk"]);
    expect(r.stdout.trim(), r.stderr).toBe("null");
    expect(turns(dir)).toEqual(["update", "update", "update", "install -y --no-install-recommends wrk"]);
  }, 90_000);
});
