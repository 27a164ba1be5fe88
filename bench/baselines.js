// Baselines for weft's switch cost: what the same ping-pong costs with the two ways JavaScript itself
// offers to suspend a computation, generators and async/await.
//
// The ping-pong: two coroutines, A and B, take turns; each turn adds to a running value and gives control
// away. One "switch" is one turn: the coroutine is resumed, does its work, and suspends again (for weft:
// one yieldNow() and the resumption of the other thread). ns per switch = elapsed / number of turns.
//
// Depth: the number of frames between the scheduler and the yield point. Depth 1 means the coroutine's
// own frame suspends; depth d puts d - 1 further frames between the scheduler and that frame, and all of
// them stay live for the whole run, as a weft thread's stack does when it yields from d calls down:
//   - generators: d generators, each delegating to the next with yield*. Every resumption passes through
//     every delegating frame, so a generator switch costs O(depth);
//   - async/await: d async functions, each awaiting the next. Only the innermost frame suspends on each
//     turn (the outer ones wait on a promise until it finishes), so a switch costs O(1) in depth; the
//     scheduler is the microtask queue, and each turn awaits an already-resolved promise.
//
// Honesty: every turn's value feeds a checksum that the run verifies against the closed form and returns
// from the measured function, so no engine can drop the work. Timing uses process.hrtime.bigint() where it
// exists (Node), else performance.now().
//
// Run directly (`node bench/baselines.js [iterations] [depth]`) to print both; importing prints nothing.

import { pathToFileURL } from "node:url";

/** Nanoseconds since an arbitrary origin, as a Number. */
const nowNs =
  typeof process !== "undefined" && typeof process.hrtime?.bigint === "function"
    ? () => Number(process.hrtime.bigint())
    : () => performance.now() * 1e6;

/** Where checksums go, so the last one stays observable after a run. */
export let lastChecksum = 0;

/** The checksum two coroutines with `turns` turns each must produce: each adds i + 1 on turn i. */
function expectedChecksum(turns) {
  return turns * (turns + 1); // 2 × (1 + 2 + … + turns)
}

function verify(checksum, turns, what) {
  if (checksum !== expectedChecksum(turns)) {
    throw new Error(`${what}: checksum ${checksum}, expected ${expectedChecksum(turns)}`);
  }
  lastChecksum = checksum;
}

function checkArguments(iterations, depth, what) {
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`${what}: iterations must be a positive integer`);
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`${what}: depth must be a positive integer`);
}

// --- generators ---------------------------------------------------------------------------------------

/** The yield point: yields i + 1 for each of `turns` turns. */
function* generatorLeaf(turns) {
  for (let i = 0; i < turns; i++) yield i + 1;
  return 0;
}

/** `levels` (≥ 1) generator frames above the leaf, each delegating with yield*. */
function* generatorChain(levels, turns) {
  return levels === 1 ? yield* generatorLeaf(turns) : yield* generatorChain(levels - 1, turns);
}

/**
 * ns per switch of two generators taking turns, each yielding `iterations` times from `depth` frames
 * down (yield* delegation). Returns a Number; throws if the work was not all done.
 */
export function generatorPingPong(iterations, depth = 1) {
  checkArguments(iterations, depth, "generatorPingPong");
  const a = depth === 1 ? generatorLeaf(iterations) : generatorChain(depth - 1, iterations);
  const b = depth === 1 ? generatorLeaf(iterations) : generatorChain(depth - 1, iterations);
  let checksum = 0;
  const start = nowNs();
  for (let i = 0; i < iterations; i++) {
    checksum += a.next().value;
    checksum += b.next().value;
  }
  const elapsed = nowNs() - start;
  // Both finish on the next resumption; this also checks that no turn was lost.
  if (!a.next().done || !b.next().done) throw new Error("generatorPingPong: a coroutine yielded too often");
  verify(checksum, iterations, "generatorPingPong");
  return elapsed / (2 * iterations);
}

// --- async/await --------------------------------------------------------------------------------------

const RESOLVED = Promise.resolve();

/** The yield point: awaits a resolved promise on each of `turns` turns, adding i + 1 to the tally. */
async function asyncLeaf(turns, tally) {
  for (let i = 0; i < turns; i++) {
    tally.sum += i + 1;
    await RESOLVED;
  }
  return 0;
}

/** `levels` (≥ 1) async frames above the leaf, each awaiting the next. */
async function asyncChain(levels, turns, tally) {
  return levels === 1 ? await asyncLeaf(turns, tally) : await asyncChain(levels - 1, turns, tally);
}

/**
 * ns per switch of two async functions taking turns through the microtask queue, each awaiting a resolved
 * promise `iterations` times from `depth` frames down (nested awaits). Resolves to a Number.
 */
export async function asyncPingPong(iterations, depth = 1) {
  checkArguments(iterations, depth, "asyncPingPong");
  const tally = { sum: 0 };
  const task = () => (depth === 1 ? asyncLeaf(iterations, tally) : asyncChain(depth - 1, iterations, tally));
  const start = nowNs();
  await Promise.all([task(), task()]);
  const elapsed = nowNs() - start;
  verify(tally.sum, iterations, "asyncPingPong");
  return elapsed / (2 * iterations);
}

// --- statistics ---------------------------------------------------------------------------------------

/** The median of a non-empty array of numbers (the mean of the middle two for an even count). */
export function median(runs) {
  if (!Array.isArray(runs) || runs.length === 0) throw new RangeError("median: no runs");
  const sorted = [...runs].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Calls `fn` (sync or async, returning a number) `warmup` times and discards the results, then `runs`
 * times, and resolves to the median of those. Defaults: 7 runs after 2 warm-ups.
 */
export async function measure(fn, { runs = 7, warmup = 2 } = {}) {
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError("measure: runs must be a positive integer");
  for (let i = 0; i < warmup; i++) await fn();
  const results = [];
  for (let i = 0; i < runs; i++) {
    const value = await fn();
    if (typeof value !== "number" || !Number.isFinite(value)) throw new TypeError(`measure: fn returned ${value}`);
    results.push(value);
  }
  return median(results);
}

// --- command line -------------------------------------------------------------------------------------

if (typeof process !== "undefined" && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const iterations = Number(process.argv[2] ?? 1_000_000);
  const depth = Number(process.argv[3] ?? 1);
  const generator = await measure(() => generatorPingPong(iterations, depth));
  const async = await measure(() => asyncPingPong(iterations, depth));
  console.log(`iterations ${iterations}, depth ${depth}`);
  console.log(`generator ping-pong: ${generator.toFixed(1)} ns/switch`);
  console.log(`async ping-pong:     ${async.toFixed(1)} ns/switch`);
}
