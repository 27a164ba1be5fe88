// I/O for shared runs (M:N and 1:1): every processor's system calls, performed by one I/O owner — but for
// writes to sockets, which a processor sends itself while the kernel takes them (host/io/direct.ts).
//
// Design note
// -----------
// The problem. In N:1 the processor is the JS thread that holds the I/O host (runner.ts): io_submit
// decodes the request and calls the host, whose callbacks run while the loop is out. In a shared run each
// processor is a Worker, and a thread may open a descriptor on one processor, migrate, and use it on
// another: the descriptor table is the program's. Sockets are worse: a Node socket belongs to the event
// loop that made it, so a socket opened on processor 0's Worker could not be read from processor 1's.
//
// Rejected: an I/O host per processor (descriptors and sockets would belong to a processor; a migrated
// thread would find EBADF); pinning a thread to the processor of its first call (defeats work stealing,
// and a listener's connections all pile onto one processor); answering each call by postMessage (one
// event-loop task per call on both sides and a structured clone per request; the queue below batches:
// the owner takes every queued submission per wake, and a processor rings only when the owner sleeps).
//
// Chosen: one I/O owner, the JS thread that called runShared, holds the one IoHost (Node's NodeIo, a
// browser's WebIo), so descriptors and sockets are the program's and any processor may use them. A
// processor never waits for it, except in blocking mode, on purpose:
//   processor ── io_submit ──▶ its submission queue (below) ──▶ owner: decode, IoHost.submit ... done
//       ▲  the thread parks (PENDING); the processor runs others or sleeps                          │
//       └── wake (if asleep) ◀── the processor's completion ring ◀── result + address ◀──────────────┘
//
// Submission queues. A SharedArrayBuffer of Int32 words (not linear memory: no ABI change), one
// single-producer single-consumer queue per processor (its Worker produces, the owner consumes):
//
//   header   0 doorbell    bumped by a processor that queued while the owner sleeps (Atomics.notify)
//            1 asleep      1 while the owner waits on the doorbell
//            2 slots       queues (processors the run may have)
//            3 capacity    entries per queue, a power of two
//   queue p at HEADER + p * (QUEUE_HEADER + capacity):
//            0 head        next entry the owner takes (owner writes)
//            1 tail        next entry the processor writes (processor writes)
//            2 answered    blocking mode: 0 while the processor waits, 1 once answered (owner sets)
//            3 ring        the processor's completion ring (processor writes; core/completion.ts)
//            4 word        the processor's wake word      ┐ addresses in linear memory, from
//            5 flag        the processor's asleep flag    │ weft_processor_idle (written by the
//            6 idleCount   the processors' idle count     ┘ processor when it enters)
//            8 entries     two words each: a request's address, and the bytes a direct send wrote of it
//                          before leaving the rest to the owner (host/io/direct.ts; 0 for other calls),
//                          or -1: interrupt that request if it still waits (a signal: IO_OP_CANCEL)
// Access rule: every word through Atomics. head and tail count up forever (mod 2^32).
//
// Submission protocol (IoClient.submit, on the processor's Worker):
//   0. a write to a socket the owner offered for direct sends is made here, and answered at once unless
//      the kernel took only part of it (host/io/direct.ts); the rest goes on as any call; an accept on a
//      listener whose accept ring holds a connection takes it here (host/io/ahead.ts), and a read of a
//      connection Node does not read yet is made here (host/io/direct.ts, "Direct reads");
//   1. store the request's address at tail, then store tail + 1 (a full queue: wait for the owner);
//   2. if the owner's asleep word is 1 and this processor exchanges it to 0: bump the doorbell and notify —
//      but for a read of a socket the owner says is quiet, which it takes when the socket's state changes
//      (host/io/direct.ts, "Quiet reads");
//   3. async or offload mode: return PENDING (the thread parks; sys/io.ts). Blocking mode: wait on
//      `answered` until the owner sets it, and return DONE: only this processor stalls.
// The owner (IoOwner.serve): take every queued entry and submit it; let the event loop run
// (IoHost.turn) and look again while there was work; else read the doorbell, store asleep = 1, look at
// every queue once more, and only then Atomics.waitAsync on the doorbell. Step 1 stores, step 2 loads;
// the owner stores asleep, then loads the tails: either the processor sees asleep or the owner sees the
// entry, so no submission waits for a wake that never comes.
//
// Completion protocol (IoOwner.complete; the core's half is assembly/core/processor.ts, "I/O completions"):
//   1. write the result (Atomics.store);
//   2. blocking mode: store answered = 1 and notify; done;
//   3. append the address to the ring of the processor that submitted it (its queue says which), storing
//      the tail last (requests.ts, pushCompletions); a full ring keeps it in a backlog retried every
//      BACKLOG_RETRY_MS (the processor drains its ring on every turn of its loop while I/O is pending);
//   4. after the store of step 3, read the processor's asleep flag; if set and this exchange clears it,
//      take it off idleCount, bump its wake word and notify — the pusher's half of the idle protocol.
// The processor's last look before it sleeps reads its ring's tail, after marking itself asleep. The
// request stays with the processor that submitted it, so its ioPending count (per processor) and the
// program's inFlight count (deadlock check) are decremented by the drain that makes the thread runnable.
// Rejected (measured 2026-12-07): step 3 giving a sleeping processor the completion whose own processor is
// awake with completions it has not drained (it runs a thread, and drains between threads). The drain
// may then come before the thread has parked — its own processor drains only once it has switched out —
// so the request's status word would have to settle it, as a channel's parker word does; and it bought
// nothing: bench/programs/http_work.ts on 2 processors, where it moved ~10% of the completions, served
// 6,318, 6,208, 6,221 and 5,074 requests/s against 6,452, 7,411, 6,781 and 5,443 without it (alternating;
// the server used 1.77-1.82 cores either way, all that wrk left of two). A thread that waits alone behind
// one that computes is drained at that processor's next tick (1 ms) and stolen by a sleeper woken for it,
// which then gets its next completions.
//
// Blocking mode. "Stall only the caller's processor": the processor waits (step 3), and the owner, which
// serves every processor, must not stall, so it performs the call through IoHost.unblocked: the same
// system call on a helper (offload), a delay as a timer; calls whose blocking form never waits (or fails
// with ENOTSUP at once) stay as they are, so errors are N:1's. Cost: a collection waits for a processor
// in a blocking call (it reaches no safepoint), as for any long host call.
//
// Shutdown. close() stops the serve loop (it rings its own doorbell), drops answers that come later, and
// closes the IoHost (sockets, files, helpers): the run's Workers are already terminated by then.
//
// Output. Writes to fd 1 and 2 come back through IoContext.emit; whole lines go to `output`, which
// runShared numbers with the same counter as print's lines, so both keep program order.

import { HostCalls, type HostImports } from "./calls.js";
import type { HostCall } from "../abi.js";
import { SUBMIT_DONE, SUBMIT_PENDING, type IoMode } from "../io/abi.js";
import { PENDING, type IoContext, type IoHost } from "../io/host.js";
import { WebIo } from "../io/web.js";
import { IDLE_WORD, IDLE_ASLEEP, IDLE_COUNT } from "../abi.js";
import { decodeRequest, requestMode, submitRequest, writeResult, pushCompletion, pushCompletions } from "./requests.js";
import { trySend, tryRead, quietWord, makeDirectTable, DirectSends, type SendTo, type SocketCalls } from "../io/direct.js";
import { tryAccept } from "../io/ahead.js";
import { readUtf16 } from "./tables.js";
import { MemoryView } from "../io/view.js";
import { ProcessIo } from "./process-io.js";
import { ByRequest, Cancels, type IoRequest, type Answer } from "../io/host.js";
import { ERRNO } from "../io/abi.js";

/** The calls a process family answers (waitpid, kill, args, spawn, exec: host/mn/process.ts). */
const PROCESS_OPS = new Set(["waitpid", "kill", "args", "spawn", "exec"]);
/** One of them, as the family reads it. */
export type ProcessCall = Pick<IoRequest, "op" | "addr" | "fd" | "flags" | "ptr" | "len" | "ptr2" | "len2">;

export type { IoMode, IoHost, SendTo, SocketCalls };
/** For a processor's SendTo: the negated errno of a failed system call. */
export { errnoOf } from "../io/abi.js";

const DOORBELL = 0, OWNER_ASLEEP = 1, SLOTS = 2, CAPACITY = 3, HEADER = 4;
const HEAD = 0, TAIL = 1, ANSWERED = 2, RING = 3, WORD = 4, FLAG = 5, IDLE_COUNT_AT = 6, QUEUE_HEADER = 8;

/** Entries per processor's submission queue in M:N. A queue holds only what the owner has not taken yet
 *  (it takes everything at each wake), so this bounds a burst, not the calls in flight; a processor that
 *  finds it full waits for the owner. 1,024 × 4 bytes per processor. Not configurable. */
const QUEUE_CAPACITY = 1024;
/** 1:1: a processor runs one thread, which has one call out at a time. */
const QUEUE_CAPACITY_ONE_TO_ONE = 4;
/** How often (ms) completions that found a processor's ring full are tried again. Rare: the ring holds
 *  1,024 and the processor drains it at every turn of its loop. Not configurable. */
const BACKLOG_RETRY_MS = 1;

/** The submission queues for `slots` processors (`oneToOne`: smaller queues). */
export function makeSubmissionQueues(slots: number, oneToOne: boolean): Int32Array {
  const capacity = oneToOne ? QUEUE_CAPACITY_ONE_TO_ONE : QUEUE_CAPACITY;
  const words = HEADER + slots * (QUEUE_HEADER + 2 * capacity);
  const shared = new Int32Array(new SharedArrayBuffer(words * 4));
  shared[SLOTS] = slots;
  shared[CAPACITY] = capacity;
  return shared;
}

const queueAt = (shared: Int32Array, p: number) => HEADER + p * (QUEUE_HEADER + 2 * shared[CAPACITY]);

/** A processor's end (in its Worker): the io_submit of a shared run (RunOptions.processor.io). */
export class IoClient {
  private readonly queue: number;
  private readonly memory: MemoryView;

  /** `signal`: called after ringing the doorbell, where the owner cannot Atomics.waitAsync (it then
   *  listens for a message instead). */
  constructor(memory: WebAssembly.Memory, private readonly shared: Int32Array,
    index: number, private readonly fallback: IoMode, private readonly signal?: () => void,
    private readonly direct?: { table: Int32Array } & SocketCalls) {
    if (index < 0 || index >= shared[SLOTS]) throw new Error(`shared I/O: no submission queue for processor ${index}`);
    this.queue = queueAt(shared, index);
    this.memory = new MemoryView(memory);
  }

  /** Once the processor has entered: where the owner wakes it (weft_processor_idle). */
  enter(idle: (field: number, index: number) => number, index: number): void {
    const s = this.shared, q = this.queue;
    Atomics.store(s, q + WORD, idle(IDLE_WORD, index));
    Atomics.store(s, q + FLAG, idle(IDLE_ASLEEP, index));
    Atomics.store(s, q + IDLE_COUNT_AT, idle(IDLE_COUNT, 0));
  }

  /** Submission protocol, steps 1-3. */
  submit(addr: number, ring: number): number {
    let sent = 0;
    if (this.direct) {                                                                      // step 0
      const blockingRun = this.fallback === "blocking";
      const outcome = trySend(this.direct.table, this.memory, addr, this.direct.sendTo, blockingRun);
      if (outcome.answer !== undefined) { writeResult(this.memory, addr, outcome.answer); return SUBMIT_DONE; }
      sent = outcome.sent;
      const conn = sent === 0 ? tryAccept(this.direct.table, this.memory, addr, blockingRun) : -1;
      if (conn >= 0) { writeResult(this.memory, addr, conn); return SUBMIT_DONE; }
      const got = sent === 0 && this.direct.readFrom ? tryRead(this.direct.table, this.memory, addr, this.direct.readFrom, blockingRun) : null;
      if (got !== null) { writeResult(this.memory, addr, got); return SUBMIT_DONE; }
    }
    const s = this.shared, q = this.queue;
    if (Atomics.load(s, q + RING) !== ring) Atomics.store(s, q + RING, ring);
    const blocking = requestMode(this.memory, addr, this.fallback) === "blocking";
    if (blocking) Atomics.store(s, q + ANSWERED, 0);
    this.enqueue(addr, sent, this.direct && !blocking ? quietWord(this.direct.table, this.memory, addr) : -1);
    if (!blocking) return SUBMIT_PENDING;
    while (Atomics.load(s, q + ANSWERED) === 0) Atomics.wait(s, q + ANSWERED, 0);
    return SUBMIT_DONE;
  }

  /** IO_OP_CANCEL: asks the owner to interrupt request `addr` if it still waits (any processor may ask:
   *  the owner knows whose it is). */
  cancel(addr: number): void { this.enqueue(addr, -1, -1); }

  /** Steps 1 and 2 (`quiet`: a read's word in the direct-send table, or -1). */
  private enqueue(addr: number, sent: number, quiet: number): void {
    const s = this.shared, q = this.queue, capacity = s[CAPACITY];
    const tail = Atomics.load(s, q + TAIL);
    for (let head = Atomics.load(s, q + HEAD); ((tail - head) | 0) >= capacity; head = Atomics.load(s, q + HEAD)) {
      this.ring();                                            // full: the owner takes them soon
      Atomics.wait(s, q + HEAD, head, 1);
    }
    const at = q + QUEUE_HEADER + 2 * (tail & (capacity - 1));
    Atomics.store(s, at, addr);
    Atomics.store(s, at + 1, sent);
    Atomics.store(s, q + TAIL, (tail + 1) | 0);
    if (quiet >= 0 && Atomics.load(this.direct!.table, quiet) === 1) return;
    this.ring();
  }

  /** Step 2: wakes the owner if it sleeps. */
  private ring(): void {
    const s = this.shared;
    if (Atomics.load(s, OWNER_ASLEEP) === 0 || Atomics.exchange(s, OWNER_ASLEEP, 0) === 0) return;
    Atomics.add(s, DOORBELL, 1);
    Atomics.notify(s, DOORBELL);
    this.signal?.();
  }
}

export interface IoOwnerOptions {
  /** Performs the calls. Default: the web host (stdio, delays, granted URLs). */
  io?: IoHost;
  /** How a call that names no mode is done (default "async"). */
  ioMode?: IoMode;
  /** Whole lines the program wrote to fd 1 or 2. */
  output: (fd: 1 | 2, line: string) => void;
  /** The module's host functions (calls.ts) and the functions the run gives: the owner answers them. */
  calls?: { table: readonly HostCall[]; imports: HostImports };
  /** The process calls (PROCESS_OPS), answered by the run's process (host/mn/process.ts); without it they
   *  say ENOSYS. */
  processes?: { call(req: ProcessCall): number | null; cancel?(addr: number): boolean };
}

/** The owner's end: takes every processor's submissions, performs them, completes them. */
export class IoOwner {
  /** Performs the calls: the I/O host, or after the first fork a descriptor table over it (process-io.ts). */
  private io: IoHost;
  private hostIo: IoHost | null = null;      // the I/O host itself, once fork gave this process a table
  private handedOver = false;                // exec: the table is the new image's
  readonly ioMode: IoMode;
  /** The sockets processors may write to themselves, where the host offers them (host/io/direct.ts). */
  readonly sends: DirectSends | undefined;
  /** Whether processors must post a message after ringing (no Atomics.waitAsync here). */
  readonly needsSignal = typeof (Atomics as { waitAsync?: unknown }).waitAsync !== "function";
  private readonly ctx: IoContext;
  private readonly processes: IoOwnerOptions["processes"];
  private readonly cancels = new Cancels();
  /** Cancels that came before their request: the signalling processor's queue was taken before the one
   *  the request is in. The request is interrupted as soon as it is performed. One that came after its
   *  request ended stays here until that record's next request, which it interrupts for nothing: the
   *  core makes such a call again (assembly/sys/io.ts). */
  private readonly early = new Set<number>();
  /** Requests out, by address: the queue they came from, and whether their processor waits (blocking). */
  private readonly pending = new ByRequest<{ queue: number; blocking: boolean; sent: number }>();
  /** Completions that found their ring full, by queue. */
  private readonly backlogs = new Map<number, number[]>();
  private retry: ReturnType<typeof setTimeout> | undefined;
  private partial = ["", "", ""];
  private closed = false;
  private serving: Promise<void> | null = null;
  private kicked = false;
  private calls = 0;

  private readonly memory: MemoryView;

  constructor(memory: WebAssembly.Memory, readonly shared: Int32Array, options: IoOwnerOptions) {
    this.memory = new MemoryView(memory);
    const io = options.io ?? new WebIo();
    this.io = options.calls?.table.length ? new HostCalls(io, options.calls.table, options.calls.imports) : io;
    this.ioMode = options.ioMode ?? "async";
    this.processes = options.processes;
    const sends = new DirectSends(makeDirectTable(), () => this.kick());
    this.sends = this.io.offerSends?.(sends) ? sends : undefined;
    this.ctx = {
      cancels: this.cancels,
      bytes: (ptr, len) => this.memory.bytes(ptr, len),
      text: (ptr, units) => readUtf16(memory, ptr, units),
      complete: (addr, result) => this.complete(addr, result),
      emit: (fd, text) => this.emit(fd === 2 ? 2 : 1, text, options.output),
    };
  }

  /** Starts serving the queues (the serve loop, or message-driven where Atomics.waitAsync is missing). */
  start(): void {
    if (!this.needsSignal) this.serving ??= this.serve();
  }

  /** A processor rang (message path), or a socket is no longer quiet (direct.ts): takes what is queued,
   *  after the event being handled (a microtask). */
  kick(): void {
    if (this.kicked || this.closed) return;
    this.kicked = true;
    queueMicrotask(() => { this.kicked = false; if (!this.closed) this.takeAll(); });
  }

  /** The owner's loop (design note, "Submission protocol"). */
  private async serve(): Promise<void> {
    const s = this.shared;
    while (!this.closed) {
      if (this.takeAll()) { await this.io.turn(); continue; }
      const seen = Atomics.load(s, DOORBELL);
      Atomics.store(s, OWNER_ASLEEP, 1);
      if (this.anyQueued()) { Atomics.store(s, OWNER_ASLEEP, 0); continue; }
      const wait = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> | string } })
        .waitAsync(s, DOORBELL, seen);
      if (wait.async) await wait.value;
      Atomics.store(s, OWNER_ASLEEP, 0);
    }
  }

  private anyQueued(): boolean {
    const s = this.shared;
    for (let p = 0, n = s[SLOTS]; p < n; p++) {
      const q = queueAt(s, p);
      if (Atomics.load(s, q + HEAD) !== Atomics.load(s, q + TAIL)) return true;
    }
    return false;
  }

  /** Takes and submits every queued request; true if there was any. */
  private takeAll(): boolean {
    const s = this.shared, capacity = s[CAPACITY];
    let any = false;
    for (let p = 0, n = s[SLOTS]; p < n; p++) {
      const q = queueAt(s, p);
      let head = Atomics.load(s, q + HEAD);
      const tail = Atomics.load(s, q + TAIL);
      if (head === tail) continue;
      any = true;
      while (head !== tail) {
        const at = q + QUEUE_HEADER + 2 * (head & (capacity - 1));
        const addr = Atomics.load(s, at), sent = Atomics.load(s, at + 1);
        head = (head + 1) | 0;
        Atomics.store(s, q + HEAD, head);
        this.perform(q, addr, sent);
      }
      Atomics.notify(s, q + HEAD);                            // a processor that found its queue full
    }
    return any;
  }

  /** Decodes and submits one request from queue `q` (a write of which a direct send wrote `sent` bytes:
   *  the rest, answered with the whole). */
  private perform(q: number, addr: number, sent: number): void {
    if (sent === -1) { this.interrupt(addr); return; }
    this.calls++;
    let req = decodeRequest(this.memory, addr, this.ioMode);
    const blocking = req.mode === "blocking";
    if (blocking && req.op && this.io.unblocked) req = this.io.unblocked(req, this.ctx);
    if (sent > 0) req = { ...req, ptr: req.ptr + sent, len: req.len - sent };
    this.pending.set(addr, { queue: q, blocking, sent });
    const answer = req.op && PROCESS_OPS.has(req.op) ? this.processCall(req) : submitRequest(this.io, req, this.ctx);
    if (answer !== PENDING) this.complete(addr, answer);
    if (this.early.delete(addr) && answer === PENDING) this.interrupt(addr);
  }

  /** IO_OP_CANCEL: request `addr` is interrupted with -EINTR if it still waits (host.ts, Cancels). */
  private interrupt(addr: number): void {
    if (!this.pending.get(addr)) { this.early.add(addr); return; }   // not here yet, or answered already
    if (!this.cancels.cancel(addr, (a, r) => this.complete(a, r))) this.processes?.cancel?.(addr);
  }

  /** A process call: the family's answer, pending (null), or ENOSYS without a family. */
  private processCall(req: IoRequest): Answer {
    if (!this.processes) return -ERRNO.ENOSYS;
    return this.processes.call(req) ?? PENDING;
  }

  /** Answers a request processor `index` did not submit here (its host answered it pending: a fork, core/fork.ts),
   *  through that processor's ring like any. */
  answerFor(index: number, ring: number, addr: number, result: number): void {
    const q = queueAt(this.shared, index);
    if (Atomics.load(this.shared, q + RING) !== ring) Atomics.store(this.shared, q + RING, ring);
    this.pending.set(addr, { queue: q, blocking: false, sent: 0 });
    this.complete(addr, result);
  }

  /** Answers a pending request (a process call: host/mn/process.ts). */
  answer(addr: number, result: number): void { this.complete(addr, result); }

  /** fork: this process's descriptor table (made at the first fork, over the host's open descriptors), and
   *  a copy for the child, whose entries name the same open files (process-io.ts). From the first fork on
   *  processors send and accept nothing themselves: a program's descriptor may then differ from the
   *  host's, which the direct-send table is indexed by (host/io/direct.ts, ahead.ts). */
  forkTable(): ProcessIo { return this.ownTable().forked(); }

  /** exec: this process's descriptor table, which its new image takes over (`handOver`: from now on the
   *  owner's close leaves it open, and closes only the host itself, if this process owns it). */
  ownTable(handOver = false): ProcessIo {
    if (!(this.io instanceof ProcessIo)) {
      this.sends?.close();          // first: connections accepted ahead go back, their descriptors freed
      this.hostIo = this.io;
      this.io = ProcessIo.first(this.io, this.io.openDescriptors?.() ?? [0, 1, 2]);
    }
    if (handOver) this.handedOver = true;
    return this.io as ProcessIo;
  }

  /** Completion protocol. */
  private complete(addr: number, result: number): void {
    const out = this.pending.get(addr);
    if (!out || this.closed) return;
    this.pending.delete(addr);
    // The rest of a partial direct send: the whole length, or what was sent if the rest failed (POSIX's
    // short write; the error answers the next call, as the kernel's pending socket error does).
    if (out.sent > 0) result = result >= 0 ? result + out.sent : out.sent;
    writeResult(this.memory, addr, result);                                            // step 1
    const s = this.shared;
    if (out.blocking) { Atomics.store(s, out.queue + ANSWERED, 1); Atomics.notify(s, out.queue + ANSWERED); return; } // 2
    let backlog = this.backlogs.get(out.queue);
    if (!backlog?.length && pushCompletion(this.memory, Atomics.load(s, out.queue + RING), addr)) { this.wake(out.queue); return; }
    if (!backlog) this.backlogs.set(out.queue, backlog = []);
    backlog.push(addr);
    this.flush(out.queue, backlog);
  }

  /** Steps 3 and 4 for queue `q`'s processor. */
  private flush(q: number, backlog: number[]): void {
    const s = this.shared;
    if (pushCompletions(this.memory, Atomics.load(s, q + RING), backlog) > 0) this.wake(q);
    if (backlog.length && this.retry === undefined && !this.closed) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        for (const [queue, list] of this.backlogs) if (list.length) this.flush(queue, list);
      }, BACKLOG_RETRY_MS);
    }
  }

  /** Step 4: the pusher's half of the idle protocol (assembly/core/processor.ts, wakeProcessor). */
  private wake(q: number): void {
    const s = this.shared;
    const flag = Atomics.load(s, q + FLAG);
    if (!flag) return;                                // not entered yet: it looks at its ring before sleeping
    const count = Atomics.load(s, q + IDLE_COUNT_AT), word = Atomics.load(s, q + WORD);
    const words = this.memory.reach(Math.max(flag, count, word) + 4).i32;
    if (Atomics.load(words, flag >> 2) === 0 || Atomics.exchange(words, flag >> 2, 0) === 0) return;
    Atomics.sub(words, count >> 2, 1);
    Atomics.add(words, word >> 2, 1);
    Atomics.notify(words, word >> 2, 1);
  }

  private emit(fd: 1 | 2, text: string, output: IoOwnerOptions["output"]): void {
    const lines = (this.partial[fd] + text).split("\n");
    this.partial[fd] = lines.pop()!;
    for (const line of lines) output(fd, line);
  }

  /** Requests out (not yet answered). */
  get inFlight(): number { return this.pending.size; }

  /** Calls performed here, and writes processors sent themselves (RunResult.io). */
  get stats(): { ownerCalls: number; directSends: number; directReads: number; acceptsAhead: number } {
    const sends = this.sends;
    return { ownerCalls: this.calls, directSends: sends?.sent ?? 0, directReads: sends?.read ?? 0, acceptsAhead: sends?.acceptedAhead ?? 0 };
  }

  /** Shutdown: stops serving, passes on an unfinished last line, closes the IoHost. */
  async close(output?: IoOwnerOptions["output"]): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retry);
    this.pending.clear();
    Atomics.add(this.shared, DOORBELL, 1);
    Atomics.notify(this.shared, DOORBELL);
    await this.serving;
    for (const fd of [1, 2] as const) if (this.partial[fd] && output) { output(fd, this.partial[fd]); this.partial[fd] = ""; }
    this.sends?.close();
    if (!this.handedOver) await this.io.close();   // a process's descriptors (process-io.ts), or the host
    await this.hostIo?.close();
  }
}
