// Answers to a program's pending requests, on their way into the core's completion ring (assembly/sys/
// io.ts): each answer is written into its request and the request's address appended to the ring; while
// the ring is full, addresses wait here in order, and the loop's host moves them in before each call of
// the loop (flush). The ring is found once, at the first answer (the core makes it at start-up).

import type { Exports } from "./module.js";
import type { MemoryView } from "../io/view.js";
import { writeResult, pushCompletion, pushCompletions } from "./requests.js";

export class Completions {
  private ringAt = 0;
  private readonly backlog: number[] = [];   // answered, waiting for room in the ring

  constructor(private readonly core: () => Exports, private readonly memory: () => MemoryView) {}

  /** The core's completion ring (its address). */
  ring(): number {
    if (!this.ringAt) this.ringAt = this.core().weft_io_ring();
    return this.ringAt;
  }

  /** Answers request `addr` with `result`: written into it, then into the ring behind any backlog. */
  complete(addr: number, result: number): void {
    const memory = this.memory();
    writeResult(memory, addr, result);
    if (this.backlog.length || !pushCompletion(memory, this.ring(), addr)) {   // behind the backlog, in order
      this.backlog.push(addr);
      this.flush();
    }
  }

  /** Moves waiting answers into the ring while it has room. */
  flush(): void {
    if (this.backlog.length) pushCompletions(this.memory(), this.ring(), this.backlog);
  }

  /** Whether answers wait for room in the ring (the loop must run before the host sleeps). */
  get waiting(): boolean { return this.backlog.length > 0; }
}
