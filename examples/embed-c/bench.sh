#!/usr/bin/env bash
# bench.sh: the switch-cost benchmarks as native programs.
#
#   examples/embed-c/bench.sh [runs]
#
# Builds bench/programs/yield.ts and bench/programs/channel.ts with weft (dist/host/cli.js: run
# `npx tsc -p tsconfig.json` first if dist is stale), turns each into a native program with build.sh, and
# runs each `runs` times (default 1). Every run prints the program's lines with `c_` in front, on stdout:
#   c_yield_d1 <ns per switch, call depth 1>
#   c_yield_d10 <ns per switch, call depth 10>
#   c_channel_roundtrip <ns per round trip over two unbuffered channels>
# Anything else (the builds, a failure) goes to stderr; a failed build or run ends it with exit code 1.
set -euo pipefail

runs=${1:-1}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-embed-c-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

for program in yield channel; do
  node "$root/dist/host/cli.js" build "$root/bench/programs/$program.ts" -o "$work/$program.wasm" >&2
  "$here/build.sh" "$work/$program.wasm" "$work/$program"
done
for ((i = 0; i < runs; i++)); do
  for program in yield channel; do
    "$work/$program" | sed 's/^/c_/'
  done
done
