// safepoint_overhead (bench/preempt.js): compute kernels that never yield, timed in the program. The
// suite builds this file with safepoints and without and runs the two alternately; the ratio of the
// medians is what the safepoints cost.
//   fib     fib(27) + fib(28) + fib(29) + fib(30), recursive: a safepoint at every call's entry;
//   loop    LOOP_ITERATIONS turns of a multiply-add chain: a safepoint at the loop head;
//   matmul  MATMUL_REPS products of two 128 × 128 f64 matrices (StaticArray, unchecked): three loops.
// The sizes come from the clock (`scale`, always 1, which the optimiser cannot know), and main calls the
// kernels through a function variable, so nothing is folded or inlined into main. Each kernel runs WARMUP
// times untimed first (V8 replaces a Wasm function's code only between calls), then REPS times timed.
// Prints `fib_ms <ms>`, `loop_ms <ms>`, `matmul_ms <ms>` once per timed run, and `checksum=<n>`.
import { now, print } from "weft";

const LOOP_ITERATIONS = 20_000_000;
const N = 128;
const MATMUL_REPS = 5;
const WARMUP = 2;
const REPS = 3;

let a = new StaticArray<f64>(N * N);
let b = new StaticArray<f64>(N * N);
let c = new StaticArray<f64>(N * N);
let checksum: f64 = 0;

function fib(n: i32): i32 { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

function fibKernel(scale: i32): f64 {
  let s = 0;
  for (let n = 27 * scale; n <= 30 * scale; n++) s += fib(n);
  return <f64>s;
}

function loopKernel(scale: i32): f64 {
  let x: u32 = <u32>scale;
  let n = LOOP_ITERATIONS * scale;
  for (let i = 0; i < n; i++) x = x * 1664525 + 1013904223 + <u32>i;
  return <f64>x;
}

function matmulKernel(scale: i32): f64 {
  let n = N * scale;
  let s: f64 = 0;
  for (let rep = 0; rep < MATMUL_REPS; rep++) {
    for (let i = 0; i < n * n; i++) unchecked(c[i] = 0);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) {
        let aik = unchecked(a[i * n + k]);
        for (let j = 0; j < n; j++) unchecked(c[i * n + j] += aik * unchecked(b[k * n + j]));
      }
    }
    s += unchecked(c[(rep * 7) % (n * n)]);
  }
  return s;
}

function kernelAt(i: i32): (scale: i32) => f64 {
  return i == 0 ? fibKernel : i == 1 ? loopKernel : matmulKernel;
}

const NAMES: string[] = ["fib", "loop", "matmul"];

export function main(): i32 {
  let scale = now() >= 0 ? 1 : 2;
  for (let i = 0; i < N * N; i++) {
    unchecked(a[i] = <f64>((i * 7) % 13) * 0.5);
    unchecked(b[i] = <f64>((i * 11) % 17) * 0.25);
  }
  for (let k = 0; k < 3; k++) {
    let kernel = kernelAt(k);
    for (let w = 0; w < WARMUP; w++) checksum += kernel(scale);
    for (let r = 0; r < REPS; r++) {
      let t0 = now();
      checksum += kernel(scale);
      print(NAMES[k] + "_ms " + (now() - t0).toString());
    }
  }
  print("checksum=" + checksum.toString());
  return 0;
}
