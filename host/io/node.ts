// The I/O host for Node: the web host's stdio, delays and URLs, plus files and directories (files.ts) and
// TCP (net.ts), in the three modes (assembly/sys/io.ts): async with Node's own I/O, blocking on this thread,
// offload on helper Workers (pool.ts). Access is granted, never assumed (grants.ts).

import { ERRNO } from "./abi.js";
import { PENDING, type Answer, type IoContext, type IoRequest } from "./host.js";
import { WebIo, blockFor, type WebIoOptions } from "./web.js";
import { OffloadPool } from "./pool.js";
import { Grants } from "./grants.js";
import { FileOps } from "./files.js";
import { NetOps } from "./net.js";
import type { NodeServices } from "./services.js";
import type { DirectSends } from "./direct.js";

export interface NodeIoOptions extends WebIoOptions {
  /** Directories the program may use (and everything under them). None by default. */
  dirs?: string[];
  /** Addresses ("host:port") the program may listen on; port 0 grants any port on that host. */
  listen?: string[];
  /** Addresses the program may connect to. */
  connect?: string[];
  /** Helper Workers for offload mode (default 4). */
  helpers?: number;
}

export class NodeIo extends WebIo implements NodeServices {
  readonly grants: Grants;
  private poolInstance: OffloadPool | null = null;
  readonly files: FileOps;
  readonly net: NetOps;

  constructor(readonly options: NodeIoOptions = {}) {
    super(options);
    this.grants = new Grants(options);
    this.files = new FileOps(this);
    this.net = new NetOps(this);
  }

  /** The descriptor table (shared by files, sockets and the web host's URLs). */
  get table() { return this.fds; }

  /** The offload helpers, started on first use. */
  get pool(): OffloadPool {
    this.poolInstance ??= new OffloadPool(this.options.helpers ?? 4);
    return this.poolInstance;
  }

  /** Runs a synchronous operation in offload mode and completes `req` with its answer; `then` may turn the
   *  answer into the result (e.g. copy the bytes read into linear memory). */
  offload(req: IoRequest, ctx: IoContext, op: string, args: unknown,
    then: (a: { result: number; data?: Uint8Array }) => number = (a) => a.result): Answer {
    this.pool.run(op, args).then(
      (a) => ctx.complete(req.addr, a.result < 0 ? a.result : then(a)),
      () => ctx.complete(req.addr, -ERRNO.EIO),
    );
    return PENDING;
  }

  submit(req: IoRequest, ctx: IoContext): Answer {
    switch (req.op) {
      case "open": case "stat": case "readdir": case "unlink": case "mkdir":
        if (req.op === "open" && /^https?:\/\//.test(ctx.text(req.ptr, req.len))) return super.submit(req, ctx);
        return this.files.submit(req, ctx);
      case "listen": case "accept": case "connect": case "shutdown": case "address":
        return this.net.submit(req, ctx);
      case "read": case "write": case "close": {
        const r = this.fds.get(req.fd);
        if (!r) return -ERRNO.EBADF;
        if (r.kind === "socket" || r.kind === "server") return this.net.submit(req, ctx);
        if (r.kind === "url" || r.kind === "pipe" || (r.kind === "stdio" && req.op === "write")) return super.submit(req, ctx);
        return this.files.submit(req, ctx);
      }
      case "delay":
        if (req.mode === "offload") {
          if (!(req.arg >= 0)) return -ERRNO.EINVAL;
          return this.offload(req, ctx, "delay", { ms: req.arg });
        }
        if (req.mode === "blocking") { if (!(req.arg >= 0)) return -ERRNO.EINVAL; blockFor(req.arg); return 0; }
        return super.submit(req, ctx);
    }
    return super.submit(req, ctx);
  }

  /** A blocking-mode call that must not block this thread (host.ts, IoHost.unblocked): the same call in
   *  offload mode, which makes the same system call on a helper (files, stdin) or in the net helper where
   *  blocking sockets live (net.ts); a delay becomes a timer. Calls whose blocking form never waits stay
   *  as they are, so they answer as in N:1: stdio writes, addresses, URLs (ENOTSUP: fetch cannot block),
   *  and accept, read or write on a socket of this thread (ENOTSUP, net.ts). */
  unblocked(req: IoRequest, ctx: IoContext): IoRequest {
    const offload: IoRequest = { ...req, mode: "offload" };
    switch (req.op) {
      case "delay": return { ...req, mode: "async" };
      case "address": return req;
      case "open": return /^https?:\/\//.test(ctx.text(req.ptr, req.len)) ? req : offload;
      case "read": case "write": case "accept": case "close": case "shutdown": {
        const r = this.fds.get(req.fd);
        if (!r || r.kind === "stdio" && req.op !== "read" || r.kind === "url") return req;
        if ((r.kind === "socket" || r.kind === "server") && r.where === "here") return req;
        return offload;
      }
    }
    return offload;
  }

  /** Shared runs: processors write to this thread's connections themselves (direct.ts). */
  offerSends(sends: DirectSends): boolean { this.net.offer(sends); return true; }

  turn(): Promise<void> { return new Promise((resolve) => setImmediate(resolve)); }

  async close(): Promise<void> {
    await super.close();
    await this.net.close();
    await this.files.close();
    await this.poolInstance?.close();
  }
}
