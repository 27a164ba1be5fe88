// An instance JavaScript calls into (tests/serve.test.ts): each export below runs as a thread per call.
import { sleep, yieldNow, Mutex, Channel, print } from "weft";

let base = 0;
const a = new Mutex(), b = new Mutex();
const aHeld = new Channel<i32>(1), bHeld = new Channel<i32>(1);
const mailbox = new Channel<i32>();

export function main(): void {
  base = 100;                                 // set-up: start() resolves once main has returned
  print("set up");
}

export function add(x: i32, y: i32): i32 { return base + x + y; }

export function greet(name: string): string {
  yieldNow();
  return "hello, " + name;
}

export function nap(ms: i32): i32 { sleep(ms); return ms; }

export function total(bytes: Uint8Array): u32 {
  let sum: u32 = 0;
  for (let i = 0; i < bytes.length; i++) sum += bytes[i];
  return sum;
}

export function reversed(bytes: Uint8Array): Uint8Array {
  let out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[bytes.length - 1 - i];
  return out;
}

export function wide(x: i64, half: f64, flag: bool): i64 { return flag ? x * 2 + <i64>half : -x; }

export function crash(at: i32): i32 {
  let list = new Array<i32>(2);
  return list[at];                            // out of range: the thread traps
}

// Each takes its first mutex, waits until the other has taken its own, then asks for the other's.
export function ab(): void { a.lock(); aHeld.send(1); bHeld.recv(); b.lock(); b.unlock(); a.unlock(); }
export function ba(): void { b.lock(); bHeld.send(1); aHeld.recv(); a.lock(); a.unlock(); b.unlock(); }

export function take(): i32 { return mailbox.recv(); }
export function put(v: i32): void { mailbox.send(v); }

export function later(f: () => void): void { f(); }
