#!/usr/bin/env node
// Draws a weft timeline trace (`weft run --trace out.json`, host/kernel/trace.ts) as an SVG picture, for
// places Perfetto cannot go (a README, a report):
//
//   node scripts/trace-svg.js out.json > out.svg [--width 1200] [--from ms] [--to ms]
//
// A row per processor, then a row per thread; run spans coloured by thread on the processors' rows, and on
// the threads' rows by what the thread did (running, runnable, blocked, sleeping, I/O); wake-ups as thin
// arrows from the waker's row to the woken thread's next run; preemptions as red ticks.
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const file = args.find((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1].startsWith("--")));
if (!file) {
  process.stderr.write("usage: node scripts/trace-svg.js trace.json [--width px] [--from ms] [--to ms] > trace.svg\n");
  process.exit(2);
}
const trace = JSON.parse(readFileSync(file, "utf8"));
const events = trace.traceEvents;
const WIDTH = option("--width", 1200), LABEL = 190, ROW = 16, GAP = 3, TOP = 34;
const end = Math.max(...events.map((e) => e.ts + (e.dur ?? 0)));
const from = option("--from", 0) * 1000, to = option("--to", end / 1000) * 1000;

// Rows: processors first, then threads, each in id order, named by the trace's metadata.
const rows = [];
const names = new Map(events.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => [`${e.pid}:${e.tid}`, e.args.name]));
for (const pid of [1, 2]) {
  const tids = [...new Set(events.filter((e) => e.pid === pid && e.ph !== "M").map((e) => e.tid))].sort((a, b) => a - b);
  for (const tid of tids) rows.push({ key: `${pid}:${tid}`, name: names.get(`${pid}:${tid}`) ?? `${pid === 1 ? "processor" : "thread"} ${tid}`, pid });
}
const rowOf = new Map(rows.map((r, i) => [r.key, i]));
const y = (e) => TOP + rowOf.get(`${e.pid}:${e.tid}`) * (ROW + GAP) + (rows[rowOf.get(`${e.pid}:${e.tid}`)].pid === 2 ? 14 : 0);
const x = (ts) => LABEL + ((ts - from) / (to - from)) * (WIDTH - LABEL - 10);
const height = TOP + rows.length * (ROW + GAP) + 14 + 40;

const hue = (tid) => (tid * 137.5) % 360;
const threadOf = (name) => Number(/^thread (\d+)/.exec(name)?.[1] ?? 0);
function colour(e) {
  if (e.pid === 1) return e.name === "collector pause" ? "#222" : `hsl(${hue(threadOf(e.name))} 55% 55%)`;
  if (e.name.startsWith("running")) return "#3a9d4a";
  if (e.name === "runnable") return "#e8c547";
  if (e.name === "sleeping") return "#8fb8de";
  if (e.name.startsWith("io:")) return "#9b6cc4";
  if (e.name.startsWith("blocked")) return "#d9534f";
  return "#999";
}
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

const out = [];
out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="11">`);
out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
// Time axis: about ten ticks, in ms.
const span = (to - from) / 1000, step = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].find((s) => span / s <= 12) ?? 1000;
for (let t = Math.ceil(from / 1000 / step) * step; t * 1000 <= to; t += step) {
  out.push(`<line x1="${x(t * 1000)}" y1="${TOP - 6}" x2="${x(t * 1000)}" y2="${height - 40}" stroke="#eee"/>`);
  out.push(`<text x="${x(t * 1000)}" y="${TOP - 10}" text-anchor="middle" fill="#666">${+t.toFixed(1)} ms</text>`);
}
out.push(`<text x="8" y="${TOP - 10}" fill="#333" font-weight="bold">processors</text>`);
rows.forEach((r, i) => {
  const top = TOP + i * (ROW + GAP) + (r.pid === 2 ? 14 : 0);
  if (r.pid === 2 && (i === 0 || rows[i - 1].pid === 1)) out.push(`<text x="8" y="${top - 4}" fill="#333" font-weight="bold">threads</text>`);
  out.push(`<text x="8" y="${top + 12}" fill="#333">${esc(r.name)}</text>`);
  out.push(`<rect x="${LABEL}" y="${top}" width="${WIDTH - LABEL - 10}" height="${ROW}" fill="#f7f7f7"/>`);
});
const visible = (e) => e.ts + (e.dur ?? 0) >= from && e.ts <= to;
for (const e of events) {
  if (e.ph !== "X" || !visible(e) || !rowOf.has(`${e.pid}:${e.tid}`)) continue;
  const x0 = Math.max(x(e.ts), LABEL), x1 = Math.min(x(e.ts + e.dur), WIDTH - 10);
  out.push(`<rect x="${x0.toFixed(1)}" y="${y(e) + 2}" width="${Math.max(x1 - x0, 0.6).toFixed(1)}" height="${ROW - 4}" fill="${colour(e)}"><title>${esc(e.name)} ${(e.dur / 1000).toFixed(3)} ms</title></rect>`);
}
const starts = new Map(events.filter((e) => e.ph === "s").map((e) => [e.id, e]));
for (const f of events) {
  if (f.ph !== "f" || !visible(f)) continue;
  const s = starts.get(f.id);
  if (!s || !rowOf.has(`${s.pid}:${s.tid}`) || !visible(s)) continue;
  out.push(`<line x1="${x(s.ts).toFixed(1)}" y1="${y(s) + ROW / 2}" x2="${x(f.ts).toFixed(1)}" y2="${y(f) + ROW / 2}" stroke="#555" stroke-width="0.6" opacity="0.6"/>`);
}
for (const e of events) {
  if (e.ph !== "i" || e.name !== "preempted" || !visible(e) || !rowOf.has(`${e.pid}:${e.tid}`)) continue;
  out.push(`<line x1="${x(e.ts).toFixed(1)}" y1="${y(e)}" x2="${x(e.ts).toFixed(1)}" y2="${y(e) + ROW}" stroke="#c00" stroke-width="1.5"/>`);
}
const legend = [["running", "#3a9d4a"], ["runnable", "#e8c547"], ["blocked", "#d9534f"], ["sleeping", "#8fb8de"], ["I/O", "#9b6cc4"], ["collector pause", "#222"]];
legend.forEach(([name, c], i) => {
  const lx = LABEL + i * 120, ly = height - 24;
  out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${c}"/><text x="${lx + 16}" y="${ly}" fill="#333">${name}</text>`);
});
out.push(`<text x="${LABEL + legend.length * 120}" y="${height - 24}" fill="#333">— wake-up (waker → woken)</text>`);
out.push(`</svg>`);
process.stdout.write(out.join("\n") + "\n");
