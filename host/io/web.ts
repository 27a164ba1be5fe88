// The I/O host for any JavaScript engine with web-standard APIs (browsers, and the base of Node's host):
// stdout and stderr, timers, delays, and reading a URL through fetch as a file. Everything else answers
// ENOTSUP: "operation not supported in this host".

import { ERRNO, FLAG_UTF16, O_READ, O_WRITE, O_CREATE, O_TRUNCATE, O_APPEND } from "./abi.js";
import { PENDING, completeCall, type Answer, type IoContext, type IoHost, type IoRequest } from "./host.js";
import { FdTable } from "./fds.js";
import { Pipe, type PipeEnd } from "./pipes.js";

export interface WebIoOptions {
  /** URL prefixes the program may read through open(): e.g. ["https://example.org/data/"]. None by default. */
  fetch?: string[];
  /** Resolves paths that are not URLs (a page passes location.href, so open("data.txt") reads the file
   *  next to the page). Without it such paths are ENOTSUP: there is no file system here. */
  baseUrl?: string;
}

/** What a descriptor of the web host refers to. */
export type WebResource =
  | { kind: "stdio"; fd: number }
  | PipeEnd
  | { kind: "url"; url: string; reader: ReadableStreamDefaultReader<Uint8Array>; chunk: Uint8Array | null; done: boolean };

const decoder = new TextDecoder();

export class WebIo implements IoHost {
  protected readonly fds: FdTable<any> = new FdTable<any>([
    { kind: "stdio", fd: 0 }, { kind: "stdio", fd: 1 }, { kind: "stdio", fd: 2 },
  ]);

  constructor(protected readonly webOptions: WebIoOptions = {}) {}

  submit(req: IoRequest, ctx: IoContext): Answer {
    switch (req.op) {
      case "pipe": return this.pipe(req, ctx);
      case "write": {
        const r = this.fds.get(req.fd);
        if (r?.kind === "pipe") return r.end === "write" ? r.pipe.write(req, ctx) : -ERRNO.EBADF;
        if (r?.kind === "stdio") return r.fd === 0 ? -ERRNO.EBADF : this.writeStdio(req, ctx);   // stdin is read-only
        return r ? -ERRNO.ENOTSUP : -ERRNO.EBADF;
      }
      case "delay": return this.delay(req, ctx);
      case "open": return this.openUrl(req, ctx);
      case "read": {
        const r = this.fds.get(req.fd);
        if (r?.kind === "url") return this.readUrl(r, req, ctx);
        if (r?.kind === "pipe") return r.end === "read" ? r.pipe.read(req, ctx) : -ERRNO.EBADF;
        return r ? -ERRNO.ENOTSUP : -ERRNO.EBADF;
      }
      case "close": {
        const r = this.fds.get(req.fd);
        if (!r) return -ERRNO.EBADF;
        if (r.kind === "url") { r.reader.cancel().catch(() => {}); this.fds.remove(req.fd); return 0; }
        if (r.kind === "pipe") { this.fds.remove(req.fd); r.pipe.close(r.end); return 0; }
        return -ERRNO.ENOTSUP;
      }
    }
    return -ERRNO.ENOTSUP;
  }

  /** The descriptors open now (fork gives each process a table over them: host/kernel/process-io.ts). */
  openDescriptors(): number[] { return [...this.fds.entries()].map(([fd]) => fd); }

  /** IO_OP_PIPE: two descriptors, the read end and the write end, written as two i32 at `ptr`. */
  private pipe(req: IoRequest, ctx: IoContext): Answer {
    if (req.len < 8) return -ERRNO.EINVAL;
    const pipe = new Pipe();
    const read = this.fds.add({ kind: "pipe", end: "read", pipe });
    const write = this.fds.add({ kind: "pipe", end: "write", pipe });
    const view = new DataView(ctx.bytes(req.ptr, 8).buffer, req.ptr, 8);
    view.setInt32(0, read, true);
    view.setInt32(4, write, true);
    return 0;
  }

  /** A blocking delay becomes a timer; nothing else here waits when blocking (host.ts, IoHost.unblocked). */
  unblocked(req: IoRequest, _ctx?: IoContext): IoRequest {
    return req.op === "delay" ? { ...req, mode: "async" } : req;
  }

  turn(): Promise<void> {
    return new Promise((resolve) => {       // a macrotask: the event loop runs its I/O callbacks first
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
      channel.port2.postMessage(0);
    });
  }

  async close(): Promise<void> {
    for (const [fd, r] of this.fds.entries()) {
      if (r.kind === "url") { r.reader.cancel().catch(() => {}); this.fds.remove(fd); }
    }
  }

  protected writeStdio(req: IoRequest, ctx: IoContext): number {
    const text = req.flags & FLAG_UTF16 ? ctx.text(req.ptr, req.len) : decoder.decode(ctx.bytes(req.ptr, req.len));
    ctx.emit(req.fd, text);
    return req.flags & FLAG_UTF16 ? utf8Length(text) : req.len;
  }

  /** A system call that takes `arg` ms: the lab's stand-in for a slow device. */
  protected delay(req: IoRequest, ctx: IoContext): Answer {
    const ms = req.arg;
    if (!(ms >= 0)) return -ERRNO.EINVAL;
    if (req.mode === "blocking") { blockFor(ms); return 0; }
    if (req.mode === "offload") return -ERRNO.ENOTSUP;
    const timer = setTimeout(() => completeCall(req, ctx, 0), ms);
    ctx.cancels?.add(req.addr, { stop: () => clearTimeout(timer) });
    return PENDING;
  }

  private openUrl(req: IoRequest, ctx: IoContext): Answer {
    let url = ctx.text(req.ptr, req.len);
    if (!/^https?:\/\//.test(url)) {
      if (!this.webOptions.baseUrl) return -ERRNO.ENOTSUP;              // no file system here
      try { url = new URL(url, this.webOptions.baseUrl).href; } catch { return -ERRNO.EINVAL; }
    }
    if (req.flags & (O_WRITE | O_CREATE | O_TRUNCATE | O_APPEND) || !(req.flags & O_READ)) return -ERRNO.EACCES;
    if (!(this.webOptions.fetch ?? []).some((prefix) => url.startsWith(prefix))) return -ERRNO.EACCES;
    if (req.mode === "blocking") return -ERRNO.ENOTSUP;                  // fetch cannot block
    fetch(url).then((response) => {
      if (!response.ok || !response.body) {
        ctx.complete(req.addr, response.status === 404 ? -ERRNO.ENOENT : response.status === 403 || response.status === 401 ? -ERRNO.EACCES : -ERRNO.EIO);
        return;
      }
      const fd = this.fds.add({ kind: "url", url, reader: response.body.getReader(), chunk: null, done: false });
      ctx.complete(req.addr, fd);
    }, () => ctx.complete(req.addr, -ERRNO.ECONNREFUSED));
    return PENDING;
  }

  private readUrl(r: Extract<WebResource, { kind: "url" }>, req: IoRequest, ctx: IoContext): Answer {
    const take = (): number => {
      const chunk = r.chunk!;
      const n = Math.min(chunk.length, req.len);
      ctx.bytes(req.ptr, n).set(chunk.subarray(0, n));
      r.chunk = n < chunk.length ? chunk.subarray(n) : null;
      return n;
    };
    if (r.chunk) return take();
    if (r.done) return 0;
    r.reader.read().then(({ value, done }) => {
      if (done || !value) { r.done = true; ctx.complete(req.addr, 0); return; }
      r.chunk = value;
      ctx.complete(req.addr, take());
    }, () => ctx.complete(req.addr, -ERRNO.ECONNRESET));
    return PENDING;
  }
}

/** Stalls this kernel thread for `ms`: what a blocking system call does to every thread on it. */
export function blockFor(ms: number): void {
  const until = performance.now() + ms;
  if (typeof SharedArrayBuffer !== "undefined" && typeof Atomics.wait === "function") {
    try {                                                 // sleeps, where this thread may wait
      const word = new Int32Array(new SharedArrayBuffer(4));
      while (performance.now() < until) Atomics.wait(word, 0, 0, until - performance.now());
      return;
    } catch { /* a browser's main thread may not wait: spin instead */ }
  }
  while (performance.now() < until) { /* spin */ }
}

export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) { n += 4; i++; }
    else n += 3;
  }
  return n;
}
