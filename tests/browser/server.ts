// A static file server for the browser tests: serves one root folder on 127.0.0.1, on a port the kernel
// picks, and nothing outside that folder.
//
// Cross-origin isolation: SharedArrayBuffer (and so weft's M:N mode, several processors on Web Workers)
// exists in a page only when the page is cross-origin isolated, which takes two response headers on the
// document and every subresource:
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
// `crossOriginIsolated: true` sends both on every response (and Cross-Origin-Resource-Policy: same-origin,
// so our own files satisfy require-corp explicitly).
//
// Reports: a test that drives no browser (tests/browser-firefox.test.ts starts Firefox as a plain child
// process) cannot read the page, so the page tells it: page.html?report=/__report/NAME POSTs its result
// as JSON to that path on its own origin, and `onReport` receives NAME and the parsed body. Any other
// POST, or any POST when there is no `onReport`, is refused (405), as before.
//
// The next page: a test that keeps one browser for many pages (tests/browser-firefox.test.ts) cannot tell
// it where to go either, so the browser asks. GET /__next (with `next`, a PageQueue the test fills) is
// held until the test opens a page, then answered with a redirect (303) to it; page.html?then=/__next
// goes there once its report is delivered. The two servers of a test may share one queue: the redirect
// may lead to the other origin.

import http from "node:http";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { AddressInfo } from "node:net";

export interface ServeOptions {
  /** Send COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer available). Default false. */
  crossOriginIsolated?: boolean;
  /** More folders to serve under URL prefixes, e.g. `{ "/build/": tempDir }`, so test outputs need not
   *  live in the served tree. A prefix starts and ends with "/"; the longest matching prefix wins. */
  mounts?: Record<string, string>;
  /** Accept page reports: a POST of JSON to /__report/NAME calls this with NAME and the parsed body, and
   *  is answered 204 (400 if the body is not JSON, 413 if it is larger than REPORT_LIMIT). */
  onReport?: (name: string, report: unknown) => void;
  /** Serve NEXT_PATH: the pages the browser waiting there is sent to, in order (see the top of this file). */
  next?: PageQueue;
}

/** Where page reports are POSTed; what follows it in the path names the report. */
export const REPORT_PATH = "/__report/";

/** Where a browser kept for many pages waits for the next one (ServeOptions.next). */
export const NEXT_PATH = "/__next";

/** The pages a test opens, one after another, in a browser waiting at NEXT_PATH. */
export class PageQueue {
  private urls: string[] = [];
  private waiting: ((url: string) => void)[] = [];

  /** Sends the browser waiting at NEXT_PATH to `url`, now, or when it next asks. */
  open(url: string): void {
    const send = this.waiting.shift();
    if (send) send(url);
    else this.urls.push(url);
  }

  /** Drops the pages no browser has asked for yet (after the browser that would have was closed). */
  clear(): void {
    this.urls = [];
  }

  /** Calls `send` with the next page; returns what stops waiting for it (a no-op once it was sent). */
  take(send: (url: string) => void): () => void {
    const url = this.urls.shift();
    if (url !== undefined) {
      send(url);
      return () => {};
    }
    this.waiting.push(send);
    return () => {
      const at = this.waiting.indexOf(send);
      if (at >= 0) this.waiting.splice(at, 1);
    };
  }
}

/** The largest report body taken (bytes): a page's result with its output is a few kilobytes. */
const REPORT_LIMIT = 1 << 20;

export interface Server {
  /** `http://127.0.0.1:PORT` with no trailing slash. */
  url: string;
  close(): Promise<void>;
}

const MIME_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
};

/** The file under `root` that `urlPath` names, or null if the path is malformed or escapes `root`. */
function resolveInside(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const file = path.resolve(root, "." + path.posix.normalize("/" + decoded));
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  return file;
}

/** Reads a request's body as text, or null once it passes `limit` bytes (the rest is not read). */
function readBody(request: http.IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners("data");
        request.resume();
        resolve(null);
      } else {
        chunks.push(chunk);
      }
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function reply(response: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders, body: string) {
  response.writeHead(status, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
  response.end(body);
}

/** Serves `root` (an existing folder) until close() is called. */
export async function serve(root: string, options: ServeOptions = {}): Promise<Server> {
  const base = path.resolve(root);
  if (!(await stat(base)).isDirectory()) throw new Error(`serve: ${base} is not a folder`);
  const mounts = Object.entries(options.mounts ?? {})
    .map(([prefix, folder]) => ({ prefix, folder: path.resolve(folder) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  for (const { prefix, folder } of mounts) {
    if (!/^\/.*\/$/.test(prefix)) throw new Error(`serve: mount prefix ${prefix} must start and end with /`);
    if (!(await stat(folder)).isDirectory()) throw new Error(`serve: ${folder} is not a folder`);
  }
  /** The file a URL path names, or null if it escapes its folder. */
  const locate = (urlPath: string): string | null => {
    const mount = mounts.find(({ prefix }) => urlPath.startsWith(prefix));
    return mount ? resolveInside(mount.folder, urlPath.slice(mount.prefix.length - 1)) : resolveInside(base, urlPath);
  };
  const common: http.OutgoingHttpHeaders = { "Cache-Control": "no-store" };
  if (options.crossOriginIsolated) {
    common["Cross-Origin-Opener-Policy"] = "same-origin";
    common["Cross-Origin-Embedder-Policy"] = "require-corp";
    common["Cross-Origin-Resource-Policy"] = "same-origin";
  }

  /** A page's report (see the top of this file). */
  const takeReport = async (request: http.IncomingMessage, response: http.ServerResponse, name: string) => {
    let body: string | null;
    try {
      body = await readBody(request, REPORT_LIMIT);
    } catch {
      return response.destroy();
    }
    if (body === null) return reply(response, 413, common, "report too large\n");
    let report: unknown;
    try {
      name = decodeURIComponent(name);
      report = JSON.parse(body);
    } catch {
      return reply(response, 400, common, "a report is JSON, under a well-formed name\n");
    }
    options.onReport!(name, report);
    response.writeHead(204, common);
    response.end();
  };

  const server = http.createServer(async (request, response) => {
    if (request.method === "POST" && options.onReport) {
      const urlPath = new URL(request.url ?? "/", "http://localhost").pathname;
      if (urlPath.startsWith(REPORT_PATH)) return takeReport(request, response, urlPath.slice(REPORT_PATH.length));
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return reply(response, 405, { ...common, Allow: "GET, HEAD" }, "method not allowed\n");
    }
    const urlPath = new URL(request.url ?? "/", "http://localhost").pathname;
    if (urlPath === NEXT_PATH && options.next) {
      // Held until the test opens a page; a browser that goes away stops waiting (close: also after the answer).
      const stop = options.next.take((url) => {
        response.writeHead(303, { ...common, Location: url });
        response.end();
      });
      response.once("close", stop);
      return;
    }
    let file = locate(urlPath);
    if (file === null) return reply(response, 403, common, "forbidden\n");
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        file = path.join(file, "index.html");
        info = await stat(file);
      }
      if (!info.isFile()) return reply(response, 404, common, "not found\n");
      response.writeHead(200, {
        ...common,
        "Content-Type": MIME_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
        "Content-Length": info.size,
      });
      if (request.method === "HEAD") return response.end();
      createReadStream(file)
        .on("error", () => response.destroy())
        .pipe(response);
    } catch {
      reply(response, 404, common, "not found\n");
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
