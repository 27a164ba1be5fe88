// Host functions (assembly/sys/call.ts): numbers of every Wasm type both ways, a string and bytes each
// way, a function whose Promise parks only its caller (it settles only once another thread has run), several calls
// in flight from many threads, and failures (a throw, a rejection, a value the type cannot hold) that
// the caller sees as errno EIO with the reason in hostText(). tests/host-calls.test.ts gives the
// functions; prints `key=value` lines.
import { spawn, join, yieldNow, print, getErrno, hostText, hostBytes, EIO } from "weft";

// @ts-ignore: decorator
@external("app", "add") declare function add(a: i32, b: i32): i32;
// @ts-ignore: decorator
@external("app", "scale") declare function scale(x: f64, by: f32): f64;
// @ts-ignore: decorator
@external("app", "wide") declare function wide(x: i64): i64;
// @ts-ignore: decorator
@external("app", "later") declare function later(x: i32, ms: i32): i32;
// @ts-ignore: decorator
@external("app", "tick") declare function tick(): i32;
// @ts-ignore: decorator
@external("app", "whenTicked") declare function whenTicked(n: i32): i32;
// @ts-ignore: decorator
@external("app", "greet") declare function greet(name: string): i32;
// @ts-ignore: decorator
@external("app", "checksum") declare function checksum(data: Uint8Array): i32;
// @ts-ignore: decorator
@external("app", "pattern") declare function pattern(n: i32): i32;
// @ts-ignore: decorator
@external("app", "throws") declare function throws(): i32;
// @ts-ignore: decorator
@external("app", "rejects") declare function rejects(): i32;
// @ts-ignore: decorator
@external("app", "nothing") declare function nothing(): void;
// @ts-ignore: decorator
@external("app", "bad") declare function bad(): i32;

let done = false;
function ticker(arg: usize): i32 {
  while (!done) { tick(); yieldNow(); }
  return 0;
}

function caller(i: usize): i32 { return later(<i32>i, 5 + <i32>(i % 3)); }

function greeter(arg: usize): i32 { return greet("someone else"); }
// A thread that made no host call has no text, whichever thread's request record it was given.
function asker(arg: usize): i32 {
  let t = hostText();
  print("fresh_text=" + (t == null ? "null" : t));
  return 0;
}

function text(): string {
  let t = hostText();
  return t == null ? "null" : t;
}

export function main(): i32 {
  print("add=" + add(2, 40).toString());
  print("scale=" + scale(1.5, 4).toString());
  print("wide=" + wide(0x1_0000_0000).toString());
  nothing();
  print("nothing_errno=" + getErrno().toString());

  // A Promise parks main only: whenTicked's settles once the ticker has called tick() 3 times, which it
  // can do only while main is parked.
  let s = spawn(ticker);
  let ticks = whenTicked(3);
  done = true;
  join(s);
  print("others_ran=" + (ticks >= 3 ? "yes" : "no") + " later=" + later(21, 20).toString());

  // Many in flight at once.
  let ids = new Array<i32>();
  for (let i = 0; i < 50; i++) ids.push(spawn(caller, i));
  let sum = 0;
  for (let i = 0; i < ids.length; i++) sum += join(ids[i]).value;
  print("in_flight_sum=" + sum.toString());

  join(spawn(greeter));
  join(spawn(asker));
  let n = greet("wëft ✓");
  print("greet=" + n.toString() + ":" + text());
  let data = new Uint8Array(10);
  for (let i = 0; i < 10; i++) data[i] = <u8>(i * 3);
  print("checksum=" + checksum(data).toString());
  let m = pattern(5);
  let bytes = hostBytes();
  let shown = "";
  if (bytes != null) for (let i = 0; i < bytes.length; i++) shown += bytes[i].toString() + (i + 1 < bytes.length ? "," : "");
  print("pattern=" + m.toString() + ":" + shown);

  let t = throws();
  print("throws=" + t.toString() + " errno=" + (getErrno() == EIO ? "EIO" : getErrno().toString()) + " why=" + text());
  let r = rejects();
  print("rejects=" + r.toString() + " errno=" + (getErrno() == EIO ? "EIO" : getErrno().toString()) + " why=" + text());
  let b = bad();
  print("bad=" + b.toString() + " why=" + text());
  print("after=" + add(1, 1).toString());
  return 0;
}
