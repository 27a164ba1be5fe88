// The I/O mechanism (assembly/sys/io.ts, host/kernel/runner.ts): a thread in a system call parks and the others run
// (async and offload modes), or the whole processor stalls (blocking mode); many calls at once; a host
// that sleeps while every thread waits; what a host cannot do, and a host that fails.
import { describe, expect, it } from "vitest";
import { buildProgram, runValues, pick } from "./harness";
import { WeftProgram } from "../host/kernel/runner";
import { NodeIo } from "../host/io/node";
import { WebIo } from "../host/io/web";
import { PENDING, ByRequest, Cancels, type IoContext, type IoRequest } from "../host/io/host";

const TIMEOUT = 120_000;

describe("a thread in a system call", () => {
  it("parks alone in async and offload modes, and stalls every thread in blocking mode", async () => {
    const v = await runValues("io_stall");
    expect(pick(v, ["async_result", "blocking_result", "offload_result"]))
      .toEqual({ async_result: "0", blocking_result: "0", offload_result: "0" });
    for (const mode of ["async", "blocking", "offload"]) expect(Number(v.get(`${mode}_ms`))).toBeGreaterThanOrEqual(99);
    // While the 100 ms call ran, the counter thread yielded thousands of times — except in blocking mode,
    // where nothing else ran at all.
    expect(Number(v.get("async_during"))).toBeGreaterThan(1000);
    expect(Number(v.get("offload_during"))).toBeGreaterThan(1000);
    expect(Number(v.get("blocking_during"))).toBe(0);
  }, TIMEOUT);

  it("2,000 threads wait together, and completions beyond the ring's capacity are kept, not lost", async () => {
    const v = await runValues("io_many");
    expect(pick(v, ["threads", "ok"])).toEqual({ threads: "2000", ok: "2000" });
    expect(Number(v.get("ms"))).toBeLessThan(1000);        // one 30 ms delay, not 2,000 of them
  }, TIMEOUT);
});

describe("the host while every thread waits", () => {
  it("sleeps until the completion instead of spinning", async () => {
    const program = await WeftProgram.load(await buildProgram("io_wait.ts") as Uint8Array<ArrayBuffer>, { io: new NodeIo() });
    const cpu0 = process.cpuUsage();
    const result = await program.run();
    const cpu = process.cpuUsage(cpu0);
    expect(result.status).toBe("exited");
    expect(result.stdout).toContain("result=0");
    expect(result.elapsedMs).toBeGreaterThanOrEqual(999);
    // This process's CPU over the run, which compiles the code it reaches first: a few tens of ms. A host
    // that spun for the second would take most of a core, and still a quarter of one on a machine whose
    // every core is busy.
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(`io: the host's CPU over a 1 s wait: ${cpuMs.toFixed(1)} ms`);
    expect(cpuMs).toBeLessThan(150);
  }, TIMEOUT);
});

describe("what a host cannot do, or gets wrong", () => {
  it("the web host answers ENOTSUP, saying so, and the program goes on", async () => {
    const program = await WeftProgram.load(await buildProgram("io_web.ts") as Uint8Array<ArrayBuffer>, { io: new WebIo() });
    const result = await program.run();
    expect(result.status).toBe("exited");
    const out = Object.fromEntries(result.stdout.trim().split("\n").map((l) => l.split("=")));
    expect(out).toEqual({
      open: "-95", open_errno: "ENOTSUP", message: "operation not supported in this host", stat: "ENOTSUP",
      offload: "ENOTSUP", async: "0",
    });
  }, TIMEOUT);

  it("a host whose call throws fails that call with EIO and a message; the run goes on", async () => {
    class FaultyIo extends WebIo {
      submit(req: IoRequest, ctx: IoContext) {
        if (req.op === "open") throw new Error("disk on fire");
        return super.submit(req, ctx);
      }
    }
    const program = await WeftProgram.load(await buildProgram("io_web.ts") as Uint8Array<ArrayBuffer>, { io: new FaultyIo() });
    const result = await program.run();
    expect(result.status).toBe("exited");
    expect(result.stdout).toContain("open=-5\n");
    expect(result.stderr).toMatch(/host failed a open of thread 1: disk on fire/);
    expect(result.stdout).toContain("async=0");
  }, TIMEOUT);

  it("a completion for a request is delivered once, to its own thread", async () => {
    // A host that answers every delay late and out of order: each thread must get its own answer.
    class Shuffling extends WebIo {
      private held: [number, number][] = [];
      submit(req: IoRequest, ctx: IoContext) {
        if (req.op !== "delay") return super.submit(req, ctx);
        this.held.push([req.addr, req.thread]);
        if (this.held.length === 1) setTimeout(() => {
          for (const [addr, thread] of this.held.reverse()) ctx.complete(addr, thread);
          this.held = [];
        }, 20);
        return PENDING;
      }
    }
    const program = await WeftProgram.load(await buildProgram("io_owner.ts") as Uint8Array<ArrayBuffer>, { io: new Shuffling() });
    const result = await program.run();
    expect(result.status).toBe("exited");
    expect(result.stdout).toContain("mismatched=0\n");
    expect(result.stdout).toContain("answered=50\n");
  }, TIMEOUT);
});

describe("calls out, by request address (ByRequest: the I/O owner's requests, Cancels)", () => {
  it("counts the calls out, takes a record's entry again for its next call, and forgets ended ones in bulk", () => {
    const out = new ByRequest<{ n: number }>();
    out.set(64, { n: 1 });
    out.set(128, { n: 2 });
    expect(out.size).toBe(2);
    expect(out.delete(64)).toBe(true);
    expect(out.delete(64)).toBe(false);               // ended already: not counted twice
    expect(out.get(64)).toBeUndefined();
    expect(out.size).toBe(1);
    out.set(64, { n: 3 });                            // the record's next call
    expect(out.get(64)).toEqual({ n: 3 });
    expect(out.size).toBe(2);
    // 10,000 records, each with one call that ended: past 4,096 ended entries they are swept out, and
    // what is still out stays.
    for (let addr = 1024; addr < 1024 + 10_000 * 8; addr += 8) { out.set(addr, { n: addr }); out.delete(addr); }
    expect(out.size).toBe(2);
    expect(out.get(64)).toEqual({ n: 3 });
    expect(out.get(128)).toEqual({ n: 2 });
    expect((out as unknown as { entries: Map<number, unknown> }).entries.size).toBeLessThanOrEqual(2 + 4097);
    out.clear();
    expect(out.size).toBe(0);
    expect(out.get(128)).toBeUndefined();
  });

  it("a cancelled wait is stopped and answered EINTR once; a wait that ended cannot be cancelled", () => {
    const cancels = new Cancels();
    const answers: [number, number][] = [];
    let stopped = 0;
    cancels.add(64, { stop: () => stopped++ });
    cancels.add(128, { stop: () => stopped++ });
    cancels.done(128);
    expect(cancels.cancel(64, (addr, r) => answers.push([addr, r]))).toBe(true);
    expect(cancels.cancel(64, (addr, r) => answers.push([addr, r]))).toBe(false);
    expect(cancels.cancel(128, (addr, r) => answers.push([addr, r]))).toBe(false);
    expect(stopped).toBe(1);
    expect(answers).toEqual([[64, -4]]);
  });
});
