// `npm run web`: builds examples/web/app.ts twice with weft's build API — plain, for run() on the page's
// main thread (N:1), and with `shared: true`, for runShared on processors — and serves the page that draws
// its threads, on http://127.0.0.1:8080/ (`-- --port N`; 0: any free port). Needs the host built (dist/:
// `npm install` or `npm run build`).
//
// What is served, and nothing else:
//   /                      index.html, and beside it page.js, readings.js, lanes.js, checksum.js and
//                          app.ts (to read);
//   /dist/host/...         weft's host build (the page imports /dist/host/index.js; runShared's Workers
//                          load their scripts beside it);
//   /app.wasm, /app-shared.wasm   the two builds, from memory.
// Every response carries Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
// require-corp, which make the page cross-origin isolated: only then may it share a WebAssembly.Memory
// with Workers, which processors need (host/mn/run.ts). `--no-isolation` leaves them out, to see the page
// as a plain server would show it (N:1 only).
//
// Builds use weft's build cache (node_modules/.cache/weft): the first `npm run web` takes a cold build's
// few seconds per module, the next ones about 0.1 s. tests/web-example.test.ts imports startServer and
// gives it modules it built itself.

import http from "node:http";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const HOST_DIST = path.join(ROOT, "dist", "host");

/** The page's own files, by URL path. */
const PAGE_FILES = {
  "/": "index.html", "/index.html": "index.html", "/page.js": "page.js", "/lanes.js": "lanes.js",
  "/readings.js": "readings.js", "/checksum.js": "checksum.js", "/app.ts": "app.ts",
};

const MIME_TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".map": "application/json; charset=utf-8",
  ".ts": "text/plain; charset=utf-8", ".wasm": "application/wasm",
};

/** Builds app.ts plain and shared (weft's build API, through its cache). */
export async function buildApp() {
  const { build } = await import(pathToFileURL(path.join(HOST_DIST, "compiler", "build.js")).href);
  const entry = path.join(HERE, "app.ts");
  const plain = (await build(entry, { cache: true })).wasm;
  const shared = (await build(entry, { cache: true, shared: true })).wasm;
  return { plain, shared };
}

/** The file under dist/host that a /dist/host/... path names, or null if it escapes it. */
function hostFile(urlPath) {
  let decoded;
  try { decoded = decodeURIComponent(urlPath.slice("/dist/host".length)); } catch { return null; }
  const file = path.resolve(HOST_DIST, "." + path.posix.normalize("/" + decoded));
  return file.startsWith(HOST_DIST + path.sep) && !decoded.includes("\0") ? file : null;
}

/** What a GET of `urlPath` answers: { body, type } or null (404). */
async function lookup(urlPath, wasm) {
  if (urlPath === "/app.wasm") return { body: wasm.plain, type: MIME_TYPES[".wasm"] };
  if (urlPath === "/app-shared.wasm") return { body: wasm.shared, type: MIME_TYPES[".wasm"] };
  const own = PAGE_FILES[urlPath];
  const file = own ? path.join(HERE, own) : urlPath.startsWith("/dist/host/") ? hostFile(urlPath) : null;
  if (!file) return null;
  const type = MIME_TYPES[path.extname(file)];
  if (!type || !(await stat(file).catch(() => null))?.isFile()) return null;
  return { body: await readFile(file), type };
}

/** Serves the page with the builds `wasm` ({ plain, shared }: module bytes) on host:port until close().
 *  `isolated` (default true) sends the cross-origin isolation headers. Resolves to { url, close }. */
export async function startServer({ wasm, port = 8080, host = "127.0.0.1", isolated = true }) {
  const common = { "Cache-Control": "no-store", "Cross-Origin-Resource-Policy": "same-origin" };
  if (isolated) Object.assign(common, { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" });
  const server = http.createServer(async (request, response) => {
    const answer = request.method === "GET" || request.method === "HEAD"
      ? await lookup(new URL(request.url ?? "/", "http://localhost").pathname, wasm).catch(() => null) : null;
    if (!answer) {
      response.writeHead(404, { ...common, "Content-Type": "text/plain; charset=utf-8" });
      return response.end("not found\n");
    }
    response.writeHead(200, { ...common, "Content-Type": answer.type, "Content-Length": answer.body.length });
    response.end(request.method === "HEAD" ? undefined : answer.body);
  });
  await new Promise((resolve, reject) => { server.once("error", reject); server.listen(port, host, resolve); });
  const url = `http://${host}:${server.address().port}/`;
  const close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return { url, close };
}

/** `node examples/web/serve.mjs [--port N] [--no-isolation]`. */
async function main(args) {
  if (!existsSync(path.join(HOST_DIST, "index.js"))) {
    console.error("serve: weft's host is not built (dist/host): run `npm run build` first");
    process.exit(1);
  }
  const at = args.indexOf("--port");
  const port = at >= 0 ? Number(args[at + 1]) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) { console.error("serve: --port takes 0..65535"); process.exit(1); }
  console.log("building examples/web/app.ts (plain and shared) ...");
  const wasm = await buildApp();
  const server = await startServer({ wasm, port, isolated: !args.includes("--no-isolation") }).catch((error) => {
    console.error(`serve: cannot listen on port ${port}: ${error.message}${error.code === "EADDRINUSE" ? " (try --port 0)" : ""}`);
    process.exit(1);
  });
  console.log(`weft's threads, live: open ${server.url}   (Ctrl-C stops the server)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error) => { console.error(`serve: ${error.stack ?? error}`); process.exit(1); });
}
