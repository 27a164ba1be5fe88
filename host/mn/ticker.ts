// The ticker of an M:N run: a Worker of its own that raises the request word of every processor running a
// thread once a tick, so that a thread that never yields reaches a tick at its next safepoint. Web-standard APIs only: the
// loop runs in Node's Workers (ticker-worker.ts) and in browsers' (ticker-worker-web.ts).
//
// Design note
// -----------
// In a shared build a safepoint only loads the tick words (host/abi.ts, TICK_WORDS): nothing else makes a
// running thread tick (assembly/core/preempt.ts, "Design note"). Somebody outside the processors must raise the words
// on time, while every processor may be deep in a loop that never yields. N:1 needs nobody (its
// safepoints count down and read the clock), and neither does 1:1 (a processor per thread: there is
// nobody to hand the processor to), so host/mn/run.ts starts a ticker for M:N only.
//
// Rejected: a timer (setInterval) on the thread that called runShared. It fires only when that thread's
// event loop is free, and no oftener than every 4 ms on a browser's page once nested; that thread must
// never wait (host/mn/run.ts, "Design note"), so it cannot sleep precisely either. Chosen: a dedicated Worker
// sleeping in Atomics.wait with the tick as timeout, which wakes on time, costs nothing between ticks,
// and wakes at once when told to stop.
//
// Ticker protocol:
//   1. host/mn/run.ts starts the ticker's Worker with processor 0 (its start protocol, step 2), so that the
//      Worker has loaded by the time the loops run (a Worker takes tens of ms to start: a ticker started
//      only then would leave the first spinning threads without ticks that long); once every processor
//      is set up (step 4) it posts the Worker its data: the shared memory, the address of the tick words
//      and the tick in force (processor 0 reads them with weft_preempt_requests and weft_preempt_tick
//      after configuring, and sends them with "ready"), the processor count, and a stop word holding 0;
//   2. the ticker waits on the stop word for one tick; if the word is still 0, then for each processor
//      whose busy word is 1 (an idle one has nothing to preempt), it exchanges 1 into its request word
//      and, if that word was 0, adds 1 to `raised` — in that order, the one the core clears them in the
//      other way round (exchange 0, then take 1 from `raised`): `raised` may be off by one for a moment,
//      which costs a safepoint a look at its own word, never a lost or a phantom tick. Then it waits
//      again;
//   2a. sleeping: when no processor's busy word is 1 (nothing to preempt), the ticker stores 1 into the
//      `asleep` word, reads the busy words again and, if none is 1 still, waits on `asleep` while it holds 1
//      (at most IDLE_WAIT_MS, to look at the stop word); then stores 0 and goes on with step 2. A processor
//      that starts running a thread after it was idle stores its busy word, then reads `asleep` and, if it
//      is 1, exchanges it to 0 and notifies (assembly/core/preempt.ts, processorBusy). Both sides store,
//      then read (sequentially consistent): either the ticker sees the busy word or the processor sees
//      the ticker asleep, so no tick is lost. An idle run thus costs no wake-up a tick (measured: the
//      ticker's 1,000 wake-ups a second were 2.2% of a core, idle_cpu_4p);
//   3. when the run ends (its result, an error or the timeout) host/mn/run.ts stores 1 into the stop word and
//      notifies it, then stores 0 into `asleep` and notifies that (a ticker in step 2a reads the stop
//      word after it stores `asleep`, so it either sees the stop or is woken): the ticker leaves its loop
//      at once, before raising again (the order matters: the check of the stop word comes after the
//      wait, before the stores); then it terminates the Worker, as it does the processors', which also
//      ends a ticker still loading, or keeps it for the next run (host/mn/worker-pool.ts).

import { TICK_WORDS } from "../abi.js";

/** What the ticker's Worker is posted (step 1). `memory` and `stop` are shared. */
export interface TickerData {
  /** The run's shared memory. The ticker writes only the tick words' `raised` and `request` words, and
   *  reads `busy` (atomic accesses only). */
  memory: WebAssembly.Memory;
  /** Address of the tick words (weft_preempt_requests). */
  requests: number;
  processors: number;
  /** Milliseconds between raises (weft_preempt_tick, after configuration). */
  tick: number;
  /** Word 0: 0 while the run goes on; 1 stops the ticker (step 3). Written by the thread that started the
   *  run (atomic store and notify), read by the ticker. */
  stop: Int32Array;
}

/** How long the sleeping ticker waits before it looks at the stop word again (ms; step 2a). 100: ten
 *  wake-ups a second cost nothing measurable, and the stop's terminate ends the Worker anyway. Not
 *  configurable. */
const IDLE_WAIT_MS: number = 100;

/** Inside the ticker's Worker: steps 2 and 3, until the stop word is set. */
export function runTicker(data: TickerData): void {
  // The tick words are static data, far below the memory's initial size: a view made now covers them
  // however the memory grows later.
  const words = new Int32Array(data.memory.buffer);
  const raised = (data.requests + TICK_WORDS.raised) >> 2;
  const busy = (data.requests + TICK_WORDS.busy) >> 2, request = (data.requests + TICK_WORDS.request) >> 2;
  const asleep = (data.requests + TICK_WORDS.asleep) >> 2;
  const anyBusy = (): boolean => {
    for (let p = 0; p < data.processors; p++) if (Atomics.load(words, busy + p) !== 0) return true;
    return false;
  };
  while (Atomics.load(data.stop, 0) === 0) {
    Atomics.wait(data.stop, 0, 0, data.tick);
    if (Atomics.load(data.stop, 0) !== 0) break;
    let raisedAny = false;
    for (let p = 0; p < data.processors; p++) {
      if (Atomics.load(words, busy + p) === 0) continue;
      raisedAny = true;
      if (Atomics.exchange(words, request + p, 1) === 0) Atomics.add(words, raised, 1);
    }
    if (raisedAny) continue;
    // Step 2a.
    Atomics.store(words, asleep, 1);
    if (!anyBusy() && Atomics.load(data.stop, 0) === 0) Atomics.wait(words, asleep, 1, IDLE_WAIT_MS);
    Atomics.store(words, asleep, 0);
  }
}

/** On the thread that started the run: step 3's store and notify (the caller then terminates the Worker,
 *  or keeps it for the next run: host/mn/worker-pool.ts). With the data the ticker was posted, a ticker
 *  asleep (step 2a) is woken too, so that it leaves its loop at once and not within IDLE_WAIT_MS: it
 *  looks at the stop word after storing `asleep`, and this stores 0 there after the stop word. */
export function stopTicker(stop: Int32Array, data?: TickerData): void {
  Atomics.store(stop, 0, 1);
  Atomics.notify(stop, 0);
  if (!data) return;
  const words = new Int32Array(data.memory.buffer), asleep = (data.requests + TICK_WORDS.asleep) >> 2;
  Atomics.store(words, asleep, 0);
  Atomics.notify(words, asleep);
}
