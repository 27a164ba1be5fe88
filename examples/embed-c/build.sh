#!/usr/bin/env bash
# build.sh: turns an N:1 weft module into a native program.
#
#   examples/embed-c/build.sh app.wasm out-binary [compiler options...]
#
# app.wasm is what `weft build` writes (not --target wasi, not --shared). The steps:
#   1. scripts/ensure-wabt.js: Debian's wabt (wasm2c and its runtime, wasm2wat, wat2wasm) and gcc, installed
#      with apt-get when missing and run as root;
#   2. wasm2wat, then lower-atomics.mjs, then wat2wasm: the module's atomic instructions become plain
#      ones (its memory is not shared and one processor runs it, so they mean the same), because
#      Debian's wasm2c 1.0.32 has no threads feature;
#   3. wasm2c (module id `app`) writes app.c and app.h;
#   4. gcc -O2 compiles app.c, the runtime (wasm-rt-impl.c) and weft_host.c, the kernel, into out-binary.
# Options after the two paths go to every compile, e.g. -DWEFT_HOST_ABI_VERSION=10 (a host of another
# ABI version, which refuses the module). CC overrides the compiler (default gcc).
# Prints nothing on success but what the installer says (on stderr); on failure, what went wrong.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 app.wasm out-binary [compiler options...]" >&2
  exit 2
fi
module=$1
out=$2
shift 2

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runtime=/usr/share/wabt/wasm2c          # wasm-rt-impl.c and .h; wasm-rt.h is in /usr/include
cc=${CC:-gcc}
# Debian's tools by their paths: npm's wabt (1.0.39, a devDependency) puts another wasm2c first on the
# PATH of npm scripts and vitest, and its C does not fit the 1.0.32 runtime.
wabt=/usr/bin

if [ ! -f "$module" ]; then
  echo "build.sh: no module at $module" >&2
  exit 1
fi

node "$root/scripts/ensure-wabt.js"

# The generated C and the runtime must be of one wabt version, and weft_host.c uses 1.0.32's names.
version=$("$wabt/wasm2c" --version)
if [ "$version" != "1.0.32" ]; then
  echo "build.sh: wasm2c is version $version; weft_host.c is written for wabt 1.0.32's wasm2c and runtime (Debian 12's wabt)" >&2
  exit 1
fi

# A program's own imports become calls through a table (ABI.md, "Host functions"); this host has no
# functions to give, so such a module is refused here rather than when its first call fails.
if "$wabt/wasm-objdump" -h "$module" | grep -q '"weft.calls"'; then
  echo "build.sh: $module calls host functions (its weft.calls section); the C host has none to give it" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/weft-embed-c.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$wabt/wasm2wat" --enable-threads "$module" -o "$work/app.wat"
node "$here/lower-atomics.mjs" "$work/app.wat" "$work/plain.wat"
"$wabt/wat2wasm" "$work/plain.wat" -o "$work/plain.wasm"
"$wabt/wasm2c" "$work/plain.wasm" -n app -o "$work/app.c"

# The generated C is compiled without warnings (it is not ours); the kernel with them.
"$cc" -O2 -std=gnu11 -w -I"$runtime" -c "$work/app.c" -o "$work/app.o" "$@"
"$cc" -O2 -std=gnu11 -w -I"$runtime" -c "$runtime/wasm-rt-impl.c" -o "$work/wasm-rt-impl.o" "$@"
"$cc" -O2 -std=gnu11 -Wall -Wextra -I"$work" -I"$runtime" -I"$root" -c "$here/weft_host.c" -o "$work/weft_host.o" "$@"
"$cc" -O2 "$work/app.o" "$work/wasm-rt-impl.o" "$work/weft_host.o" -o "$out" -lm
