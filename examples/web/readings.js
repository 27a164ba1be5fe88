// From readings of weft's thread table to lanes: what page.js keeps between frames and lanes.js draws.
// No DOM and nothing of weft's here: a reading is an array of rows, one per thread in the table, as
// readThreadStats gives them (id, name, state, switches, cpu, cpuExact, runnable, blocked), each with
// `what` — what a blocked thread waits on (its waitKind: "channel receive", "mutex", "join", ...), or "".
// The colour keys are lanes.js's (stateKey).
//
// What a stretch shows. A lane's history is a list of stretches, one per reading: from the reading before
// to this one (a frame, ~16 ms). In that time a worker may run, wait for the processor and block on a
// channel several times, so a stretch is not one state but shares of it:
//   running   Δcpu / the stretch: exact accounting's CPU time grew by that much since the last reading;
//   runnable  Δrunnable / the stretch, likewise;
//   the rest  waiting: blocked or asleep (Δblocked), coloured as the thread waits now, or, when it is not
//             waiting now, as it last waited.
// Exact accounting counts a state once it is over, so the part of the stretch the counters do not cover
// goes to the state the thread is in now; shares over 1 (a state that began before the stretch and ended
// in it) are scaled down. `key` is the largest share's colour: the lane's data-key, and what a test reads.
// An ended thread's stretch is all "exited" (or "trapped"); a thread gone from the table was joined.
//
// A lane: { id, name, state, what, switches, cpu (ms) — as last read; key — what its last stretch showed;
//   gone — joined, no longer in the table; seen — every key its stretches showed; changes — how often the
//   key changed from one stretch to the next; history — [{ from, to (ms of run), running, runnable (shares),
//   wait (the rest's key), key }] }.

import { stateKey } from "./lanes.js";

/** A reading's times (ms): on a processor, runnable, waiting — exact accounting's, 0 until the thread's
 *  first switch; `cpu` falls back on the sampled CPU time without exact accounting. */
const times = (row) => ({ cpu: row.cpuExact ?? row.cpu, runnable: row.runnable ?? 0, blocked: row.blocked ?? 0 });

/** A new lane for `row`, first read at `t`. */
function newLane(row, t) {
  return { id: row.id, name: row.name, key: null, waitKey: "blocked: other", gone: false, seen: [], changes: 0, history: [], at: t, ...times(row) };
}

/** The shares of the `dt` ms since `lane`'s last reading, given this reading's `row` (see the top). */
function stretchOf(lane, row, dt) {
  if (row.state === "exited" || row.state === "trapped") return { running: 0, runnable: 0, wait: row.state, key: row.state };
  const now = times(row);
  const spent = { running: now.cpu - lane.cpu, runnable: now.runnable - lane.runnable, waiting: now.blocked - lane.blocked };
  const current = row.state === "running" || row.state === "runnable" ? row.state : "waiting";
  spent[current] += Math.max(0, dt - spent.running - spent.runnable - spent.waiting);
  if (current === "waiting") lane.waitKey = stateKey(row.state, row.what);
  const total = Math.max(dt, spent.running + spent.runnable + spent.waiting, 1e-9);
  const most = Object.keys(spent).reduce((a, b) => (spent[b] > spent[a] ? b : a));
  return { running: spent.running / total, runnable: spent.runnable / total, wait: lane.waitKey, key: most === "waiting" ? lane.waitKey : most };
}

/** Adds `stretch` to `lane`'s history, up to `t`. */
function extend(lane, stretch, t) {
  if (lane.key !== null && stretch.key !== lane.key) lane.changes++;
  if (!lane.seen.includes(stretch.key)) lane.seen.push(stretch.key);
  const last = lane.history.at(-1);
  if (last && stretch.key === "exited" && last.key === "exited") last.to = t;
  else lane.history.push({ from: lane.at, to: t, ...stretch });
  lane.key = stretch.key;
  lane.at = t;
}

/** Takes `rows` (a reading at `t` ms of run) into `lanes`, adding a lane for each new thread. */
export function takeReading(lanes, rows, t) {
  const present = new Set();
  for (const row of rows) {
    present.add(row.id);
    let lane = lanes.find((l) => l.id === row.id);
    if (!lane) lanes.push(lane = newLane(row, t));
    const stretch = stretchOf(lane, row, t - lane.at);
    Object.assign(lane, { name: row.name, state: row.state, what: row.what, switches: row.switches, ...times(row) });
    extend(lane, stretch, t);
  }
  for (const lane of lanes) {
    if (present.has(lane.id) || lane.gone) continue;
    Object.assign(lane, { gone: true, state: "exited", what: "" });
    extend(lane, { running: 0, runnable: 0, wait: "exited", key: "exited" }, t);
  }
}

/** True once every lane's thread has ended: the program is over (its run may still be closing). */
export function allEnded(lanes) {
  return lanes.length > 0 && lanes.every((l) => l.state === "exited" || l.state === "trapped");
}
