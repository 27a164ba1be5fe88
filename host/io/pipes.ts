// Pipes (IO_OP_PIPE): a byte channel with a read end and a write end, each a descriptor, in any host
// (web.ts gives them to every I/O host). Across fork both processes hold both ends, and each closes what it
// does not use (host/kernel/process-io.ts keeps a descriptor table per process over the host's).
//
// Read: the bytes written so far, up to the buffer's size; none yet: the reader waits (only its thread:
// the request is pending), until a write or the last write end's close (then 0: the end of the file).
// Write: all of it is kept (a pipe here has no capacity limit, so a writer never waits); with no read end
// left, EPIPE. Readers waiting on one pipe are answered in the order they came.

import { ERRNO, FLAG_UTF16 } from "./abi.js";
import { PENDING, completeCall, type Answer, type IoContext, type IoRequest } from "./host.js";

const encoder = new TextEncoder();

export class Pipe {
  private chunks: Uint8Array[] = [];
  private waiting: { req: IoRequest; ctx: IoContext }[] = [];
  readers = 1;                               // read-end descriptors open
  writers = 1;                               // write-end descriptors open

  read(req: IoRequest, ctx: IoContext): Answer {
    if (this.chunks.length) return this.take(req, ctx);
    if (this.writers === 0) return 0;
    if (req.mode === "blocking") return -ERRNO.ENOTSUP;   // nothing here could ever write while it blocked
    const waiter = { req, ctx };
    this.waiting.push(waiter);
    ctx.cancels?.add(req.addr, { stop: () => { this.waiting = this.waiting.filter((w) => w !== waiter); } });
    return PENDING;
  }

  write(req: IoRequest, ctx: IoContext): Answer {
    if (this.readers === 0) return -ERRNO.EPIPE;
    // Text (writeString: UTF-16 code units) goes in as UTF-8, as it does to a file or stdout.
    const bytes = req.flags & FLAG_UTF16 ? encoder.encode(ctx.text(req.ptr, req.len)) : ctx.bytes(req.ptr, req.len).slice();
    if (bytes.length) this.chunks.push(bytes);
    this.serve();
    return bytes.length;
  }

  /** One end's descriptor closed. */
  close(end: "read" | "write"): void {
    if (end === "read") this.readers--;
    else this.writers--;
    if (this.writers === 0) this.serve();
  }

  private take(req: IoRequest, ctx: IoContext): number {
    let n = 0;
    const into = ctx.bytes(req.ptr, req.len);
    while (n < req.len && this.chunks.length) {
      const chunk = this.chunks[0];
      const k = Math.min(chunk.length, req.len - n);
      into.set(chunk.subarray(0, k), n);
      n += k;
      if (k < chunk.length) this.chunks[0] = chunk.subarray(k);
      else this.chunks.shift();
    }
    return n;
  }

  /** Answers waiting readers while there are bytes (or, once no writer is left, with the end). */
  private serve(): void {
    while (this.waiting.length && (this.chunks.length || this.writers === 0)) {
      const { req, ctx } = this.waiting.shift()!;
      completeCall(req, ctx, this.chunks.length ? this.take(req, ctx) : 0);
    }
  }
}

/** The pipe's resource kinds in a descriptor table. */
export type PipeEnd = { kind: "pipe"; end: "read" | "write"; pipe: Pipe };
