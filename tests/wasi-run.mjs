// Runs a module built with `weft build --target wasi` as any WASI runtime would: node:wasi and nothing of
// weft's host. `node tests/wasi-run.mjs app.wasm [dir ...]`: each dir is preopened under its own name;
// the exit code is the module's.
import { WASI } from "node:wasi";
import { readFileSync } from "node:fs";

const [file, ...dirs] = process.argv.slice(2);
const wasi = new WASI({
  version: "preview1", args: [file], env: {}, returnOnExit: true,
  preopens: Object.fromEntries(dirs.map((d) => [d, d])),
});
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), wasi.getImportObject());
process.exitCode = wasi.start(instance);
