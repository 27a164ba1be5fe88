// The I/O lab: threads that compute for tc and then wait tb in a system call (ioDelay, the lab's slow
// device), measured against the classic predictions.
//
// io_blocking_rate, io_async_rate, io_offload_rate: N threads, each doing cycles of "compute TC ms, then
// a TB ms call" in one mode. Work rate = cycles per ms. Predictions: in blocking mode the call stalls the
// one kernel thread, so cycles cannot overlap: 1/(TC+TB); in async and offload modes, with enough threads
// (N >= (TC+TB)/TC), the processor never idles: 1/TC. Printed as measured / predicted.
//
// io_utilisation: N = 1, 2, 4, 8 threads, each alternating a compute phase and an I/O phase of random
// (exponential) lengths with means UC and UB. A compute phase is a span of wall time in which the thread
// wants the processor (it computes in 50 µs slices and yields between them, so threads in their compute
// phase share the processor) — so each thread's phases do not depend on the others', the independence the
// model assumes: the processor is busy unless every thread is in its I/O phase, U = 1 - (1-p)^N with
// p = UC/(UC+UB). p is taken from the phases the threads actually had (host timers end I/O phases a little
// late, which shifts p from its nominal 0.2); U is the time spent computing / elapsed. Prints the ratio
// measured / predicted for each N and the worst one.
import { spawn, join, yieldNow, ioDelay, IoMode, now, print } from "weft";

const TC: f64 = 2, TB: f64 = 8;          // rate benchmarks: ms of compute and of I/O per cycle
const THREADS = 8;                       // >= (TC + TB) / TC + 3: enough to keep the processor busy
const UC: f64 = 2, UB: f64 = 8;          // utilisation: mean ms of the compute and the I/O phases
const SLICE: f64 = 0.05;                 // utilisation: ms computed between two yields
const SPAN: f64 = 1500;                  // utilisation: ms each N runs for

let sink: f64 = 0;

/** Computes until the clock reads `until` (the processor is not shared meanwhile: nothing preempts). The
 *  clock is read every 256 steps (~1 µs): each read is a call to the host, and V8 boxes its f64 result,
 *  so reading it every step would make the benchmark measure the JS garbage collector. */
function computeUntil(until: f64): void {
  let x = sink;
  do {
    for (let i = 0; i < 256; i++) x = x * 1.0000001 + 1;
  } while (now() < until);
  sink = x;
}

function compute(ms: f64): void { computeUntil(now() + ms); }

let cycles = 0;
let cyclesEach = 0;
let rateMode: IoMode = IoMode.Async;

function cycler(_: usize): i32 {
  for (let i = 0; i < cyclesEach; i++) {
    compute(TC);
    if (ioDelay(TB, rateMode) != 0) return 1;
    cycles++;
  }
  return 0;
}

/** Cycles per ms with THREADS threads doing `each` cycles in `mode`. */
function rate(mode: IoMode, each: i32): f64 {
  rateMode = mode;
  cyclesEach = each;
  cycles = 0;
  let t0 = now();
  let ids = new StaticArray<i32>(THREADS);
  for (let i = 0; i < THREADS; i++) ids[i] = spawn(cycler, 0);
  for (let i = 0; i < THREADS; i++) if (join(ids[i]).value != 0) abort("io_lab: ioDelay failed");
  return <f64>cycles / (now() - t0);
}

// xorshift32: AssemblyScript's Math.random needs a seed import the host does not give.
let seed: u32 = 0x9e3779b9;
function uniform(): f64 {
  seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
  return (<f64>seed + 1) / 4294967297.0;
}
function exponential(mean: f64): f64 { return -mean * Math.log(uniform()); }

let stopAt: f64 = 0;
let busy: f64 = 0, computeWall: f64 = 0, ioWall: f64 = 0;

function phaser(_: usize): i32 {
  // Start at a random point of the cycle, as a stationary process would.
  if (uniform() < UB / (UC + UB)) { let t = now(); ioDelay(exponential(UB), IoMode.Async); ioWall += now() - t; }
  while (now() < stopAt) {
    let start = now(), end = start + exponential(UC);
    while (true) {
      let t = now();
      if (t >= end) break;
      computeUntil(min(t + SLICE, end));
      busy += now() - t;
      yieldNow();
    }
    computeWall += now() - start;
    let t = now();
    if (ioDelay(exponential(UB), IoMode.Async) != 0) return 1;
    ioWall += now() - t;
  }
  return 0;
}

/** Measured / predicted utilisation with n threads. */
function utilisation(n: i32): f64 {
  busy = 0; computeWall = 0; ioWall = 0;
  let t0 = now();
  stopAt = t0 + SPAN;
  let ids = new StaticArray<i32>(n);
  for (let i = 0; i < n; i++) ids[i] = spawn(phaser, 0);
  for (let i = 0; i < n; i++) if (join(ids[i]).value != 0) abort("io_lab: ioDelay failed");
  let measured = busy / (now() - t0);
  let p = computeWall / (computeWall + ioWall);
  return measured / (1 - Math.pow(1 - p, <f64>n));
}

export function main(): i32 {
  print("io_blocking_rate " + (rate(IoMode.Blocking, 10) * (TC + TB)).toString());
  print("io_async_rate " + (rate(IoMode.Async, 60) * TC).toString());
  rate(IoMode.Offload, 1);                      // starts the helper Workers before measuring
  print("io_offload_rate " + (rate(IoMode.Offload, 60) * TC).toString());
  let worst: f64 = 1;
  for (let n = 1; n <= 8; n <<= 1) {
    let r = utilisation(n);
    print("io_utilisation_n" + n.toString() + " " + r.toString());
    if (Math.abs(r - 1) > Math.abs(worst - 1)) worst = r;
  }
  print("io_utilisation " + worst.toString());
  return 0;
}
