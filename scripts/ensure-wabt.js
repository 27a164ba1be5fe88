// ensure-wabt: makes sure a weft module can be turned into a native program here (examples/embed-c).
//
// examples/embed-c/build.sh needs Debian's wabt, whose wasm2c and runtime belong together (the C that
// wasm2c writes and the runtime's headers must be of one wabt version), and a C compiler:
//   1. /usr/bin/wasm2c, /usr/bin/wasm2wat, /usr/bin/wat2wasm and /usr/bin/wasm-objdump;
//   2. the wasm2c runtime: /usr/include/wasm-rt.h, /usr/share/wabt/wasm2c/wasm-rt-impl.c and
//      wasm-rt-impl.h;
//   3. gcc.
// If something is missing and we are root on a machine with apt-get, this script installs the Debian
// package that has it (scripts/apt.js: apt-get update, then apt-get install -y --no-install-recommends
// wabt or gcc, non-interactive, taking turns with the project's other installs) and says so. Not root,
// or no apt-get: it fails, naming what is missing.
// When everything is present it prints nothing and exits 0 at once, so build.sh can call it every time.
// On failure it prints one line, `ensure-wabt: what went wrong`, and exits 1.

import { existsSync } from "node:fs";
import { aptInstall } from "./apt.js";

const WABT_FILES = [
  "/usr/bin/wasm2c",
  "/usr/bin/wasm2wat",
  "/usr/bin/wat2wasm",
  "/usr/bin/wasm-objdump",
  "/usr/include/wasm-rt.h",
  "/usr/share/wabt/wasm2c/wasm-rt-impl.c",
  "/usr/share/wabt/wasm2c/wasm-rt-impl.h",
];
const GCC = "/usr/bin/gcc";

function fail(message) {
  console.error(`ensure-wabt: ${message}`);
  process.exit(1);
}

/** The Debian packages to install for what is missing (empty: nothing is). */
function missingPackages() {
  const packages = [];
  const missingWabt = WABT_FILES.filter((f) => !existsSync(f));
  if (missingWabt.length) packages.push({ name: "wabt", missing: missingWabt });
  if (!existsSync(GCC)) packages.push({ name: "gcc", missing: [GCC] });
  return packages;
}

const wanted = missingPackages();
if (wanted.length) {
  const names = wanted.map((p) => p.name);
  const missing = wanted.flatMap((p) => p.missing).join(", ");
  if (process.platform !== "linux" || !existsSync("/usr/bin/apt-get")) {
    fail(`${missing} missing and there is no apt-get to install them (Debian packages: ${names.join(" ")})`);
  }
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    fail(`${missing} missing; install them as root: apt-get install -y ${names.join(" ")}`);
  }
  console.error(`ensure-wabt: ${missing} missing; installing the Debian package${names.length > 1 ? "s" : ""} ${names.join(" ")}`);
  const failure = aptInstall(names, ["ignore", 2, 2]);       // build.sh's stdout stays clean
  if (failure) fail(failure);
  const still = missingPackages().flatMap((p) => p.missing);
  if (still.length) fail(`apt-get installed ${names.join(" ")} but still missing: ${still.join(", ")}`);
  console.error(`ensure-wabt: installed ${names.join(" ")}`);
}
