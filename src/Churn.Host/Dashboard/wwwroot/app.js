// The ChurnActors dashboard: plain JavaScript over the host's own HTTP API. Charts are SVG drawn by the server;
// with a token configured, it is asked for once, kept in this tab (sessionStorage) and sent as the Authorization
// header, never in a URL or a cookie.
"use strict";

const main = document.getElementById("main");
const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"];
const ACTIVE = new Set(["queued", "running"]);
let pageGeneration = 0;   // bumped on every navigation: timers and streams of the old page stop themselves
const pageAbort = { controller: new AbortController() };

// ---------- HTTP ----------

class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

function authHeaders(extra) {
  const headers = Object.assign({}, extra || {});
  const token = sessionStorage.getItem("churn-token");
  if (token) headers["Authorization"] = "Bearer " + token;
  return headers;
}

let tokenPrompt = null;
function askToken(message) {
  if (tokenPrompt) return tokenPrompt;
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  document.getElementById("token-error").textContent = message || "";
  tokenPrompt = new Promise(resolve => {
    const form = document.getElementById("token-form");
    form.onsubmit = event => {
      event.preventDefault();
      sessionStorage.setItem("churn-token", input.value.trim());
      input.value = "";
      dialog.close();
      tokenPrompt = null;
      resolve();
    };
  });
  if (!dialog.open) dialog.showModal();
  input.focus();
  return tokenPrompt;
}

async function request(path, options) {
  options = options || {};
  for (let attempt = 0; ; attempt++) {
    const init = { method: options.method || "GET", headers: authHeaders(options.headers), signal: options.signal };
    if (options.json !== undefined) {
      init.body = JSON.stringify(options.json);
      init.headers["Content-Type"] = "application/json";
    } else if (options.body !== undefined) {
      init.body = options.body;
    }
    const response = await fetch(path, init);
    if (response.status === 401 && attempt < 5) {
      await askToken(attempt === 0 ? "" : "That token was not accepted; try again.");
      continue;
    }
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch (_) { /* not JSON */ }
      throw new ApiError(response.status, problem);
    }
    return response;
  }
}

const api = async (path, options) => (await request(path, options)).json();

// Fetches an image (an SVG chart or a PNG) with the token and shows it through a blob: URL.
async function loadImage(img, path) {
  try {
    const blob = await (await request(path)).blob();
    const url = URL.createObjectURL(blob);
    img.onload = () => URL.revokeObjectURL(url);
    img.src = url;
  } catch (error) {
    img.alt = `${img.alt} (could not be drawn: ${error.message})`;
  }
}

// Reads a server-sent event stream through fetch (so the token travels in a header) and calls onEvent(name, data).
async function follow(path, onEvent, generation) {
  const response = await request(path, { signal: pageAbort.controller.signal });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  while (generation === pageGeneration) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message", data = "";
      for (const line of frame.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trim();
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}

// ---------- small DOM helpers ----------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const fmt = (value, digits = 4) => (typeof value === "number" && isFinite(value) ? value.toFixed(digits) : "");
const pct = value => (typeof value === "number" && isFinite(value) ? (value * 100).toFixed(1) + " %" : "");
const when = text => (text ? new Date(text).toISOString().replace("T", " ").slice(0, 19) : "");
const statusCell = status => el("span", { class: `status status-${status}`, "data-status": status, text: status });
function duration(seconds) {
  if (typeof seconds !== "number") return "";
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function chart(path, alt, id, width = 640, height = 360) {
  const img = el("img", { alt, id, width, height });
  loadImage(img, path);
  return el("figure", { class: "chart" }, img);
}

function showError(error) {
  main.replaceChildren(el("h2", { text: "Something went wrong" }), el("p", { class: "error", role: "alert", text: error.message }));
}

function flatten(node, prefix, out) {
  out = out || {};
  if (node && typeof node === "object" && !Array.isArray(node)) {
    for (const [key, value] of Object.entries(node)) flatten(value, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out[prefix] = Array.isArray(node) ? node.join(",") : node;
  }
  return out;
}

function every(ms, generation, action) {
  const tick = async () => {
    if (generation !== pageGeneration) return;
    try { await action(); } catch (error) { if (!(error instanceof DOMException)) console.warn(error.message); }
    if (generation === pageGeneration) setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
}

// ---------- Runs ----------

async function runsPage(generation, params) {
  const status = params.get("status") || "";
  const filter = el("select", { id: "status-filter", "aria-describedby": "runs-note" },
    el("option", { value: "", text: "all" }), STATUSES.map(s => el("option", { value: s, text: s, selected: s === status })));
  filter.addEventListener("change", () => { location.hash = filter.value ? `#/runs?status=${filter.value}` : "#/runs"; });
  const compare = el("button", { id: "compare", type: "button", disabled: true, text: "Compare selected" });
  const body = el("tbody");
  const more = el("button", { type: "button", class: "secondary", id: "more", hidden: true, text: "Older runs" });
  const table = el("table", { id: "runs" },
    el("caption", { class: "note", text: "Newest first. ROC AUC and Brier are on the customers' natural mix when the run measured them; accuracy is the balanced test split's (the recipe's figure)." }),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, el("span", { class: "note", text: "select" })),
      ["run", "mode", "status", "stage", "epoch", "ROC AUC (population)", "Brier (population)", "balanced test accuracy (recipe)", "duration", "queued (UTC)", ""].map(h => el("th", { scope: "col", text: h })))),
    body);
  main.replaceChildren(
    el("h2", { text: "Runs" }),
    el("div", { class: "toolbar" }, el("div", { class: "field" }, el("label", { for: "status-filter", text: "Status" }), filter), compare,
      el("a", { href: "#/new-run", text: "Start a run" })),
    el("p", { id: "runs-note", class: "note", text: "Every run in the store: those sent to this host and those of churn run, prepare, train and search." }),
    table, more);

  const selected = new Set();
  const rows = new Map();
  const followed = new Set();
  compare.addEventListener("click", () => { location.hash = `#/compare/${[...selected].join(",")}`; });

  function render(run) {
    const h = run.headline || {};
    const box = el("input", { type: "checkbox", id: `select-${run.id}`, "aria-label": `select run ${run.id} to compare`, checked: selected.has(run.id) });
    box.addEventListener("change", () => {
      if (box.checked) selected.add(run.id); else selected.delete(run.id);
      compare.disabled = selected.size < 2;
    });
    const actions = ACTIVE.has(run.status)
      ? el("button", { type: "button", class: "secondary", text: "Cancel", "aria-label": `cancel run ${run.id}`, onclick: () => cancelRun(run.id) })
      : "";
    const row = el("tr", { "data-run": run.id },
      el("td", {}, box),
      el("td", {}, el("a", { href: `#/runs/${run.id}`, text: run.id })),
      el("td", { text: run.mode }),
      el("td", {}, statusCell(run.status)),
      el("td", { "data-col": "stage", text: run.stage || "" }),
      el("td", { class: "num", "data-col": "epoch", text: run.epoch ?? "" }),
      el("td", { class: "num", text: fmt(h.populationRocAuc) }),
      el("td", { class: "num", text: fmt(h.populationBrier) }),
      el("td", { class: "num", text: fmt(h.testAccuracy) }),
      el("td", { class: "num", text: duration(run.durationSeconds) }),
      el("td", { class: "time", text: when(run.queuedAt) }),
      el("td", {}, actions));
    const old = rows.get(run.id);
    if (old) old.replaceWith(row); else body.append(row);
    rows.set(run.id, row);
    if (ACTIVE.has(run.status) && !followed.has(run.id)) {
      followed.add(run.id);
      follow(`/runs/${encodeURIComponent(run.id)}/events`, (name, data) => {
        const live = rows.get(run.id);
        if (!live) return;
        if (name === "started") live.querySelector(".status").replaceWith(statusCell("running"));
        if (name === "stage") live.querySelector('[data-col="stage"]').textContent = data.stage;
        if (name === "epoch") live.querySelector('[data-col="epoch"]').textContent = data.epoch;
        if (name === "finished") { followed.delete(run.id); render(summaryOf(data)); }
      }, generation).catch(() => followed.delete(run.id));
    }
  }

  let next = null;
  async function load(path, replace) {
    const page = await api(path);
    if (generation !== pageGeneration) return;
    if (replace) {
      // New runs come first; known rows are redrawn in place.
      const fresh = page.runs.filter(r => !rows.has(r.id)).reverse();
      for (const run of page.runs) if (rows.has(run.id)) render(run);
      for (const run of fresh) { render(run); body.prepend(rows.get(run.id)); }
    } else {
      page.runs.forEach(render);
      next = page.next;
    }
    more.hidden = !next;
  }
  more.addEventListener("click", () => load(next, false));
  const query = status ? `?status=${status}&limit=50` : "?limit=50";
  await load(`/runs${query}`, false);
  every(4000, generation, () => load(`/runs${query}`, true));
}

// The finished event carries the full run; the table wants its summary.
function summaryOf(run) {
  const m = run.metrics || {};
  const p = m.population || {};
  const started = run.startedAt ? Date.parse(run.startedAt) : null;
  const finished = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
  return {
    id: run.id, status: run.status, mode: run.mode, stage: run.stage, epoch: run.epoch, queuedAt: run.queuedAt,
    durationSeconds: started ? (finished - started) / 1000 : null,
    headline: { populationRocAuc: p.rocAuc, populationBrier: p.brier, testAccuracy: m.test && m.test.accuracy },
  };
}

async function cancelRun(id) {
  try {
    await api(`/runs/${encodeURIComponent(id)}`, { method: "DELETE" });
  } catch (error) {
    alert(`Could not cancel ${id}: ${error.message}`);
  }
}

// ---------- One run ----------

async function runPage(generation, id) {
  const run = await api(`/runs/${encodeURIComponent(id)}`);
  if (generation !== pageGeneration) return;
  const statusLine = el("p", { id: "run-status" });
  const cancel = el("button", { type: "button", class: "secondary", id: "cancel-run", text: "Cancel this run", onclick: () => cancelRun(id) });
  const lossImg = el("img", { id: "loss-chart", alt: `training and validation loss per epoch of run ${id}`, width: 640, height: 360 });
  const stages = el("tbody");
  const details = el("div", { id: "run-details" });
  const logs = logsSection(id, generation, () => ACTIVE.has(current.status));
  let current = run;

  function drawStatus(r) {
    statusLine.replaceChildren("Status ", statusCell(r.status), r.stage ? ` · stage ${r.stage}` : "", r.epoch ? ` · epoch ${r.epoch}` : "",
      r.error ? el("span", { class: "error", text: ` · ${r.error}` }) : "");
    cancel.hidden = !ACTIVE.has(r.status);
  }
  function drawStages(list) {
    stages.replaceChildren(...(list || []).map(s => el("tr", {},
      el("td", { text: s.stage }), el("td", { class: "time", text: when(s.startedAt) }),
      el("td", { class: "num", text: typeof s.elapsedMs === "number" ? `${s.elapsedMs.toFixed(0)} ms` : "…" }), el("td", { text: s.detail || "" }))));
  }
  let lossPending = false;
  function drawLoss() {
    if (lossPending) return;
    lossPending = true;
    setTimeout(() => { lossPending = false; loadImage(lossImg, `/runs/${encodeURIComponent(id)}/charts/loss.svg?t=${Date.now()}`); }, 400);
  }

  main.replaceChildren(
    el("h2", {}, "Run ", el("code", { id: "run-id", text: id })),
    el("div", { class: "toolbar" }, statusLine, cancel),
    el("section", {}, el("h3", { text: "Stages" }), el("table", { id: "stages" },
      el("thead", {}, el("tr", {}, ["stage", "started (UTC)", "took", "detail"].map(h => el("th", { scope: "col", text: h })))), stages)),
    el("section", {}, el("h3", { text: "Loss" }), el("figure", { class: "chart" }, lossImg)),
    details,
    logs.section);
  drawStatus(run);
  drawStages(run.stages);
  drawLoss();
  drawDetails(details, run);

  if (ACTIVE.has(run.status)) {
    const stageList = [...(run.stages || [])];
    follow(`/runs/${encodeURIComponent(id)}/events`, (name, data) => {
      if (name === "started") drawStatus(current = Object.assign({}, current, { status: "running" }));
      if (name === "stage") {
        stageList.push({ stage: data.stage, startedAt: new Date().toISOString() });
        drawStages(stageList);
        drawStatus(current = Object.assign({}, current, { stage: data.stage }));
      }
      if (name === "stage-completed") {
        const s = stageList.find(x => x.stage === data.stage);
        if (s) Object.assign(s, { elapsedMs: data.elapsedMs, detail: data.detail });
        drawStages(stageList);
      }
      if (name === "epoch") { drawStatus(current = Object.assign({}, current, { epoch: data.epoch })); drawLoss(); }
      if (name === "finished") {
        current = data;
        drawStatus(data); drawStages(data.stages); drawLoss(); drawDetails(details, data);
      }
    }, generation).catch(error => { if (!(error instanceof DOMException)) console.warn(error.message); });
  }
}

function metricCards(entries) {
  return el("div", { class: "cards" }, entries.filter(([, v]) => v !== "" && v !== undefined).map(([label, value]) =>
    el("div", { class: "card" }, el("div", { class: "label", text: label }), el("div", { class: "value", text: value }))));
}

function drawDetails(container, run) {
  const m = run.metrics;
  const parts = [];
  const base = `/runs/${encodeURIComponent(run.id)}/charts`;
  if (m) {
    const p = m.population;
    if (p) {
      const c = p.campaign || {};
      parts.push(el("section", { id: "population" }, el("h3", { text: `On the customers' natural mix (${p.sample || "customers the model never saw"})` }),
        metricCards([["ROC AUC", fmt(p.rocAuc)], ["average precision", fmt(p.averagePrecision)], ["Brier", fmt(p.brier)],
          ["log loss", fmt(p.logLoss)], ["calibration error", fmt(p.calibrationError)], ["buying rate", pct(p.buyingRate)],
          ["mean probability", pct(p.meanProbability)]]),
        el("h3", { text: "Campaign" }),
        metricCards([["contact cost / value", `${c.contactCost ?? ""} / ${c.conversionValue ?? ""}`], ["contacted", pct(c.contactedShare)],
          ["buyers reached", pct(c.buyersReachedShare)], ["profit per 1,000", fmt(c.profitPer1000, 0)], ["expected profit per 1,000", fmt(c.expectedProfitPer1000, 0)],
          ["best cut-off profit per 1,000", fmt(c.bestCutoffProfitPer1000, 0)], ["contact everyone", fmt(c.everyoneProfitPer1000, 0)],
          ["same number at random", fmt(c.randomProfitPer1000, 0)]])));
    }
    const t = m.test || {};
    parts.push(el("section", { id: "recipe" }, el("h3", { text: "Balanced test split (the recipe's figure, kept for comparison)" }),
      metricCards([["accuracy", fmt(t.accuracy)], ["precision", fmt(t.precision)], ["recall", fmt(t.recall)], ["F1", fmt(t.f1)],
        ["ROC AUC", fmt(t.rocAuc)], ["log loss", fmt(t.logLoss)]]),
      m.leftOut ? el("p", { class: "note", text: `Left-out non-buyers: ${m.leftOut.rows} rows, ${pct(m.leftOut.calledNonBuyers)} called non-buyers, ROC AUC with the test rows ${fmt(m.leftOut.rocAucWithTest)}.` }) : ""));
    parts.push(el("section", {}, el("h3", { text: "Charts" }), el("div", { class: "charts" },
      p ? chart(`${base}/reliability.svg`, "reliability diagram: observed buying rate against predicted probability", "reliability-chart") : "",
      chart(`${base}/gains.svg`, "cumulative gains: share of buyers reached against share of customers contacted", "gains-chart"),
      p ? chart(`${base}/profit.svg`, "campaign profit against share of customers contacted", "profit-chart") : "",
      chart(`${base}/importance.svg`, "permutation importance of each behaviour", "importance-chart"))));
    if (run.status === "succeeded" && run.mode !== "prepare") parts.push(scoreSection(run.id));
  }
  parts.push(artifactsSection(run));
  parts.push(el("section", {}, el("h3", { text: "Configuration" }), configTable([run], false)));
  container.replaceChildren(...parts);
}

function configTable(runs, highlight) {
  const flat = runs.map(r => flatten(r.config || {}, "", {}));
  const keys = [...new Set(flat.flatMap(f => Object.keys(f)))].sort();
  return el("table", { class: "config", id: highlight ? "compare-config" : "config" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "setting" }), runs.map(r => el("th", { scope: "col", text: r.id })))),
    el("tbody", {}, keys.map(key => {
      const values = flat.map(f => f[key] === undefined || f[key] === null ? "" : String(f[key]));
      const differs = highlight && new Set(values).size > 1;
      return el("tr", { class: differs ? "diff" : null, "data-differs": differs ? "true" : null },
        el("th", { scope: "row", text: key + (differs ? " (differs)" : "") }), values.map(v => el("td", { text: v })));
    })));
}

function artifactsSection(run) {
  const list = el("ul", { id: "artifacts" });
  const section = el("section", {}, el("h3", { text: "Files" }), list);
  api(`/runs/${encodeURIComponent(run.id)}/artifacts`).then(result => {
    if (!result.artifacts.length) list.replaceWith(el("p", { class: "note", text: "This run wrote no files (yet)." }));
    list.replaceChildren(...result.artifacts.map(a => el("li", {},
      el("button", { type: "button", class: "secondary", "data-artifact": a.name, "aria-label": `download ${a.name}`,
        onclick: () => download(a.href, a.name.split("/").pop()) }, a.name),
      ` ${a.bytes === null ? "(gone)" : `${(a.bytes / 1024).toFixed(1)} KiB`}, ${a.contentType}`)));
  }).catch(error => list.replaceWith(el("p", { class: "error", text: error.message })));
  return section;
}

async function download(path, name, options) {
  const blob = await (await request(path, options)).blob();
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Scores a customer file with the run's model into a contact list (the campaign: POST /runs/{id}/target), downloaded as CSV.
function scoreSection(id) {
  const file = el("input", { type: "file", id: "score-file", accept: ".csv,text/csv", "aria-describedby": "score-error" });
  const error = el("p", { class: "error", id: "score-error", role: "alert" });
  const button = el("button", { type: "button", id: "score", text: "Score into a contact list" });
  button.addEventListener("click", async () => {
    error.textContent = "";
    file.removeAttribute("aria-invalid");
    if (!file.files.length) { error.textContent = "Choose a customer CSV first."; file.focus(); return; }
    try {
      await download(`/runs/${encodeURIComponent(id)}/target`, `contacts-${id}.csv`,
        { method: "POST", json: { customers: await file.files[0].text(), list: "contacts" }, headers: { Accept: "text/csv" } });
    } catch (e) {
      error.textContent = e.status === 404 && !e.problem.field && e.problem.title === "not found" ? "This host cannot score customer files yet." : e.message;
      file.setAttribute("aria-invalid", "true");
    }
  });
  return el("section", { id: "scoring" }, el("h3", { text: "Score a customer file" }),
    el("div", { class: "toolbar" }, el("div", { class: "field" }, el("label", { for: "score-file", text: "Customer CSV (ID and the 10 behaviours)" }), file), button), error);
}

function logsSection(id, generation, active) {
  const level = el("select", { id: "log-level" }, ["debug", "info", "warning", "error"].map(l => el("option", { value: l, text: l, selected: l === "info" })));
  const actor = el("input", { id: "log-actor", type: "text", placeholder: "*trainer*" });
  const followBox = el("input", { id: "log-follow", type: "checkbox", checked: true });
  const output = el("div", { class: "logs", id: "logs", role: "log", "aria-live": "off", tabindex: "0" });
  async function load() {
    const query = new URLSearchParams({ level: level.value });
    if (actor.value.trim()) query.set("actor", actor.value.trim());
    const result = await api(`/runs/${encodeURIComponent(id)}/logs?${query}`);
    const atEnd = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
    output.replaceChildren(...result.lines.slice(-500).map(l => el("div", { class: `lvl-${(l.level || "").toLowerCase()}` },
      `${when(l.timestamp)} ${(l.level || "").padEnd(11)} ${l.stage || "-"} ${l.source || ""}: ${l.message}`)));
    if (!result.lines.length) output.textContent = "No log lines match.";
    if (atEnd) output.scrollTop = output.scrollHeight;
  }
  level.addEventListener("change", load);
  actor.addEventListener("change", load);
  load().catch(e => { output.textContent = e.message; });
  every(2000, generation, async () => { if (followBox.checked && active()) await load(); });
  return {
    section: el("section", {}, el("h3", { text: "Actor logs" }),
      el("div", { class: "toolbar" },
        el("div", { class: "field" }, el("label", { for: "log-level", text: "Level and above" }), level),
        el("div", { class: "field" }, el("label", { for: "log-actor", text: "Actor path (glob)" }), actor),
        el("div", { class: "field" }, el("label", { for: "log-follow", text: "Follow live" }), followBox)),
      output),
  };
}

// ---------- Compare ----------

async function comparePage(generation, ids) {
  const runs = await Promise.all(ids.map(id => api(`/runs/${encodeURIComponent(id)}`)));
  if (generation !== pageGeneration) return;
  const metricRows = [
    ["status", r => r.status], ["ROC AUC (population)", r => fmt(r.metrics?.population?.rocAuc)], ["Brier (population)", r => fmt(r.metrics?.population?.brier)],
    ["calibration error (population)", r => fmt(r.metrics?.population?.calibrationError)],
    ["profit per 1,000 (population)", r => fmt(r.metrics?.population?.campaign?.profitPer1000, 0)],
    ["balanced test accuracy (recipe)", r => fmt(r.metrics?.test?.accuracy)], ["balanced test ROC AUC", r => fmt(r.metrics?.test?.rocAuc)],
    ["test log loss", r => fmt(r.metrics?.test?.logLoss)], ["epochs", r => r.epochs ? r.epochs.length : ""],
    ["best validation loss", r => fmt(Math.min(...(r.epochs || []).map(e => e.validationLoss)))],
  ];
  main.replaceChildren(
    el("h2", { text: `Comparing ${runs.length} runs` }),
    el("section", {}, el("h3", { text: "Metrics" }), el("table", { id: "compare-metrics" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "metric" }), runs.map(r => el("th", { scope: "col" }, el("a", { href: `#/runs/${r.id}`, text: r.id }))))),
      el("tbody", {}, metricRows.filter(([, f]) => runs.some(r => f(r) !== "")).map(([label, f]) =>
        el("tr", {}, el("th", { scope: "row", text: label }), runs.map(r => el("td", { class: "num", text: f(r) }))))))),
    el("section", {}, el("h3", { text: "Loss curves" }), chart(`/compare/loss.svg?ids=${ids.map(encodeURIComponent).join(",")}`, "validation and training loss of the compared runs", "compare-chart")),
    el("section", {}, el("h3", { text: "Configurations (differences highlighted)" }), configTable(runs, true)));
}

// ---------- Searches ----------

async function searchesPage(generation) {
  const body = el("tbody");
  main.replaceChildren(el("h2", { text: "Searches" }), el("p", {}, el("a", { href: "#/new-search", text: "Start a search" })),
    el("table", { id: "searches" }, el("thead", {}, el("tr", {}, ["search", "status", "scheduler", "configurations × seeds", "trials ended", "best trial validation loss", "epochs", "created (UTC)", ""].map(h => el("th", { scope: "col", text: h })))), body));
  async function load() {
    const result = await api("/searches");
    if (generation !== pageGeneration) return;
    body.replaceChildren(...result.searches.map(s => {
      const ended = Object.entries(s.trialsByStatus).filter(([k]) => k !== "pending" && k !== "running").reduce((n, [, v]) => n + v, 0);
      return el("tr", { "data-search": s.id },
        el("td", {}, el("a", { href: `#/searches/${s.id}`, text: s.id })), el("td", {}, statusCell(s.status)), el("td", { text: s.scheduler }),
        el("td", { class: "num", text: `${s.configurations} × ${s.seeds}` }), el("td", { class: "num", text: `${ended} / ${s.trials}` }),
        el("td", { class: "num", text: fmt(s.bestTrialValidationLoss) }), el("td", { class: "num", text: s.epochsSpent }), el("td", { text: when(s.createdAt) }),
        el("td", {}, searchActions(s.id, s.status)));
    }));
    if (!result.searches.length) body.replaceChildren(el("tr", {}, el("td", { colspan: 9, text: "No searches yet." })));
  }
  await load();
  every(3000, generation, load);
}

function searchActions(id, status) {
  if (status === "running") {
    return el("button", { type: "button", class: "secondary", "aria-label": `cancel search ${id}`, text: "Cancel",
      onclick: () => api(`/searches/${encodeURIComponent(id)}`, { method: "DELETE" }).catch(e => alert(e.message)) });
  }
  if (status !== "completed") {
    return el("button", { type: "button", class: "secondary", "aria-label": `resume search ${id}`, text: "Resume",
      onclick: () => api(`/searches/${encodeURIComponent(id)}/resume`, { method: "POST", json: {} }).then(() => route()).catch(e => alert(e.message)) });
  }
  return "";
}

const configText = c => c ? `depth ${c.depth}, width ${c.width}, ${c.activation}, lr ${c.learningRate}, batch ${c.batchSize}, patience ${c.patience}, dropout ${c.dropout}, wd ${c.weightDecay}${c.shuffleEachEpoch ? ", shuffled" : ""}` : "";

async function searchPage(generation, id) {
  const head = el("div", { id: "search-head" });
  const trials = el("tbody");
  const board = el("tbody");
  const decisions = el("tbody");
  const curves = el("div", { class: "charts", id: "search-curves" });
  const effects = el("div", { class: "charts", id: "effects" });
  const summary = el("div", { id: "search-summary" });
  main.replaceChildren(el("h2", {}, "Search ", el("code", { text: id })), head, summary,
    el("section", {}, el("h3", { text: "Leaderboard (mean validation loss over seeds; the test split plays no part)" }),
      el("table", { id: "leaderboard" }, el("thead", {}, el("tr", {}, ["rank", "configuration", "outcome", "seeds", "mean ± sd", "min – max", "validation accuracy", "epochs", "hyperparameters"].map(h => el("th", { scope: "col", text: h })))), board)),
    el("section", {}, el("h3", { text: "Validation loss of the top configurations" }), curves),
    el("section", {}, el("h3", { text: "Effect of each hyperparameter on the validation loss" }), effects),
    el("section", {}, el("h3", { text: "Trials" }),
      el("table", { id: "trials" }, el("thead", {}, el("tr", {}, ["trial", "configuration", "seed", "status", "node", "epoch", "best validation loss", "last validation loss", "reason"].map(h => el("th", { scope: "col", text: h })))), trials)),
    el("section", {}, el("h3", { text: "ASHA decisions" }),
      el("table", { id: "decisions" }, el("thead", {}, el("tr", {}, ["rung", "epoch", "configuration", "mean validation loss", "outcome", "rank", "kept of compared"].map(h => el("th", { scope: "col", text: h })))), decisions)));
  let lastEpochs = -1;
  let lastStatus = "";
  async function load() {
    const s = await api(`/searches/${encodeURIComponent(id)}`);
    if (generation !== pageGeneration) return;
    head.replaceChildren(el("p", { id: "search-status" }, "Status ", statusCell(s.status), s.phase ? ` (${s.phase})` : "",
      ` · ${s.trials.ended} of ${s.trials.total} trials ended · ${s.epochsSpent} epochs · scheduler ${s.scheduler} · seed ${s.seed}`,
      s.reason ? el("span", { class: "error", text: ` · ${s.reason}` }) : "", " ", searchActions(id, s.status)));
    board.replaceChildren(...s.leaderboard.map(r => el("tr", {},
      el("td", { class: "num", text: r.rank }), el("td", { class: "num", text: r.configuration }), el("td", {}, statusCell(r.outcome.toLowerCase())),
      el("td", { class: "num", text: `${r.seedsDone}/${r.seeds}` }),
      el("td", { class: "num", text: isFinite(r.meanValidationLoss) ? `${fmt(r.meanValidationLoss)} ± ${fmt(r.stdValidationLoss)}` : "" }),
      el("td", { class: "num", text: isFinite(r.minValidationLoss) ? `${fmt(r.minValidationLoss)} – ${fmt(r.maxValidationLoss)}` : "" }),
      el("td", { class: "num", text: fmt(r.meanValidationAccuracy) }), el("td", { class: "num", text: fmt(r.meanEpochs, 0) }),
      el("td", { text: configText(r.config) + (r.reason ? ` (${r.reason})` : "") }))));
    trials.replaceChildren(...(s.trialList || []).map(t => el("tr", { "data-trial": t.index },
      el("td", { class: "num", text: t.index }), el("td", { class: "num", text: t.configuration }), el("td", { class: "num", text: t.replicate }),
      el("td", {}, statusCell(t.status)), el("td", { text: t.node || "local" }), el("td", { class: "num", text: t.epochs }),
      el("td", { class: "num", text: fmt(t.bestValidationLoss) }), el("td", { class: "num", text: fmt(t.lastValidationLoss) }), el("td", { text: t.reason || "" }))));
    decisions.replaceChildren(...(s.decisions.length ? s.decisions.map(d => el("tr", {},
      el("td", { class: "num", text: d.rung }), el("td", { class: "num", text: d.epoch }), el("td", { class: "num", text: d.configuration }),
      el("td", { class: "num", text: fmt(d.value) }), el("td", {}, statusCell(d.outcome.toLowerCase())), el("td", { class: "num", text: d.rank }),
      el("td", { class: "num", text: `${d.kept} of ${d.compared}` }))) : [el("tr", {}, el("td", { colspan: 7, text: s.scheduler === "asha" ? "No rung reached yet." : "No scheduler: every configuration trains to the end." }))]));
    if (s.summary && s.summary.winnerTest) {
      const t = s.summary.winnerTest;
      summary.replaceChildren(el("section", {}, el("h3", { text: "Winner" }),
        metricCards([["balanced test accuracy (recipe)", fmt(t.accuracy)], ["balanced test ROC AUC", fmt(t.rocAuc)], ["test log loss", fmt(t.logLoss)]]),
        el("p", { class: "note", text: s.testUse })));
    }
    if (s.epochsSpent !== lastEpochs || s.status !== lastStatus) {
      lastEpochs = s.epochsSpent;
      lastStatus = s.status;
      const base = `/searches/${encodeURIComponent(id)}/charts`;
      curves.replaceChildren(chart(`${base}/curves.svg?t=${s.epochsSpent}`, "validation loss per epoch of the top configurations, one line per seed", "curves-chart"));
      effects.replaceChildren(...(s.varied || []).map(p => chart(`${base}/effect/${p}.svg?t=${s.epochsSpent}`, `mean validation loss of each configuration against ${p}`, `effect-${p}`, 420, 300)));
      if (!(s.varied || []).length) effects.replaceChildren(el("p", { class: "note", text: "No hyperparameter varies yet." }));
    }
  }
  await load();
  every(2000, generation, async () => { if (lastStatus === "running") await load(); });
}

// ---------- Forms ----------

function field(name, label, value, options) {
  options = options || {};
  const id = `f-${name.replace(/[^a-zA-Z0-9]/g, "-")}`;
  let input;
  if (options.choices) {
    input = el("select", { id, name }, options.choices.map(c => el("option", { value: c, text: c, selected: String(value) === c })));
  } else if (options.checkbox) {
    input = el("input", { id, name, type: "checkbox", checked: value === true });
  } else if (options.textarea) {
    input = el("textarea", { id, name, spellcheck: "false" });
    input.value = value;
  } else {
    input = el("input", { id, name, type: "text", value: value ?? "", placeholder: options.placeholder, inputmode: options.numeric ? "decimal" : null });
  }
  input.setAttribute("aria-describedby", `${id}-error${options.hint ? ` ${id}-hint` : ""}`);
  return el("div", { class: `field${options.textarea ? " wide" : ""}`, "data-field": name },
    el("label", { for: id, text: label }), input,
    options.hint ? el("span", { class: "hint", id: `${id}-hint`, text: options.hint }) : "",
    el("p", { class: "error", id: `${id}-error`, role: "alert" }));
}

function clearErrors(form) {
  form.querySelectorAll(".error").forEach(e => { e.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach(e => e.removeAttribute("aria-invalid"));
}

// Shows a 400's message beside the field it names ("model.maxEpochs", "space.dropout[1]", ...), or at the form's end.
function showFieldError(form, problem, fallback) {
  const name = problem.field || "";
  const candidates = [name, name.replace(/\[\d+\]$/, ""), name.split(".").slice(0, 2).join("."), name.split(".")[0]];
  const target = candidates.map(n => form.querySelector(`[data-field="${CSS.escape(n)}"]`)).find(Boolean);
  if (target) {
    target.querySelector(".error").textContent = problem.detail;
    const input = target.querySelector("input, select, textarea");
    input.setAttribute("aria-invalid", "true");
    input.focus();
  } else {
    fallback.textContent = problem.detail || "The host refused the request.";
  }
}

function readValue(input, kind) {
  if (input.type === "checkbox") return input.checked;
  const text = input.value.trim();
  if (text === "") return undefined;
  if (kind === "number") { const n = Number(text); return Number.isNaN(n) ? text : n; }
  return text;
}

async function newRunPage() {
  const defaults = (await api("/defaults")).run;
  const m = defaults.model || {};
  const numbers = new Set(["seed", "model.depth", "model.width", "model.learningRate", "model.batchSize", "model.maxEpochs", "model.patience", "model.minDelta", "model.dropout", "model.weightDecay"]);
  const fields = [
    field("mode", "Mode", "run", { choices: ["run", "prepare"] }),
    field("data", "Data (CSV on the host)", defaults.data),
    field("out", "Output folder", "", { placeholder: `${defaults.out}/<run id>`, hint: "empty: a folder of its own" }),
    field("seed", "Seed", defaults.seed, { numeric: true }),
    field("balance", "Balancing", defaults.balance, { choices: ["random", "first"] }),
    field("split", "Split (train,validation,test)", defaults.split),
    field("stratify", "Stratify", defaults.stratify === true, { checkbox: true }),
    field("logFeatures", "Log features", (Array.isArray(defaults.logFeatures) ? defaults.logFeatures.join(",") : defaults.logFeatures) || "none", { hint: "none, skewed or names" }),
    field("device", "Device", defaults.device, { choices: ["auto", "cpu", "cuda", "mps"] }),
    field("model.depth", "Hidden layers", m.depth, { numeric: true }),
    field("model.width", "Units per layer", m.width, { numeric: true }),
    field("model.activation", "Activation", m.activation, { choices: ["relu", "tanh"] }),
    field("model.learningRate", "Learning rate", m.learningRate, { numeric: true }),
    field("model.batchSize", "Batch size", m.batchSize, { numeric: true }),
    field("model.maxEpochs", "Max epochs", m.maxEpochs, { numeric: true }),
    field("model.patience", "Patience (epochs)", m.patience, { numeric: true }),
    field("model.minDelta", "Min delta", m.minDelta, { numeric: true }),
    field("model.dropout", "Dropout", m.dropout, { numeric: true }),
    field("model.weightDecay", "Weight decay", m.weightDecay, { numeric: true }),
    field("model.shuffleEachEpoch", "Reshuffle every epoch", m.shuffleEachEpoch === true, { checkbox: true }),
  ];
  const general = el("p", { class: "error", id: "form-error", role: "alert" });
  const form = el("form", { id: "run-form", novalidate: true }, el("div", { class: "grid" }, fields), general,
    el("button", { type: "submit", id: "submit-run", text: "Start run" }));
  form.addEventListener("submit", async event => {
    event.preventDefault();
    clearErrors(form);
    const body = {};
    for (const wrapper of form.querySelectorAll("[data-field]")) {
      const name = wrapper.dataset.field;
      const value = readValue(wrapper.querySelector("input, select, textarea"), numbers.has(name) ? "number" : "text");
      if (value === undefined) continue;
      const [head, tail] = name.split(".");
      if (tail) { body[head] = body[head] || {}; body[head][tail] = value; } else body[head] = value;
    }
    try {
      const accepted = await api("/runs", { method: "POST", json: body });
      location.hash = `#/runs/${accepted.id}`;
    } catch (error) {
      if (error.status === 400) showFieldError(form, error.problem, general); else general.textContent = error.message;
    }
  });
  main.replaceChildren(el("h2", { text: "Start a run" }), el("p", { class: "note", text: "Every field shows the host's default; the host checks them all." }), form);
}

async function newSearchPage() {
  const defaults = (await api("/defaults")).search;
  const fields = [
    field("trials", "Configurations", defaults.trials, { numeric: true }),
    field("seeds", "Seeds per configuration", defaults.seeds, { numeric: true }),
    field("maxEpochs", "Max epochs", defaults.maxEpochs, { numeric: true }),
    field("scheduler", "Scheduler", defaults.scheduler, { choices: ["none", "asha"] }),
    field("seed", "Search seed", 0, { numeric: true }),
    field("parallel", "Trials at once", "", { numeric: true, placeholder: "processor count" }),
    field("threads", "Threads per trial", "", { numeric: true, placeholder: "1" }),
    field("data", "Data (CSV on the host)", ""),
    field("out", "Output folder", "", { placeholder: "<out>/searches/<id>" }),
    field("space", "Space (JSON: lists or ranges per hyperparameter)", JSON.stringify(defaults.space, null, 2), { textarea: true }),
  ];
  const general = el("p", { class: "error", id: "form-error", role: "alert" });
  const form = el("form", { id: "search-form", novalidate: true }, el("div", { class: "grid" }, fields), general,
    el("button", { type: "submit", id: "submit-search", text: "Start search" }));
  form.addEventListener("submit", async event => {
    event.preventDefault();
    clearErrors(form);
    const body = {};
    for (const wrapper of form.querySelectorAll("[data-field]")) {
      const name = wrapper.dataset.field;
      const input = wrapper.querySelector("input, select, textarea");
      if (name === "space") {
        try { body.space = JSON.parse(input.value); } catch (e) { showFieldError(form, { field: "space", detail: `space: not valid JSON: ${e.message}` }, general); return; }
        continue;
      }
      const value = readValue(input, ["data", "out", "scheduler"].includes(name) ? "text" : "number");
      if (value !== undefined) body[name] = value;
    }
    try {
      const accepted = await api("/searches", { method: "POST", json: body });
      location.hash = `#/searches/${accepted.id}`;
    } catch (error) {
      if (error.status === 400) showFieldError(form, error.problem, general); else general.textContent = error.message;
    }
  });
  main.replaceChildren(el("h2", { text: "Start a search" }), el("p", { class: "note", text: "Fields start at the host's search defaults (config/search.json)." }), form);
}

// ---------- Routing ----------

async function route() {
  pageGeneration++;
  pageAbort.controller.abort();
  pageAbort.controller = new AbortController();
  const generation = pageGeneration;
  const [path, query] = (location.hash.replace(/^#/, "") || "/runs").split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const section = parts[0] || "runs";
  document.querySelectorAll("nav a").forEach(a => a.toggleAttribute("aria-current", a.dataset.nav === section && parts.length === 1));
  document.querySelectorAll("nav a[aria-current]").forEach(a => a.setAttribute("aria-current", "page"));
  try {
    if (section === "runs" && parts[1]) await runPage(generation, parts[1]);
    else if (section === "compare") await comparePage(generation, parts[1].split(","));
    else if (section === "searches" && parts[1]) await searchPage(generation, parts[1]);
    else if (section === "searches") await searchesPage(generation);
    else if (section === "new-run") await newRunPage();
    else if (section === "new-search") await newSearchPage();
    else await runsPage(generation, params);
    document.title = `ChurnActors · ${section}${parts[1] ? " " + parts[1] : ""}`;
  } catch (error) {
    if (generation === pageGeneration && !(error instanceof DOMException)) showError(error);
  }
}

window.addEventListener("hashchange", route);
route();
