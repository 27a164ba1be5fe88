// CPU accounting (tests/preempt.test.ts): SPINNERS CPU-bound threads run for RUN_MS while main sleeps,
// twice — with sampled accounting only (the default), then with exact accounting on. The processor is
// always busy with one of them, so their CPU times must add up to the time main slept; each waits for
// the others two thirds of the time (runnable) and is never blocked; main is blocked all along.
// Each spinner reads its own figures as it ends (threadStats(0)).
// Prints, for each phase P (sampled, exact): P_elapsed= (ms main slept, by its clock), P_cpu_sum=
// (sampled cpuTime of the spinners, ms), P_cpu= (each, comma-separated); P_exact= , P_runnable=,
// P_blocked= (each spinner's exact figures, comma-separated; -1 when exact accounting is off),
// P_main_cpu_exact=, P_main_blocked= (main's exact CPU and blocked time over the phase; -1 when off),
// and P_switches= (each spinner's switches).
import { spawn, join, sleep, now, print, cpuTime, threadStats, setExactAccounting, ThreadStats } from "weft";

const SPINNERS = 3;
const RUN_MS: f64 = 800;

let stop = false;
let spins = new StaticArray<i64>(SPINNERS);
let cpu = new StaticArray<f64>(SPINNERS);
let exact = new StaticArray<f64>(SPINNERS);
let runnable = new StaticArray<f64>(SPINNERS);
let blocked = new StaticArray<f64>(SPINNERS);
let switches = new StaticArray<u32>(SPINNERS);

function spinner(arg: usize): i32 {
  let i = <i32>arg;
  while (!stop) spins[i]++;
  let s = threadStats()!;
  cpu[i] = cpuTime();
  exact[i] = s.cpuExact;
  runnable[i] = s.runnable;
  blocked[i] = s.blocked;
  switches[i] = s.switches;
  return 1;
}

function list(a: StaticArray<f64>): string {
  let out = "";
  for (let i = 0; i < a.length; i++) out += (i > 0 ? "," : "") + a[i].toString();
  return out;
}

// Main's own exact figure `which` (0 cpu, 1 blocked) so far; 0 before it has a record.
function mainExact(which: i32): f64 {
  let s: ThreadStats = threadStats()!;
  let v = which == 0 ? s.cpuExact : s.blocked;
  return v < 0 ? 0 : v;
}

function phase(name: string, exactOn: bool): void {
  setExactAccounting(exactOn);
  stop = false;
  let mainCpu0 = mainExact(0), mainBlocked0 = mainExact(1);
  let ids = new StaticArray<i32>(SPINNERS);
  for (let i = 0; i < SPINNERS; i++) ids[i] = spawn(spinner, <usize>i);
  let t0 = now();
  sleep(RUN_MS);
  stop = true;
  let elapsed = now() - t0;
  let mainCpu = mainExact(0) - mainCpu0, mainBlocked = mainExact(1) - mainBlocked0;
  for (let i = 0; i < SPINNERS; i++) join(ids[i]);
  let sum: f64 = 0;
  let sw = "";
  for (let i = 0; i < SPINNERS; i++) { sum += cpu[i]; sw += (i > 0 ? "," : "") + switches[i].toString(); }
  print(name + "_elapsed=" + elapsed.toString());
  print(name + "_cpu_sum=" + sum.toString());
  print(name + "_cpu=" + list(cpu));
  print(name + "_exact=" + list(exact));
  print(name + "_runnable=" + list(runnable));
  print(name + "_blocked=" + list(blocked));
  print(name + "_main_cpu_exact=" + (exactOn ? mainCpu : -1).toString());
  print(name + "_main_blocked=" + (exactOn ? mainBlocked : -1).toString());
  print(name + "_switches=" + sw);
}

export function main(): i32 {
  phase("sampled", false);
  phase("exact", true);
  return 0;
}
