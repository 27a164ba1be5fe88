// The view of examples/web/: one lane per thread — its name, a strip of colour that grows as the run goes
// (what the thread did in each frame, coloured by state), what it is doing now, its switches and its CPU
// time. It only draws the model page.js keeps (model.lanes); it reads nothing of weft's.
//
// A lane is a DOM row whose attributes say what it shows (data-thread, data-name, data-state, data-key:
// a test reads those, not pixels) and whose strip is a canvas, repainted from the lane's history at every
// frame.
//
// A strip is a column per stretch of the lane's history (readings.js, "What a stretch shows"): from the
// bottom, the share of it the thread was running, the share it was runnable, and the rest it waited,
// coloured by how. Colours:
//   running, runnable
//   blocked   on a channel, a mutex or a join, as the thread's record says, or on something else;
//   sleeping; exited, trapped (the thread has ended)

/** Colour of each key, in the legend's order. */
export const COLOURS = {
  running: "#22c55e",
  runnable: "#facc15",
  "blocked: channel": "#3b82f6",
  "blocked: mutex": "#ef4444",
  "blocked: join": "#a855f7",
  "blocked: other": "#f97316",
  sleeping: "#94a3b8",
  exited: "#334155",
  trapped: "#be123c",
};

/** The colour key of a thread in `state` (a word of the thread table), blocked on `what` (its waitKind,
 *  such as "channel receive", "mutex" or "join"). */
export function stateKey(state, what = "") {
  if (state !== "blocked") return state in COLOURS ? state : "blocked: other";
  for (const kind of ["channel", "mutex", "join"]) if (what.startsWith(kind)) return `blocked: ${kind}`;
  return "blocked: other";
}

/** Fills `element` with one swatch per colour. */
export function drawLegend(element) {
  element.replaceChildren(...Object.entries(COLOURS).map(([key, colour]) => {
    const item = document.createElement("span");
    item.className = "swatch";
    item.style.setProperty("--colour", colour);
    item.textContent = key;
    return item;
  }));
}

/** The row of `lane` in `container`, made the first time. */
function rowOf(container, lane) {
  let row = container.querySelector(`.lane[data-thread="${lane.id}"]`);
  if (row) return row;
  row = document.createElement("div");
  row.className = "lane";
  row.dataset.thread = String(lane.id);
  row.innerHTML = `<div class="who"><b></b> <small>#${lane.id}</small></div><canvas class="strip"></canvas>` +
    `<div class="now"></div><div class="num switches"></div><div class="num cpu"></div>`;
  container.append(row);
  return row;
}

/** Paints `lane`'s history on its canvas, `span` ms of run across its width: each stretch a column of its
 *  shares (readings.js), running at the bottom, runnable above it, waiting on top. */
function paintStrip(canvas, lane, span) {
  const scale = devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * scale)), height = Math.max(1, Math.round(canvas.clientHeight * scale));
  if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, width, height);
  for (const stretch of lane.history) {
    const x = Math.floor((stretch.from / span) * width), w = Math.max(1, Math.ceil((stretch.to / span) * width) - x);
    const running = Math.round(stretch.running * height), runnable = Math.round(stretch.runnable * height);
    context.fillStyle = COLOURS[stretch.wait];
    context.fillRect(x, 0, w, height - running - runnable);
    context.fillStyle = COLOURS.runnable;
    context.fillRect(x, height - running - runnable, w, runnable);
    context.fillStyle = COLOURS.running;
    context.fillRect(x, height - running, w, running);
  }
}

/** Updates a row's text and attributes from its lane. */
function fillRow(row, lane) {
  row.dataset.name = lane.name;
  row.dataset.state = lane.state;
  row.dataset.key = lane.key;
  row.style.setProperty("--colour", COLOURS[lane.key]);
  row.querySelector(".who b").textContent = lane.name || `thread ${lane.id}`;
  row.querySelector(".now").textContent = lane.gone ? "exited (joined)" : lane.what ? `${lane.state} · ${lane.what}` : lane.state;
  row.querySelector(".switches").textContent = `${lane.switches} switches`;
  row.querySelector(".cpu").textContent = `${lane.cpu.toFixed(1)} ms cpu`;
}

/** Draws every lane of `lanes` in `container`, `span` ms of run across each strip. */
export function drawLanes(container, lanes, span) {
  for (const lane of lanes) {
    const row = rowOf(container, lane);
    fillRow(row, lane);
    paintStrip(row.querySelector("canvas"), lane, span);
  }
}

/** Removes every lane (a new run starts). */
export function clearLanes(container) {
  container.replaceChildren();
}
