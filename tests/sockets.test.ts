// A connection as Node's I/O host holds it (host/io/sockets.ts, Conn), without a program: chunks taken under
// the socket's Readable state, read into the thread's one buffer, in order and whole across a pause and
// across connections; the end of the stream and a reset still reach it; and whether a read would wait, as
// quiet reads are told it (host/io/direct.ts); a connection accepted paused leaves its bytes to the kernel
// until it is told to read (direct reads). Runs on every Node line (scripts/node-lines.js): the fields the
// one buffer is set through, and pauseOnConnect's socket, are Node's own, so each line is asked.
import { afterEach, describe, expect, it } from "vitest";
import net from "node:net";
import { readSync } from "node:fs";
import { Conn, type Reader, type Registry } from "../host/io/sockets";
import { ERRNO } from "../host/io/abi";

const registry: Registry = new Set();
afterEach(() => { for (const x of [...registry]) x.destroy(); registry.clear(); });

/** A server whose first connection becomes a Conn (`paused`: accepted as a shared run accepts, Node not
 *  reading it), and a client connected to it. */
async function pair(paused = false): Promise<{ conn: Conn; client: net.Socket }> {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: paused });
  registry.add({ destroy: () => server.close() });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const accepted = new Promise<Conn>((resolve) => server.once("connection", (s) => resolve(new Conn(s, registry, paused))));
  const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: "127.0.0.1", allowHalfOpen: true });
  registry.add(client);
  client.on("error", () => {});
  return { conn: await accepted, client };
}

/** Reads once into a buffer of `len` bytes: the result (bytes, 0 at the end, or an error) and the bytes. */
function readOnce(conn: Conn, len: number): Promise<{ result: number; bytes: Uint8Array }> {
  const buffer = new Uint8Array(len);
  return new Promise((resolve) => {
    const reader: Reader = {
      into: () => buffer,
      retry: () => {
        const result = conn.read(len, reader);
        if (result === null) return false;
        resolve({ result, bytes: buffer.subarray(0, Math.max(result, 0)) });
        return true;
      },
    };
    if (!reader.retry()) conn.whenReadable(reader);
  });
}

function pattern(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 7 + (i >> 11)) & 255;
  return bytes;
}

describe("a connection of Node's I/O host", () => {
  it("accepted paused, leaves every byte to the kernel until it reads, then reads what comes after, in order", async () => {
    const { conn, client } = await pair(true);
    expect(conn.reading).toBe(false);
    const told: boolean[] = [];
    conn.watchQuiet((quiet) => told.push(quiet));
    expect(told).toEqual([]);                                          // never quiet while Node does not read
    const first = pattern(100_000);
    client.write(first);
    // What a processor's direct read does: read(2) on the socket's file descriptor, here until every byte
    // came (or 10 s went by: Node took some).
    const fd = (conn.socket as unknown as { _handle: { fd: number } })._handle.fd;
    const got = new Uint8Array(200_000);
    let n = 0;
    for (const until = Date.now() + 10_000; n < first.length && Date.now() < until;) {
      try { n += readSync(fd, got, n, got.length - n, null); } catch (e) {
        expect((e as NodeJS.ErrnoException).code).toBe("EAGAIN");
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect(n).toBe(first.length);                                      // Node read none of it
    expect(got.subarray(0, n)).toEqual(first);
    conn.startReading();
    expect(told).toEqual([true]);
    client.write("after");
    const after = await readOnce(conn, 64);
    expect(new TextDecoder().decode(after.bytes)).toBe("after");
  });

  it("takes the chunks the socket reads at its push on this Node, read into the thread's one buffer", async () => {
    const { conn } = await pair();
    expect(conn.readsUnderStream).toBe(true);
    expect(conn.readsIntoOneBuffer).toBe(true);
  });

  it("keeps each connection's unread bytes its own while every socket reads into one buffer", async () => {
    const pairs = [await pair(), await pair(), await pair()];
    const texts = ["first connection", "second", "third and last"];
    // Nobody reads: each Conn keeps what came (told: a read would not wait), while the buffer under it
    // is read into again for the next connection.
    const came = pairs.map(({ conn }) => new Promise<void>((resolve) => conn.watchQuiet((quiet) => { if (!quiet) resolve(); })));
    pairs.forEach(({ client }, i) => client.write(texts[i]));
    await Promise.all(came);
    for (const [i, { conn }] of pairs.entries()) {
      const { result, bytes } = await readOnce(conn, 64);
      expect(result).toBe(texts[i].length);
      expect(Buffer.from(bytes).toString()).toBe(texts[i]);
    }
  });

  it("delivers 16 MiB in order and whole, written while nobody read (the socket pauses and resumes)", async () => {
    const { conn, client } = await pair();
    const sent = pattern(16 << 20);         // more than the kernel's buffers on both ends hold
    let flushed = false;
    client.write(sent, () => { flushed = true; });
    await new Promise((r) => setTimeout(r, 100));
    expect(flushed).toBe(false);                      // held back: the Conn stopped reading at 64 KiB unread
    const got = new Uint8Array(sent.length);
    let at = 0;
    while (at < sent.length) {
      const { result, bytes } = await readOnce(conn, 1 << 20);
      expect(result).toBeGreaterThan(0);
      got.set(bytes, at);
      at += result;
    }
    expect(Buffer.compare(got, sent)).toBe(0);
  });

  it("reads 0 at the peer's end of stream, after the bytes before it", async () => {
    const { conn, client } = await pair();
    client.end(Buffer.from("last words"));
    const first = await readOnce(conn, 64);
    expect(Buffer.from(first.bytes).toString()).toBe("last words");
    expect((await readOnce(conn, 64)).result).toBe(0);
  });

  it("tells whether a read would wait: quiet with nothing unread, not once bytes or the end come", async () => {
    const { conn, client } = await pair();
    const told: boolean[] = [];
    conn.watchQuiet((quiet) => told.push(quiet));
    expect(told).toEqual([true]);
    client.write("abc");
    await new Promise<void>((resolve) => { const poll = () => told.length > 1 ? resolve() : setTimeout(poll, 5); poll(); });
    expect(told).toEqual([true, false]);
    expect((await readOnce(conn, 2)).result).toBe(2);
    expect(told).toEqual([true, false]);                // a byte still unread
    expect((await readOnce(conn, 2)).result).toBe(1);
    expect(told).toEqual([true, false, true]);
    client.end();
    expect((await readOnce(conn, 2)).result).toBe(0);
    expect(told).toEqual([true, false, true, false]);   // at the end of the stream a read answers 0 at once
  });

  it("fails a waiting read with ECONNRESET when the peer resets", async () => {
    const { conn, client } = await pair();
    const waiting = readOnce(conn, 64);
    client.resetAndDestroy();
    expect((await waiting).result).toBe(-ERRNO.ECONNRESET);
  });
});
