// TCP (host/io/net.ts): every call in async, offload and blocking mode; echo round trips through
// connections a program makes to itself; the errors a call can get; granted-only addresses; the core
// claim for sockets (a thread waiting in accept or read stalls the others in blocking mode only); a run
// that ends with sockets left open; and the two examples, echo.ts and http.ts, served to this process.
// Programs print `key=value` lines (tests/programs/net_*.ts).
import net from "node:net";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, buildProgram, runValues, pick } from "./harness";
import { scratchDir } from "./scratch";

const TIMEOUT = 60_000;
const GRANTED = { node: { listen: ["127.0.0.1:0"], connect: ["127.0.0.1:*"] } };
const MODES = ["async", "offload", "blocking"] as const;

/** The values `keys` of `prefix.` in `v`, without the prefix. */
function under(v: Map<string, string>, prefix: string, keys: string[]): Record<string, string | undefined> {
  return Object.fromEntries(keys.map((k) => [k, v.get(`${prefix}.${k}`)]));
}

// The peer tests/programs/net_peer.ts talks to. It takes one command per line: "late MS TEXT", "dial MS
// HOST:PORT", "reset". It listens on a port the system picks (another test run on the machine may hold
// any fixed one), and a program cannot be told a port: the program runs from a copy that names it.
let peer: net.Server;
let netPeer: string;                      // the copy of net_peer.ts, without ".ts" (harness runOnce)

function servePeer(socket: net.Socket): void {
  let text = "";
  const dialled: net.Socket[] = [];
  socket.on("error", () => {});
  socket.on("close", () => dialled.forEach((d) => d.destroy()));
  socket.on("data", (chunk) => {
    text += chunk.toString();
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n")) {
      const [command, ms, arg] = text.slice(0, nl).split(" ");
      text = text.slice(nl + 1);
      if (command === "late") setTimeout(() => socket.write(arg), Number(ms));
      else if (command === "dial") {
        const colon = arg.lastIndexOf(":");
        setTimeout(() => {
          const d = net.connect(Number(arg.slice(colon + 1)), arg.slice(0, colon));
          d.on("error", () => {});
          dialled.push(d);
        }, Number(ms));
      } else if (command === "reset") socket.resetAndDestroy();
    }
  });
}

beforeAll(async () => {
  peer = net.createServer(servePeer);
  await new Promise<void>((resolve, reject) => {
    peer.once("error", (e) => reject(new Error(`the test's peer cannot listen on 127.0.0.1: ${e.message}`)));
    peer.listen(0, "127.0.0.1", resolve);
  });
  const { port } = peer.address() as net.AddressInfo;
  netPeer = path.join(scratchDir("weft-net-peer-"), "net_peer");
  writeFileSync(`${netPeer}.ts`, withAddress(readFileSync(path.join(ROOT, "tests", "programs", "net_peer.ts"), "utf8"),
    /const PEER = "127\.0\.0\.1:\d+"/, `const PEER = "127.0.0.1:${port}"`));
});

/** `source` with the address `pattern` matches replaced by `replacement`; fails if there is none. */
function withAddress(source: string, pattern: RegExp, replacement: string): string {
  const moved = source.replace(pattern, replacement);
  expect(moved, `no ${pattern} in the source`).not.toBe(source);
  return moved;
}

/** A port nobody listens on at the moment (the system's pick). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
afterAll(() => new Promise<void>((resolve) => peer.close(() => resolve())));

describe("TCP calls", () => {
  const expected = {
    listen: "ok", address: "ok", connect: "ok", accept: "ok", ends: "listener,own",
    write_text: "7", read_text: "ping é", write: "4", read: "pong", shutdown: "0", read_after_shutdown: "EOF",
    write_back: "10", read_back: "still open", close: "0,0,0", read_closed: "EBADF",
  };
  for (const mode of [...MODES, "mixed"]) {
    const what = mode === "mixed" ? "with one connection's calls spread over the modes" : `in ${mode} mode`;
    it(`listen, address, connect, accept, write, read, shutdown and close work ${what}`, async () => {
      const v = await runValues("net_ops", GRANTED);
      expect(under(v, mode, Object.keys(expected))).toEqual(expected);
    }, TIMEOUT);
  }

  for (const mode of ["async", "offload"]) {
    it(`echo: 8 clients × 256 KiB round trip through the program's own server in ${mode} mode`, async () => {
      const v = await runValues("net_echo", GRANTED);
      expect(under(v, mode, ["clients_ok", "bytes", "served"])).toEqual({ clients_ok: "8", bytes: String(8 * 256 * 1024), served: "8" });
      expect(v.get("error")).toBe("none");
    }, TIMEOUT);

    it(`a connection nobody reads holds its writer back, then delivers every byte, in ${mode} mode`, async () => {
      const v = await runValues("net_echo", GRANTED);
      // 32 MiB written while the reader slept 100 ms: without the pause, all of it would be taken in
      expect(under(v, mode, ["flood_held", "flood_ok"])).toEqual({ flood_held: "1", flood_ok: "1" });
      expect(v.get("error")).toBe("none");
    }, TIMEOUT);
  }
});

describe("TCP errors", () => {
  for (const mode of MODES) {
    it(`in ${mode} mode: EADDRINUSE, ECONNREFUSED, EPIPE after SHUT_WR, EPIPE or ECONNRESET after the peer closed`, async () => {
      const v = await runValues("net_errors", GRANTED);
      expect(under(v, mode, ["listen_again", "read_after_peer_close", "write_after_shutdown", "connect_closed_port"]))
        .toEqual({ listen_again: "EADDRINUSE", read_after_peer_close: "0", write_after_shutdown: "EPIPE", connect_closed_port: "ECONNREFUSED" });
      expect(v.get(`${mode}.write_after_peer_close`)).toMatch(/^(EPIPE|ECONNRESET)$/);
    }, TIMEOUT);

    it(`in ${mode} mode: ECONNRESET on read and write when the peer resets the connection`, async () => {
      const v = await runValues(netPeer, GRANTED);
      expect(under(v, mode, ["read_reset", "write_reset"])).toEqual({ read_reset: "ECONNRESET", write_reset: "ECONNRESET" });
    }, TIMEOUT);
  }

  it("EBADF for descriptors that are not open, EINVAL / ENOTCONN for calls on the wrong kind of socket", async () => {
    const v = await runValues("net_errors", GRANTED);
    expect(pick(v, [
      "read_bad_fd", "write_bad_fd", "accept_bad_fd", "shutdown_bad_fd", "close_bad_fd", "address_bad_fd", "accept_stdout",
      "accept_on_connection", "read_on_listener", "write_on_listener", "helper_accept_on_connection", "helper_read_on_listener",
    ])).toEqual({
      read_bad_fd: "EBADF", write_bad_fd: "EBADF", accept_bad_fd: "EBADF", shutdown_bad_fd: "EBADF", close_bad_fd: "EBADF",
      address_bad_fd: "EBADF", accept_stdout: "ENOTSUP",
      accept_on_connection: "EINVAL", read_on_listener: "ENOTCONN", write_on_listener: "ENOTCONN",
      helper_accept_on_connection: "EINVAL", helper_read_on_listener: "ENOTCONN",
    });
  }, TIMEOUT);

  it("ENOTSUP for a blocking accept, read or write on a socket of the host's own thread; shutdown and close work", async () => {
    const v = await runValues("net_errors", GRANTED);
    expect(pick(v, ["blocking_accept_here", "blocking_read_here", "blocking_write_here", "blocking_shutdown_here", "blocking_close_here"]))
      .toEqual({ blocking_accept_here: "ENOTSUP", blocking_read_here: "ENOTSUP", blocking_write_here: "ENOTSUP", blocking_shutdown_here: "0", blocking_close_here: "0,0" });
  }, TIMEOUT);
});

describe("granted addresses only", () => {
  const keys = ["listen_granted", "listen_other", "connect_granted", "connect_own"];
  it("listen and connect outside the grants fail with EACCES, in every mode", async () => {
    const v = await runValues("net_access", { node: { listen: ["127.0.0.1:0"], connect: ["127.0.0.1:1"] } });
    for (const mode of MODES) {
      expect(under(v, mode, keys)).toEqual({ listen_granted: "ok", listen_other: "EACCES", connect_granted: "ECONNREFUSED", connect_own: "EACCES" });
    }
  }, TIMEOUT);

  it("nothing is granted by default", async () => {
    const v = await runValues("net_access");
    for (const mode of MODES) {
      expect(under(v, mode, keys)).toEqual({ listen_granted: "EACCES", listen_other: "EACCES", connect_granted: "EACCES", connect_own: "EACCES" });
    }
  }, TIMEOUT);
});

describe("a thread waiting on a socket", () => {
  for (const call of ["read", "accept"]) {
    it(`in ${call} parks alone in async and offload modes, and stalls every thread in blocking mode`, async () => {
      const v = await runValues(netPeer, GRANTED);
      for (const mode of MODES) {
        expect(v.get(`${mode}.${call}`)).toBe(call === "read" ? "x" : "ok");
        expect(Number(v.get(`${mode}.${call}_ms`))).toBeGreaterThanOrEqual(140);     // the peer's 150 ms
      }
      // while the call waited, the counter thread yielded thousands of times, except in blocking mode
      expect(Number(v.get(`async.${call}_during`))).toBeGreaterThan(1000);
      expect(Number(v.get(`offload.${call}_during`))).toBeGreaterThan(1000);
      expect(Number(v.get(`blocking.${call}_during`))).toBe(0);
    }, TIMEOUT);
  }
});

describe("the end of a run", () => {
  it("closes the sockets left open and stops the helper: the process exits", async () => {
    const dir = scratchDir("weft-net-");
    const wasm = path.join(dir, "leave.wasm");
    writeFileSync(wasm, await buildProgram("net_leave.ts"));
    const cli = path.join(ROOT, "dist", "host", "cli.js");
    const child = spawn(process.execPath, [cli, "run", "--allow-listen", "127.0.0.1:0", "--allow-connect", "127.0.0.1:*", wasm], { cwd: ROOT });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => { child.kill("SIGKILL"); resolve("still running after 10 s"); }, 10_000);
      child.on("exit", (c) => { clearTimeout(timer); resolve(c ?? "killed"); });
    });
    expect({ code, stdout }).toEqual({ code: 0, stdout: "left=everything\n" });
  }, TIMEOUT);
});

// The examples listen on fixed addresses; each is built here with a port nobody listens on (freePort),
// run by the CLI in a process of its own, and talked to from this one.
const CLI = path.join(ROOT, "dist", "host", "cli.js");

/** Runs examples/<name>.ts listening on 127.0.0.1:`port`; resolves once it printed its first line. */
async function startExample(name: string, port: number): Promise<{ stop(): void }> {
  const source = readFileSync(path.join(ROOT, "examples", `${name}.ts`), "utf8");
  const moved = withAddress(source, /const ADDRESS = "127\.0\.0\.1:\d+"/, `const ADDRESS = "127.0.0.1:${port}"`);
  const dir = scratchDir("weft-example-");
  writeFileSync(path.join(dir, `${name}.ts`), moved);
  const wasm = path.join(dir, `${name}.wasm`);
  writeFileSync(wasm, await buildProgram(path.join(dir, `${name}.ts`)));
  const child = spawn(process.execPath, [CLI, "run", "--allow-listen", `127.0.0.1:${port}`, wasm], { cwd: ROOT });
  await new Promise<void>((resolve, reject) => {
    child.on("exit", (code) => reject(new Error(`${name}.ts ended (exit ${code}) before it listened`)));
    child.stdout.once("data", () => resolve());
  });
  child.removeAllListeners("exit");
  return { stop: () => { child.kill("SIGKILL"); } };
}

/** What converse waits for before it sends the next piece: what has come back so far satisfies it. */
type Until = (text: string) => boolean;

/** Connects to 127.0.0.1:`port`, sends `pieces` `gapMs` apart (a function among them: waits until what
 *  came back satisfies it), and collects what comes back until the server closes or `done(text)` holds
 *  (then it closes itself); fails after 20 s. `before` holds what had come back as each piece was sent. */
function converse(port: number, pieces: (string | Buffer | Until)[], done: (text: string) => boolean, gapMs = 0):
  Promise<{ text: string; serverClosed: boolean; before: string[] }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    let arrived = () => {};
    const before: string[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer; so far: ${JSON.stringify(text)}`)); }, 20_000);
    const finish = (serverClosed: boolean) => { clearTimeout(timer); socket.destroy(); resolve({ text, serverClosed, before }); };
    socket.on("data", (d) => { text += d.toString("latin1"); arrived(); if (done(text)) finish(false); });
    socket.on("end", () => finish(true));
    socket.on("error", reject);
    socket.on("connect", async () => {
      for (const [i, piece] of pieces.entries()) {
        if (typeof piece === "function") {
          while (!piece(text)) await new Promise<void>((r) => { arrived = r; });
          continue;
        }
        if (i > 0 && gapMs) await new Promise((r) => setTimeout(r, gapMs));
        before.push(text);
        socket.write(piece);
      }
    });
  });
}

describe("examples", () => {
  const HELLO = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
  const LAST = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n";
  const answers = (text: string) => text.split(HELLO).length - 1;

  it("echo.ts echoes to several clients at once, each on its own thread", async () => {
    const port = await freePort();
    const echo = await startExample("echo", port);
    try {
      const payloads = [0, 1, 2].map((k) => Buffer.alloc(100_000 + k, 65 + k));
      const results = await Promise.all(payloads.map((p) =>
        converse(port, [p.subarray(0, 50_000), p.subarray(50_000)], (t) => t.length >= p.length, 10)));
      results.forEach((r, k) => expect(r.text === payloads[k].toString("latin1")).toBe(true));
    } finally { echo.stop(); }
  }, TIMEOUT);

  it("http.ts answers pipelined requests in order, skips bodies, and closes after Connection: close", async () => {
    const port = await freePort();
    const server = await startExample("http", port);
    try {
      const pipelined = "GET / HTTP/1.1\r\nHost: a\r\n\r\n" + "GET /two HTTP/1.1\r\nHost: a\r\n\r\n" +
        "POST /three HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\nGET /not-a-request\r\n" +
        "GET /four HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" + "GET /after-close HTTP/1.1\r\n\r\n";
      const r = await converse(port, [pipelined], () => false);
      // the last answer, to the request that asked to close, says the connection closes
      expect({ answers: answers(r.text), rest: r.text.split(HELLO).join(""), serverClosed: r.serverClosed })
        .toEqual({ answers: 3, rest: LAST, serverClosed: true });

      // one request in pieces, 50 ms apart: no answer until its head is complete, then the answer; the
      // connection then stays open for the next request
      const pieces = ["GET /slow HT", "TP/1.1\r\nHost: a\r\n", "\r", "\n"];
      const slow = await converse(port, [...pieces, (t) => answers(t) === 1, "GET /next HTTP/1.1\r\n\r\n"],
        (t) => answers(t) === 2, 50);
      expect({ beforeHeadEnds: slow.before[3], after: answers(slow.text), serverClosed: slow.serverClosed })
        .toEqual({ beforeHeadEnds: "", after: 2, serverClosed: false });

      const old = await converse(port, ["GET / HTTP/1.0\r\n\r\n"], () => false);
      expect({ text: old.text, serverClosed: old.serverClosed }).toEqual({ text: LAST, serverClosed: true });
    } finally { server.stop(); }
  }, TIMEOUT);
});
