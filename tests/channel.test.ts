// Channels and select (assembly/lib/channel.ts, assembly/lib/select.ts), each exercised by an AssemblyScript
// program in tests/programs/chan_*.ts. Programs print `key=value` lines of values they computed; every
// assertion here compares one of those against what the semantics demand.
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { runProgram, valuesOf, pick } from "./harness";

const TIMEOUT = 120_000; // a cold build of a program takes a few seconds; the runs take milliseconds

function program(name: string): string {
  return fileURLToPath(new URL(`./programs/${name}.ts`, import.meta.url));
}

/** Runs a program that must exit 0, leaving no thread behind, and returns its `key=value` lines. */
async function runValues(name: string): Promise<Map<string, string>> {
  const result = await runProgram(program(name), { timeoutMs: 20_000 });
  expect({ status: result.status, exitCode: result.exitCode, error: result.error ?? null, stdout: result.stdout })
    .toMatchObject({ status: "exited", exitCode: 0, error: null });
  // Every thread a program spawns is joined, so only main may remain in the table.
  expect(result.threads.filter((t) => t.name !== "main").map((t) => `${t.id}:${t.state}`)).toEqual([]);
  return valuesOf(result);
}

describe("Channel, unbuffered", () => {
  it("is a rendezvous: send returns only after a receiver took the value; order is kept", async () => {
    const v = await runValues("chan_unbuffered");
    expect(pick(v, ["send_ok", "recv_started_when_send_returned", "receiver_got"])).toEqual({
      send_ok: "1", recv_started_when_send_returned: "1", receiver_got: "42",
    });
    expect(pick(v, ["ordered_sum", "out_of_order"])).toEqual({ ordered_sum: String((50 * 51) / 2), out_of_order: "0" });
    expect(pick(v, ["trysend_alone", "tryrecv_alone", "tryrecv_partner", "blocked_sender_result", "trysend_partner_got"]))
      .toEqual({
        trysend_alone: "0", tryrecv_alone: "0,open", tryrecv_partner: "1,77", blocked_sender_result: "1",
        trysend_partner_got: "5",
      });
    expect(v.get("len")).toBe("0 cap=0");
  }, TIMEOUT);
});

describe("Channel, buffered", () => {
  it("sends without blocking until full, then blocks; FIFO; keeps every element type's bits", async () => {
    const v = await runValues("chan_buffered");
    expect(pick(v, ["sent_alone", "len_full", "trysend_full"])).toEqual({
      sent_alone: "3", len_full: "3 cap=3", trysend_full: "0",
    });
    expect(pick(v, ["blocked_send", "consumer_got", "len_after", "drained", "empty_tryrecv"])).toEqual({
      blocked_send: "1,took_before_return=1", consumer_got: "10", len_after: "3", drained: "20,30,40,",
      empty_tryrecv: "0,open",
    });
    expect(pick(v, ["fifo_received", "fifo_mismatches", "fifo_sum_ok"])).toEqual({
      fifo_received: "200", fifo_mismatches: "0", fifo_sum_ok: "1",
    });
    expect(pick(v, ["floats", "f32", "bools", "string"])).toEqual({
      floats: "-2.5,third", f32: "same", bools: "tf", string: "hello weft",
    });
  }, TIMEOUT);
});

describe("Channel.close", () => {
  it("wakes blocked receivers and senders; receivers drain, then see closed; sends fail", async () => {
    const v = await runValues("chan_close");
    expect(pick(v, ["receivers_blocked", "close_first", "receivers_closed"])).toEqual({
      receivers_blocked: "3", close_first: "1", receivers_closed: "3,values=0",
    });
    expect(pick(v, ["senders_blocked", "senders_failed"])).toEqual({
      senders_blocked: "2", senders_failed: "2,delivered=0",
    });
    expect(pick(v, ["closed_len", "send_after_close", "drained", "recv_closed", "tryrecv_closed", "close_again", "ref_zero"]))
      .toEqual({
        closed_len: "3,is_closed=1", send_after_close: "0,trysend=0", drained: "7,8,9,closed=1", recv_closed: "0",
        tryrecv_closed: "0,closed", close_again: "0", ref_zero: "null",
      });
  }, TIMEOUT);
});

describe("Channel, many producers and consumers", () => {
  it("delivers every value exactly once (exact count and sum), per-producer order with one consumer", async () => {
    const v = await runValues("chan_mpmc");
    const total = "received=2000,per_consumer_total=2000,sum_ok=1,send_failures=0,idle_consumers=0";
    expect(pick(v, ["unbuffered", "buffered", "single_consumer"])).toEqual({
      unbuffered: total, buffered: total, single_consumer: total + ",order_errors=0",
    });
  }, TIMEOUT);
});

describe("Select", () => {
  it("fires a ready case, polls -1 when none is, blocks until one is, and fires exactly one", async () => {
    const v = await runValues("chan_select");
    expect(pick(v, ["ready_recv", "poll_none", "ready_send"])).toEqual({
      ready_recv: "b,5", poll_none: "-1,len_a=0,len_b=0", ready_send: "send,b_holds=33",
    });
    expect(pick(v, ["blocked_recv", "blocked_send", "reused"])).toEqual({
      blocked_recv: "a,77,waited", blocked_send: "u,receiver_got=123", reused: "a,88,u_receivers=0",
    });
    expect(v.get("fairness")).toBe("50,50");
    expect(v.get("same_channel")).toBe("send,recv,64,len=0");
    expect(pick(v, ["closed_case", "send_on_closed", "empty_poll"])).toEqual({
      closed_case: "u,closed=1,value=0", send_on_closed: "0,closed", empty_poll: "-1",
    });
    expect(v.get("contended_count")).toBe("600,sum_ok=1");
  }, TIMEOUT);
});

describe("Channel deadlocks", () => {
  it("reports main receiving on a channel nobody sends to, naming each channel wait", async () => {
    const result = await runProgram(program("chan_deadlock"), { timeoutMs: 20_000 });
    expect(result.status).toBe("deadlock");
    expect(result.stdout).toBe("waiting\n");
    const error = result.error ?? "";
    expect(error).toMatch(/"main": blocked on channel receive at 0x[0-9a-f]+/);
    expect(error).toMatch(/blocked on channel send at 0x[0-9a-f]+/);
    expect(error).toMatch(/blocked on select at 0x[0-9a-f]+/);
    const main = result.threads.find((t) => t.name === "main");
    expect(main?.state).toBe("blocked");
  }, TIMEOUT);
});

describe("Channel round trip", () => {
  it("echoes every value over two unbuffered channels (and reports the time per round trip)", async () => {
    const v = await runValues("chan_roundtrip");
    expect(pick(v, ["echoed", "sum_ok"])).toEqual({ echoed: String(1000 + 5 * 20000), sum_ok: "1" });
    const ns = Number(v.get("ns_per_round_trip"));
    expect(ns).toBeGreaterThan(0);
    console.log(`channel round trip: ${ns} ns`); // the target (<= 80 ns) is checked by bench/, not here
  }, TIMEOUT);
});
