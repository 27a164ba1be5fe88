// Helper Workers for offload mode: each takes one synchronous system call at a time (sync-ops.ts) and
// blocks in it, so only the weft thread that asked waits. Started on first use; `size` at most; a call
// that finds every helper busy waits in a FIFO queue (as a thread pool's callers do).

import { Worker } from "node:worker_threads";
import type { SyncAnswer } from "./sync-ops.js";

interface Task { op: string; args: unknown; resolve: (a: SyncAnswer) => void; reject: (e: Error) => void }

export class OffloadPool {
  private idle: Worker[] = [];
  private busy = new Map<Worker, Task>();
  private queue: Task[] = [];
  private started = 0;
  private closed = false;

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new Error(`offload pool: size must be at least 1, got ${size}`);
  }

  /** Runs SYNC_OPS[op](args) on a helper. */
  run(op: string, args: unknown): Promise<SyncAnswer> {
    if (this.closed) return Promise.reject(new Error("offload pool: closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ op, args, resolve, reject });
      this.dispatch();
    });
  }

  /** Helpers started so far. */
  get workers(): number { return this.started; }

  private dispatch(): void {
    while (this.queue.length) {
      let w = this.idle.pop();
      if (!w) {
        if (this.started >= this.size) return;
        w = this.spawn();
      }
      const task = this.queue.shift()!;
      this.busy.set(w, task);
      w.postMessage({ op: task.op, args: task.args });
    }
  }

  private spawn(): Worker {
    // execArgv: [] — under `node -e` a helper would run that script instead. trackUnmanagedFds: false — a
    // descriptor a helper opens is the program's (any thread may close it); Node would close the number
    // again when the helper exits, by then perhaps someone else's.
    const w = new Worker(new URL("./pool-worker.js", import.meta.url), { execArgv: [], trackUnmanagedFds: false });
    this.started++;
    w.unref();
    w.on("message", (answer: SyncAnswer) => {
      const task = this.busy.get(w)!;
      this.busy.delete(w);
      this.idle.push(w);
      task.resolve(answer);
      this.dispatch();
    });
    w.on("error", (e) => {                      // the helper died: its task fails, a new one replaces it
      const task = this.busy.get(w);
      this.busy.delete(w);
      this.started--;
      task?.reject(e);
      this.dispatch();
    });
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue) t.reject(new Error("offload pool: closed"));
    this.queue = [];
    // A helper blocked in read(2) ends only with the call, so busy ones are not waited for (they are unref'd).
    for (const w of this.busy.keys()) void w.terminate();
    const idle = this.idle;
    this.idle = [];
    await Promise.all(idle.map((w) => w.terminate()));
  }
}
