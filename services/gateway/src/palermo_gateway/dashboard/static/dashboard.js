// The review phase dashboard: figures from GET /api/v1/dashboard, refreshed
// whenever the event stream reports an event. No build step, no dependency.
"use strict";

const TOKEN_KEY = "palermo.dashboard.token";
const SVG = "http://www.w3.org/2000/svg";
// Refreshes wait for the stream to be quiet this long, but never longer than
// REFRESH_MAX_WAIT_MS, so a burst of events costs a few requests, not one each.
const REFRESH_QUIET_MS = 250;
const REFRESH_MAX_WAIT_MS = 2000;
const STREAMED_TYPES = [
  "palermo.draw.review_phase_opened",
  "palermo.draw.lots_drawn",
  "palermo.draw.redraw_requested",
  "palermo.draw.lots_redrawn",
  "palermo.questionnaire.questionnaire_submitted",
  "palermo.questionnaire.technical_assistance_needs_identified",
  "palermo.review.desk_review_started",
  "palermo.review.desk_review_completed",
  "palermo.review.desk_review_stage_changed",
  "palermo.review.desk_review_overdue",
  "stream.gap",
  "stream.reset",
];
const STAGE_LABELS = {
  lots_drawn: "Lots drawn",
  questionnaire_submitted: "Questionnaire submitted",
  review_started: "Review started",
  completed: "Completed",
  none: "No regional group",
};
// Colours with at least 3:1 contrast against white, distinct in hue and
// lightness. Each bar segment also carries its figure in a title.
const STAGE_COLOURS = {
  lots_drawn: "#5e3c99",
  questionnaire_submitted: "#1f6fb4",
  review_started: "#a6561c",
  completed: "#1b7837",
};
const LATER_STAGE_COLOURS = ["#b2182b", "#4d4d4d", "#8c510a", "#01665e"];
const NOT_STARTED_COLOUR = "#e0e0e0";

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  phaseId: null,
  events: null,
  refreshTimer: null,
  refreshDeadline: null,
};

function $(id) {
  return document.getElementById(id);
}

function element(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  if (text !== null) {
    node.textContent = text;
  }
  return node;
}

function svgElement(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, String(value));
  }
  return node;
}

function label(name) {
  return STAGE_LABELS[name] || name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}

function setStatus(message) {
  $("status").textContent = message;
}

function stageColour(stage, stages) {
  if (STAGE_COLOURS[stage]) {
    return STAGE_COLOURS[stage];
  }
  const later = stages.filter((s) => !STAGE_COLOURS[s]);
  return LATER_STAGE_COLOURS[later.indexOf(stage) % LATER_STAGE_COLOURS.length];
}

// Signing in and out.

function showSignIn(message) {
  $("dashboard").hidden = true;
  $("sign-in").hidden = false;
  setStatus(message);
  $("token").focus();
}

function signIn(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) {
    return;
  }
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("token").value = "";
  start();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  stopStream();
  showSignIn("Signed out.");
}

// Loading the figures.

async function load() {
  const query = state.phaseId ? `?phase_id=${encodeURIComponent(state.phaseId)}` : "";
  let response;
  try {
    response = await fetch(`/api/v1/dashboard${query}`, {
      headers: { Authorization: `Bearer ${state.token}` },
    });
  } catch (error) {
    setStatus(`Cannot reach the gateway (${error.message}); retrying on the next event.`);
    return;
  }
  if (response.status === 401 || response.status === 403) {
    const body = await response.json();
    sessionStorage.removeItem(TOKEN_KEY);
    stopStream();
    showSignIn(`The token was rejected: ${body.detail}`);
    return;
  }
  if (!response.ok) {
    setStatus(`Loading the dashboard failed with status ${response.status}.`);
    return;
  }
  render(await response.json());
}

function scheduleRefresh() {
  const now = Date.now();
  if (state.refreshDeadline === null) {
    state.refreshDeadline = now + REFRESH_MAX_WAIT_MS;
  }
  clearTimeout(state.refreshTimer);
  const wait = Math.max(0, Math.min(REFRESH_QUIET_MS, state.refreshDeadline - now));
  state.refreshTimer = setTimeout(() => {
    state.refreshDeadline = null;
    load();
  }, wait);
}

// The event stream. EventSource cannot send headers, so the token goes in
// the access_token query parameter. The figures come from the dashboard
// route, so the stream only signals new events (history=false) instead of
// sending the gateway's whole history first. A reconnection without a last
// event id may have missed some, so the figures are reloaded then.

function startStream() {
  stopStream();
  const token = encodeURIComponent(state.token);
  const url = `/api/v1/events?history=false&access_token=${token}`;
  state.events = new EventSource(url);
  for (const type of STREAMED_TYPES) {
    state.events.addEventListener(type, scheduleRefresh);
  }
  let opened = false;
  state.events.onopen = () => {
    setStatus("Live: the figures update as events arrive.");
    if (opened) {
      scheduleRefresh();
    }
    opened = true;
  };
  state.events.onerror = () => setStatus("The live stream is interrupted; reconnecting.");
}

function stopStream() {
  if (state.events) {
    state.events.close();
    state.events = null;
  }
}

function start() {
  $("sign-in").hidden = true;
  $("dashboard").hidden = false;
  setStatus("Loading the dashboard.");
  load();
  startStream();
}

// Rendering.

function render(data) {
  renderPhases(data.phases, data.current);
  const current = data.current;
  $("dashboard").dataset.eventsApplied = String(data.events_applied);
  if (current === null) {
    $("phase-title").textContent = "No review phase has been opened yet";
    for (const id of ["totals", "draws"]) {
      $(id).replaceChildren();
    }
    for (const id of ["chart-instrument", "chart-regional-group", "table-cluster",
      "table-overdue", "table-needs"]) {
      $(id).replaceChildren(element("p", { class: "empty" }, "Nothing to show yet."));
    }
    return;
  }
  const phase = current.phase;
  $("phase-title").textContent = `Phase of years ${phase.years || "unknown"}`;
  renderTotals(current);
  $("chart-instrument").replaceChildren(barChart(current.by_instrument, current.stages,
    "Progress by stage per instrument"));
  $("chart-regional-group").replaceChildren(barChart(current.by_regional_group,
    current.stages, "Progress by stage per regional group"));
  $("table-cluster").replaceChildren(clusterTable(current));
  renderDraws(current.draws);
  $("table-overdue").replaceChildren(overdueTable(current.overdue));
  $("table-needs").replaceChildren(needsTable(current.assistance_needs));
}

function renderPhases(phases, current) {
  const select = $("phase");
  const options = phases.map((p) => {
    const option = element("option", { value: p.phase_id },
      `Years ${p.years || "unknown"}, drawn ${p.draw_date || "not yet"} (${p.phase_id.slice(0, 8)})`);
    option.selected = current !== null && p.phase_id === current.phase.phase_id;
    return option;
  });
  select.replaceChildren(...options);
  select.disabled = phases.length === 0;
}

function totalsOf(rows) {
  const totals = { expected: 0 };
  for (const row of rows) {
    totals.expected += row.expected;
    for (const [stage, count] of Object.entries(row.reached)) {
      totals[stage] = (totals[stage] || 0) + count;
    }
  }
  return totals;
}

function definitions(target, items) {
  const nodes = [];
  for (const [key, term, value] of items) {
    const wrapper = element("div", { class: "figure" });
    wrapper.append(element("dt", {}, term), element("dd", { id: key }, value));
    nodes.push(wrapper);
  }
  target.replaceChildren(...nodes);
}

function renderTotals(current) {
  const totals = totalsOf(current.by_instrument);
  const of = (n) => `${n} of ${totals.expected}`;
  definitions($("totals"), [
    ["total-units", "Reviews expected (State, instrument, cluster)", String(totals.expected)],
    ["total-lots_drawn", "Lots drawn", of(totals.lots_drawn || 0)],
    ["total-questionnaire_submitted", "Questionnaires submitted",
      of(totals.questionnaire_submitted || 0)],
    ["total-review_started", "Desk reviews started", of(totals.review_started || 0)],
    ["total-completed", "Desk reviews completed", of(totals.completed || 0)],
    ["total-overdue", "Overdue desk reviews", String(current.overdue.length)],
  ]);
}

function renderDraws(draws) {
  const latest = draws.latest_draw;
  const redraw = draws.latest_redraw;
  definitions($("draws"), [
    ["draws-drawn", "States under review drawn (per instrument)", String(draws.lots_drawn)],
    ["draws-requested", "Redraws requested", String(draws.redraws_requested)],
    ["draws-redrawn", "Redraws made", String(draws.lots_redrawn)],
    ["draws-latest", "Latest draw", latest
      ? `${latest.state_under_review}, ${label(latest.instrument)}, ${formatTime(latest.at)}`
      : "none yet"],
    ["draws-latest-redraw", "Latest redraw", redraw
      ? `${redraw.state_under_review}, ${label(redraw.instrument)}, redraw ${redraw.redraw_number}, ${formatTime(redraw.at)}`
      : "none yet"],
  ]);
}

function formatTime(value) {
  return new Date(value).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

// One horizontal bar per group, split by current stage, scaled to the units
// the group expects; the remainder is the units not started.
function barChart(rows, stages, title) {
  if (rows.length === 0) {
    return element("p", { class: "empty" }, "Nothing to show yet.");
  }
  const figure = element("figure");
  const labelWidth = 230;
  const barWidth = 520;
  const rowHeight = 34;
  const height = rows.length * rowHeight + 8;
  const svg = svgElement("svg", {
    viewBox: `0 0 ${labelWidth + barWidth + 170} ${height}`,
    role: "img",
    tabindex: "0",
    "aria-label": chartDescription(rows, stages, title),
    class: "bars",
  });
  rows.forEach((row, index) => svg.append(barRow(row, stages, index * rowHeight + 4,
    labelWidth, barWidth)));
  figure.append(svg, legend(stages));
  return figure;
}

function barRow(row, stages, y, labelWidth, barWidth) {
  const group = svgElement("g", { "data-group": row.group });
  const name = svgElement("text", { x: 0, y: y + 18, class: "bar-label" });
  name.textContent = label(row.group);
  group.append(name);
  const total = Math.max(row.expected, sumOf(row.current), 1);
  let x = labelWidth;
  for (const stage of stages) {
    const count = row.current[stage] || 0;
    if (count === 0) {
      continue;
    }
    const width = (count / total) * barWidth;
    group.append(segment(x, y, width, stageColour(stage, stages),
      `${label(row.group)}: ${label(stage)} ${count}`, stage));
    x += width;
  }
  const rest = labelWidth + barWidth - x;
  if (rest > 0.5) {
    group.append(segment(x, y, rest, NOT_STARTED_COLOUR,
      `${label(row.group)}: not yet drawn or submitted`, "not_started"));
  }
  const figure = svgElement("text", { x: labelWidth + barWidth + 8, y: y + 18, class: "bar-figure" });
  figure.textContent = `${row.reached.completed} of ${row.expected} done`;
  group.append(figure);
  return group;
}

function segment(x, y, width, colour, title, stage) {
  const rect = svgElement("rect", {
    x: x.toFixed(2), y, width: width.toFixed(2), height: 24, fill: colour,
    stroke: "#ffffff", "stroke-width": 1, "data-stage": stage,
  });
  const tooltip = svgElement("title");
  tooltip.textContent = title;
  rect.append(tooltip);
  return rect;
}

function sumOf(counts) {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function chartDescription(rows, stages, title) {
  const parts = rows.map((row) => {
    const counts = stages.filter((s) => row.current[s])
      .map((s) => `${label(s)} ${row.current[s]}`).join(", ");
    return `${label(row.group)}: ${counts || "nothing yet"}, of ${row.expected} expected`;
  });
  return `${title}. ${parts.join("; ")}.`;
}

function legend(stages) {
  const list = element("ul", { class: "legend", "aria-hidden": "true" });
  for (const stage of [...stages, "not_started"]) {
    const colour = stage === "not_started" ? NOT_STARTED_COLOUR : stageColour(stage, stages);
    const item = element("li");
    const swatch = element("span", { class: "swatch" });
    swatch.style.background = colour;
    item.append(swatch, document.createTextNode(
      stage === "not_started" ? "Not yet drawn or submitted" : label(stage)));
    list.append(item);
  }
  return list;
}

function table(caption, headers, rows) {
  const node = element("table");
  node.append(element("caption", { class: "visually-hidden" }, caption));
  const head = element("tr");
  for (const header of headers) {
    head.append(element("th", { scope: "col" }, header));
  }
  const thead = element("thead");
  thead.append(head);
  node.append(thead);
  const body = element("tbody");
  for (const row of rows) {
    const line = element("tr");
    row.forEach((cell, index) => line.append(
      element(index === 0 ? "th" : "td", index === 0 ? { scope: "row" } : {}, String(cell))));
    body.append(line);
  }
  node.append(body);
  return node;
}

function clusterTable(current) {
  return table("Progress by cluster",
    ["Cluster", "Expected", "Lots drawn", "Submitted", "Review started", "Completed"],
    current.by_cluster.map((row) => [label(row.group), row.expected, row.reached.lots_drawn,
      row.reached.questionnaire_submitted, row.reached.review_started, row.reached.completed]));
}

function overdueTable(overdue) {
  if (overdue.length === 0) {
    return element("p", { class: "empty" }, "No desk review is overdue.");
  }
  return table("Overdue desk reviews, by State code",
    ["State under review", "Instrument", "Cluster", "Regional group", "Stage", "Due",
      "Days overdue"],
    overdue.map((r) => [r.state_under_review, label(r.instrument), label(r.cluster),
      r.regional_group, label(r.stage), r.due_at.slice(0, 10), r.days_overdue]));
}

function needsTable(needs) {
  if (needs.length === 0) {
    return element("p", { class: "empty" }, "No technical assistance need has been stated.");
  }
  return table("Technical assistance needs by instrument and cluster",
    ["Instrument", "Cluster", "States", "Needs", "High", "Medium", "Low", "Types"],
    needs.map((n) => [label(n.instrument), label(n.cluster), n.states, n.needs,
      n.by_priority.high, n.by_priority.medium, n.by_priority.low,
      Object.entries(n.by_type).map(([t, c]) => `${label(t)} ${c}`).join(", ")]));
}

$("token-form").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", signOut);
$("phase").addEventListener("change", (event) => {
  state.phaseId = event.target.value;
  load();
});
if (state.token) {
  start();
} else {
  showSignIn("Not signed in.");
}
