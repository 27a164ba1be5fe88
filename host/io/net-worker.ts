// The net helper (net.ts, "Where a socket lives"): a Worker whose event loop owns the sockets made in
// blocking and offload mode, and performs each call the I/O host posts. Calls may wait here as long as
// they like (an accept, a read with nothing queued): the loop goes on serving the others meanwhile.
// Answers to offload calls go back as messages; to blocking calls, through the blocking port and the
// shared flag (step 4 of the blocking protocol).

import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { ERRNO } from "./abi.js";
import { Conn, Listener, openListener, openConnection, type HelperAnswer, type HelperCall, type Registry } from "./sockets.js";

const { flag, port } = workerData as { flag: Int32Array; port: MessagePort };
const registry: Registry = new Set();
const sockets = new Map<number, Conn | Listener>();
let nextSocket = 1;

function answer(call: HelperCall, a: Omit<HelperAnswer, "id">): void {
  if (call.id === 0) return;
  const message = { ...a, id: call.id };
  const transfer = a.data ? [a.data.buffer as ArrayBuffer] : [];
  if (!call.blocking) { parentPort!.postMessage(message, transfer); return; }
  port.postMessage(message, transfer);           // the answer first, then the flag (step 4)
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

/** Numbers a new socket and answers with it and its address. */
function opened(call: HelperCall, x: Conn | Listener | number): void {
  if (typeof x === "number") { answer(call, { result: x }); return; }
  const socket = nextSocket++;
  sockets.set(socket, x);
  answer(call, { result: 0, socket, address: x.address });
}

function read(call: HelperCall, conn: Conn): void {
  let data: Uint8Array | undefined;
  const reader = {
    into: (n: number) => (data = new Uint8Array(n)),
    retry: (): boolean => {
      const result = conn.read(call.len ?? 0, reader);
      if (result === null) return false;
      answer(call, { result, data });
      return true;
    },
  };
  if (!reader.retry()) conn.whenReadable(reader);
}

function write(call: HelperCall, conn: Conn): void {
  const data = call.data ?? new Uint8Array(0);
  const now = conn.write(data);
  if (now !== null) answer(call, { result: now });
  else conn.whenDrained((failure) => answer(call, { result: failure || data.length }));
}

function perform(call: HelperCall): void {
  switch (call.op) {
    case "listen": openListener(call.host!, call.port!, call.backlog ?? 0, registry, (x) => opened(call, x)); return;
    case "connect": openConnection(call.host!, call.port!, registry, (x) => opened(call, x)); return;
  }
  const x = sockets.get(call.socket ?? -1);
  if (!x) { answer(call, { result: -ERRNO.EBADF }); return; }
  if (call.op === "close") { sockets.delete(call.socket!); x.close(); return; }
  if (x instanceof Listener) {
    if (call.op !== "accept") { answer(call, { result: -ERRNO.ENOTCONN }); return; }
    const c = x.accept();
    if (c !== null) opened(call, c);
    else x.whenConnected((c) => opened(call, c));
    return;
  }
  switch (call.op) {
    case "read": read(call, x); return;
    case "write": write(call, x); return;
    case "shutdown": answer(call, { result: x.shutdown(call.how ?? -1) }); return;
    case "accept": answer(call, { result: -ERRNO.EINVAL }); return;
  }
  answer(call, { result: -ERRNO.ENOTSUP });
}

parentPort!.on("message", (call: HelperCall) => {
  try { perform(call); }
  catch { answer(call, { result: -ERRNO.EIO }); }
});
