// The servers of tests/mn-io.test.ts: listen on 127.0.0.1:0, print `listening=<host:port>`, accept a
// number of connections, each served by a thread of its own, and wait for them all. Their counts are
// atomic (threads run on any processor); the first failure is kept for `error=`.
import { listen, accept, close, localAddress, spawn, detach, print, errnoName, WaitGroup } from "weft";

/** 0: connections served, 4: bytes, 8: failures. */
export const cell = memory.data(16);
let firstError = "none";
const done = new WaitGroup();

export function fail(what: string, n: i32): void {
  if (atomic.add<i32>(cell + 8, 1) == 0) firstError = what + " " + errnoName(-n);
}

/** The first failure, or "none". */
export function firstFailure(): string { return firstError; }

/** What a serving thread calls last. */
export function served(): void { done.done(); }

/** Serves `count` connections, each by `serve` (its descriptor as argument) on a thread of its own, which
 *  calls served() last; then closes the listener. 1 if it could not listen (printed as error=). */
export function serveMany(count: i32, serve: (fd: usize) => i32): i32 {
  let listener = listen("127.0.0.1:0", 1024);
  if (listener < 0) { print("error=listen " + errnoName(-listener)); return 1; }
  print("listening=" + localAddress(listener)!);
  done.add(count);
  for (let i = 0; i < count; i++) {
    let fd = accept(listener);
    if (fd < 0) { fail("accept", fd); done.done(); continue; }
    detach(spawn(serve, <usize>fd));
  }
  done.wait();
  close(listener);
  return 0;
}
