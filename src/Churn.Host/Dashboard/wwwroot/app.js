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

// Reads a server-sent event stream through fetch (so the token travels in a header) and calls onEvent(name, data)
// until the stream ends, the page changes or `signal` (optional) aborts it.
async function follow(path, onEvent, generation, signal) {
  const signals = [pageAbort.controller.signal].concat(signal ? [signal] : []);
  const response = await request(path, { signal: AbortSignal.any(signals) });
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
// A share as a percentage with one decimal, and two near 0 and 1, where one decimal would round a 0.9996 to "100.0 %":
// a value that is not exactly 0 or 1 never reads as certain ("99.96 %", "> 99.99 %", "< 0.01 %").
function pct(value) {
  if (typeof value !== "number" || !isFinite(value)) return "";
  const percent = value * 100;
  if (percent <= 0 || percent >= 100 || (percent >= 0.1 && percent <= 99.9)) return percent.toFixed(1) + " %";
  if (percent > 99.99 && percent < 100) return "> 99.99 %";
  if (percent > 0 && percent < 0.01) return "< 0.01 %";
  return percent.toFixed(2) + " %";
}
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

// A table with one header row of column names (text, or a node) and the given body.
function table(id, headers, body, caption) {
  return el("table", { id },
    caption ? el("caption", { class: "note", text: caption }) : null,
    el("thead", {}, el("tr", {}, headers.map(h => el("th", { scope: "col" }, h)))),
    body);
}

// Table cells: text, a right-aligned figure, a status.
const td = (text, attrs) => el("td", Object.assign({ text: text ?? "" }, attrs || {}));
const num = (text, attrs) => td(text, Object.assign({ class: "num" }, attrs || {}));
const statusTd = status => el("td", {}, statusCell(status));

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

// Plain words for the terms a page must keep: shown on hover and on keyboard focus (the "?" after the term).
const GLOSSARY = {
  rocAuc: "ROC AUC: the chance that a random buyer gets a higher score than a random non-buyer. 0.5 is guessing, 1 is perfect.",
  brier: "Brier score: the mean squared gap between the predicted probability and what happened (1 bought, 0 did not). Lower is better.",
  calibrationError: "Calibration error: how far predicted probabilities are from the observed buying rates, on average. Lower is better.",
  logLoss: "Log loss: how surprised the model is by what happened; it punishes confident mistakes. Lower is better.",
  averagePrecision: "Average precision: how pure the top of the ranking is in buyers, averaged over every cut-off. Higher is better.",
  profitPer1000: "Profit per 1,000 customers: what contacting whom the model picks would earn, per 1,000 customers, with this run's contact cost and buyer value.",
  testAccuracy: "Test accuracy: the share of test customers whose buy / not-buy the model calls right. It depends on the mix: on a 50/50 split it is not comparable with the natural mix.",
  validationLoss: "Validation loss: the training loss measured on customers held back for choosing the epoch. Only comparable between runs that balanced the data the same way.",
  calibratedLoss: "Calibrated loss: the log loss on the validation customers after the probabilities are corrected to the customers' natural mix; comparable whatever the balancing.",
  naturalMix: "Natural mix: the customers as they come, with their real share of buyers (about 16 %), not a 50/50 selection.",
  gains: "Gains: the share of all buyers reached when contacting the top share of customers the model ranks first.",
  reliability: "Reliability: whether customers given probability p buy at rate p. Points on the diagonal are honest probabilities.",
  calibration: "Calibration: a correction of the model's probabilities so that they match how often customers really buy.",
  logOdds: "Log-odds: a probability on another scale, ln(p / (1 - p)): 0 is 50 %, -1.7 is about 16 %. Contributions add up on this scale.",
  shapley: "Shapley value: each behaviour's fair share of a customer's score, averaged over every order in which the behaviours could be added; the shares add up from the base to the customer's score.",
  partialDependence: "Partial dependence: the mean probability when one behaviour is set to each value for every customer, the others as they are; each grey line is one customer.",
  permutation: "Permutation importance: how much the ROC AUC drops when one behaviour's values are shuffled between customers, which breaks its link with buying.",
  interval: "95 % interval: the range the figure falls in for 95 of 100 resamples of the customers (a bootstrap).",
  lift: "Lift: how many times more buyers the customers contacted hold than as many picked at random.",
  epoch: "Epoch: one pass of training over every training customer.",
  logScale: "Log scale: a skewed behaviour (a few customers with very large values) is compressed as ln(1 + x), so that those few do not outweigh everyone else.",
  hyperparameter: "Hyperparameter: a setting of the network or of its training chosen before it trains (width, depth, learning rate...).",
  asha: "ASHA: stops weaker configurations early. At each checkpoint (a rung, after a set number of epochs) only the best share of the configurations trains on.",
  history: "Optimization history: each ended trial's score by trial number, and the best so far; a search that still improves late may deserve more trials.",
  importance: "Hyperparameter importance: the share of the spread of the scores that a hyperparameter's value explains (eta squared, a one-way analysis of variance).",
  parallel: "Parallel coordinates: one line per configuration through its hyperparameter values to its score; darker lines are better.",
  slice: "Slice plot: each configuration's score against one hyperparameter's value.",
  psi: "PSI (population stability index): how far a behaviour's distribution in new customers has moved from the training customers'. Under 0.1 is stable, over 0.25 a real shift.",
};
function glossary(term) {
  const text = GLOSSARY[term];
  return text ? el("span", { class: "term", tabindex: "0", role: "note", "data-tip": text, "aria-label": text, text: "?" }) : "";
}

// A stage's line as the host words it, with a "?" for each term it must keep.
const DETAIL_TERMS = [[/ROC AUC/, "rocAuc"], [/Brier/, "brier"], [/calibration error/, "calibrationError"], [/\bepochs?\b/, "epoch"], [/natural mix/, "naturalMix"], [/log scale/, "logScale"]];
function termsTd(text) {
  text = text ?? "";
  // Each tip right after the first mention of its term.
  const found = DETAIL_TERMS.map(([words, term]) => ({ match: words.exec(text), term })).filter(t => t.match)
    .map(({ match, term }) => ({ end: match.index + match[0].length, term })).sort((a, b) => a.end - b.end);
  const parts = [];
  let from = 0;
  for (const { end, term } of found) {
    parts.push(text.slice(from, end), glossary(term));
    from = end;
  }
  parts.push(text.slice(from));
  return el("td", {}, ...parts);
}

function every(ms, generation, action) {
  const tick = async () => {
    if (generation !== pageGeneration) return;
    try { await action(); } catch (error) { if (!(error instanceof DOMException)) console.warn(error.message); }
    if (generation === pageGeneration) setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
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
  // No loss chart before the first epoch, nor for a run that only prepares data.
  const lossSection = el("section", { hidden: run.mode === "prepare" || !(run.epochs || []).length },
    el("h3", { text: "Loss" }), el("figure", { class: "chart" }, lossImg));
  let current = run;

  function drawStatus(r) {
    statusLine.replaceChildren("Status ", statusCell(r.status), r.status === "queued" && r.position ? ` · number ${r.position} in the queue` : "",
      r.stage ? ` · stage ${r.stage}` : "", r.epoch ? ` · epoch ${r.epoch}` : "",
      r.error ? el("span", { class: "error", text: ` · ${r.error}` }) : "");
    cancel.hidden = !ACTIVE.has(r.status);
  }
  // A stage without a duration is still going while the run is; once the run has ended it was stopped there.
  function drawStages(list) {
    const ended = !ACTIVE.has(current.status);
    stages.replaceChildren(...(list || []).map(s => el("tr", {},
      td(s.stage), td(when(s.startedAt), { class: "time" }),
      num(typeof s.elapsedMs === "number" ? `${s.elapsedMs.toFixed(0)} ms` : ended ? `stopped (${current.status})` : "…"), termsTd(s.detail))));
  }
  let lossPending = false;
  function drawLoss() {
    if (lossPending) return;
    lossPending = true;
    // A page left since stops here: its chart would be fetched for nothing, while another page is shown.
    setTimeout(() => { lossPending = false; if (generation === pageGeneration) loadImage(lossImg, `/runs/${encodeURIComponent(id)}/charts/loss.svg?t=${Date.now()}`); }, 400);
  }

  main.replaceChildren(
    el("h2", {}, run.name ? `${run.name} · ` : "Run ", el("code", { id: "run-id", text: id })),
    (run.tags || []).length ? el("div", { class: "tags" }, run.tags.map(t => el("span", { class: "tag", text: t }))) : "",
    el("div", { class: "toolbar" }, statusLine, cancel),
    runLabelsSection(run),
    el("section", {}, el("h3", { text: "Stages" }), table("stages", ["stage", "started (UTC)", "took", "detail"], stages)),
    lossSection,
    details,
    logsSection(id, generation));
  drawStatus(run);
  drawStages(run.stages);
  drawLoss();
  drawDetails(details, run);

  if (ACTIVE.has(run.status)) {
    const stageList = [...(run.stages || [])];
    follow(`/runs/${encodeURIComponent(id)}/events`, (name, data) => {
      if (name === "started") drawStatus(current = Object.assign({}, current, { status: "running" }));
      if (name === "stage") {
        // The stream replays the stages the run has been through: each is listed once.
        if (!stageList.some(s => s.stage === data.stage)) stageList.push({ stage: data.stage, startedAt: new Date().toISOString() });
        drawStages(stageList);
        drawStatus(current = Object.assign({}, current, { stage: data.stage }));
      }
      if (name === "stage-completed") {
        const s = stageList.find(x => x.stage === data.stage);
        if (s) Object.assign(s, { elapsedMs: data.elapsedMs, detail: data.detail });
        drawStages(stageList);
      }
      if (name === "epoch") { drawStatus(current = Object.assign({}, current, { epoch: data.epoch })); lossSection.hidden = false; drawLoss(); }
      if (name === "finished") {
        current = data;
        drawStatus(data); drawStages(data.stages || stageList); drawLoss(); drawDetails(details, data);
        lossSection.hidden = data.mode === "prepare" || !(data.epochs || []).length;
      }
    }, generation).catch(error => { if (!(error instanceof DOMException)) console.warn(error.message); });
  }
}

// Cards of [label, value, glossary term (optional)].
function metricCards(entries, id) {
  return el("div", { class: "cards", id }, entries.filter(([, v]) => v !== "" && v !== undefined).map(([label, value, term]) =>
    el("div", { class: "card" }, el("div", { class: "label" }, label, term ? glossary(term) : ""), el("div", { class: "value", text: value }))));
}

// A collapsed table of figures behind a chart, for reading exact values (and for screen readers).
function figures(summary, id, headers, rows) {
  return el("details", { class: "figures" }, el("summary", { text: summary }), table(id, headers, el("tbody", {}, rows.map(r => el("tr", {}, r.map(v => num(v)))))));
}

// Whole money amounts, halves away from zero (as the command line prints them); a loss under one half is 0, never "-0".
const wholeNumber = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const money = value => (typeof value === "number" && isFinite(value) ? wholeNumber.format(Math.abs(value) < 0.5 ? 0 : value) : "");

// The calibrations in plain words, the method's own name in brackets.
const CALIBRATION_NAMES = { none: "as the model gives them", uncalibrated: "as the model gives them (uncalibrated)", prior: "shifted to the real buying rate (prior shift)", platt: "refitted on held-back customers (Platt scaling)" };
const calibrationName = method => CALIBRATION_NAMES[method] || method;

// What the population section says first: the model on customers it never saw, in their natural mix.
function populationSection(p, base) {
  const c = p.campaign || {};
  const cal = p.calibration || {};
  const alternatives = Object.entries(p.alternatives || {});
  return el("section", { id: "population" },
    el("h3", {}, "On customers the model never saw, in their natural mix", glossary("naturalMix")),
    el("p", { class: "note", id: "population-sample", text: `${p.sample || ""} (${(p.rows ?? 0).toLocaleString("en-US")} customers, ${(p.buyers ?? 0).toLocaleString("en-US")} buyers).` }),
    metricCards([["ROC AUC", fmt(p.rocAuc), "rocAuc"], ["average precision", fmt(p.averagePrecision), "averagePrecision"], ["Brier", fmt(p.brier), "brier"],
      ["log loss", fmt(p.logLoss), "logLoss"], ["calibration error", fmt(p.calibrationError), "calibrationError"], ["buying rate", pct(p.buyingRate)],
      ["mean probability", pct(p.meanProbability)]], "population-cards"),
    cal.method ? el("p", { class: "note", id: "calibration" }, cal.method === "none"
      ? `Probabilities as the model gives them (calibration none): it trained on ${pct(cal.trainingRate)} buyers, the customers' own mix.`
      : Math.abs((cal.trainingRate ?? 0) - (cal.populationRate ?? 0)) < 0.0005
        ? `The model trained on the customers' own mix (${pct(cal.trainingRate)} buyers); its probabilities were then corrected (${calibrationName(cal.method)}, slope ${fmt(cal.slope, 3)}, intercept ${fmt(cal.intercept, 3)}) so that they match how often customers really buy.`
        : `The model trained on a mix of ${pct(cal.trainingRate)} buyers; its probabilities were corrected (${calibrationName(cal.method)}, slope ${fmt(cal.slope, 3)}, intercept ${fmt(cal.intercept, 3)}) to the customers' real ${pct(cal.populationRate)}.`, glossary("calibration")) : "",
    alternatives.length ? figures("Calibration alternatives on the same customers", "alternatives",
      ["probabilities", "mean probability", "Brier", "log loss", "calibration error"],
      alternatives.map(([name, q]) => [calibrationName(name), pct(q.meanProbability), fmt(q.brier), fmt(q.logLoss), fmt(q.calibrationError)])) : "",
    el("div", { class: "charts" },
      chart(`${base}/reliability.svg`, "reliability diagram: observed buying rate against predicted probability, on the customers' natural mix", "reliability-chart", 560, 315),
      chart(`${base}/gains.svg`, "cumulative gains on the customers' natural mix: share of buyers reached against share of customers contacted", "gains-chart", 560, 315),
      chart(`${base}/profit.svg`, "campaign profit per 1,000 customers against the share contacted", "profit-chart", 560, 315)),
    reliabilityTable(p),
    figures("Gains table", "gains", ["contacted", "buyers reached", "lift"],
      (p.gains || []).map(g => [pct(g.contactedShare), pct(g.buyersReachedShare), fmt(g.lift, 2)])),
    el("h3", { text: "Campaign on these customers, per 1,000" }),
    el("p", { class: "note", text: `Contacting where p · ${c.conversionValue ?? "value"} > ${c.contactCost ?? "cost"} (a buyer is worth ${c.conversionValue ?? "?"}, a contact costs ${c.contactCost ?? "?"}).` }),
    metricCards([["contacted", pct(c.contactedShare)], ["buyers reached", pct(c.buyersReachedShare)],
      ["profit per 1,000", money(c.profitPer1000)], ["expected profit per 1,000", money(c.expectedProfitPer1000)],
      ["best cut-off profit per 1,000", money(c.bestCutoffProfitPer1000)], ["contacting everyone", money(c.everyoneProfitPer1000)],
      ["as many at random", money(c.randomProfitPer1000)]], "campaign-cards"));
}

// The reliability diagram's bins as figures: of equal numbers of customers where the run measured them (the
// customers in each said), else the older equal-width bins.
function reliabilityTable(p) {
  const counted = (p.equalCountReliability || []).length > 0;
  const bins = counted ? p.equalCountReliability : (p.reliability || []);
  const size = i => Math.floor((i + 1) * p.rows / bins.length) - Math.floor(i * p.rows / bins.length);
  return figures(counted ? `Reliability table (${bins.length} bins of equal size)` : "Reliability table", "reliability",
    ["predicted from", "to", "customers", "share of customers", "mean predicted", "observed buying rate"],
    bins.map((b, i) => [pct(b.from), pct(b.to), counted ? wholeNumber.format(size(i)) : wholeNumber.format(Math.round(b.share * p.rows)), pct(b.share), pct(b.meanPredicted), pct(b.observed)]));
}

// Which behaviours bring customers back: the ranking the console prints (its measure on the axis), the direction
// sentences, the top behaviours' partial dependence with ICE lines and dependence curves, and permutation importance
// as a second view. Runs saved before explanations existed show the permutation ranking alone.
function explanationsSection(m, base) {
  const e = m.explanations;
  const perm = m.importance || [];
  const where = m.population ? "customers the model never saw, natural mix" : "test split";
  const children = [el("h3", { text: "Which behaviours bring customers back" })];
  if (e) {
    children.push(
      el("p", { class: "note", id: "explanations-sample" }, `Measured on ${e.sample}. A contribution is what a behaviour adds to a customer's score (its log-odds), against ${e.backgroundRows} training customers as the background (their mean score, ${fmt(e.baseLogOdds, 2)}, is the base).`, glossary("logOdds"), glossary("shapley")),
      el("ul", { id: "explanation-sentences" }, (e.sentences || []).map(text => el("li", { text }))));
  }
  children.push(el("div", { class: "charts" }, chart(`${base}/importance.svg`,
    e ? `behaviours ranked by ${e.measure}, with 95 % bootstrap intervals` : `behaviours ranked by the drop in ROC AUC when shuffled (${where})`, "importance-chart")));
  if (e) {
    const behaviours = e.behaviours || [];
    const shapes = { rises: "rises", falls: "falls", risesThenFalls: "rises, then falls", fallsThenRises: "falls, then rises", varies: "goes up and down", flat: "barely changes" };
    children.push(figures("Ranking table", "importance-table", ["rank", "behaviour", e.measure, "95 % interval", "probability as the behaviour grows"],
      behaviours.map(b => [String(b.rank), b.feature, fmt(b.meanAbsContribution, 3), `${fmt(b.low, 3)} to ${fmt(b.high, 3)}`, shapes[(b.trend || {}).shape] || ""])));
    const top = behaviours.filter(b => b.meanAbsContribution > 0).slice(0, 3);
    const behaviourChart = (kind, b, alt) => chart(`${base}/${kind}/${encodeURIComponent(b.feature)}.svg`, alt, `${kind}-${b.feature}`, 420, 300);
    children.push(
      el("h4", {}, "How the probability moves with each top behaviour (a grey line per customer)", glossary("partialDependence")),
      el("div", { class: "charts" }, top.map(b => behaviourChart("partial-dependence", b, `partial dependence of the probability on ${b.feature}, with one line per customer`))),
      el("h4", {}, "What each top behaviour adds to a customer's score, against its value", glossary("logOdds")),
      el("div", { class: "charts" }, top.map(b => behaviourChart("dependence", b, `contribution of ${b.feature} against its value`))));
  }
  if (e && perm.length) {
    children.push(el("h4", {}, "Second view: what shuffling a behaviour costs", glossary("permutation")),
      el("p", { class: "note", text: `How much ROC AUC drops when a behaviour's values are shuffled among the ${where === "test split" ? "test customers" : "customers the model never saw"}, mean ± standard deviation over ${perm[0].repeats || "several"} shuffles.` }),
      el("div", { class: "charts" }, chart(`${base}/permutation.svg`, "permutation importance: drop in ROC AUC when each behaviour is shuffled", "permutation-chart")));
  }
  return el("section", { id: "explanations" }, children);
}

function drawDetails(container, run) {
  const m = run.metrics;
  const parts = [];
  const base = `/runs/${encodeURIComponent(run.id)}/charts`;
  if (m) {
    const p = m.population;
    if (p) parts.push(populationSection(p, base));
    const t = m.test || {};
    const fifty = balanced(run.config?.balance);
    parts.push(el("section", { id: "recipe" },
      el("h3", { text: fifty ? "Test split, balanced 50/50 as the run trained (not comparable with natural-mix figures)"
        : "Test split, in the customers' natural mix" }),
      p || !fifty ? "" : el("p", { class: "note", text: "This run did not measure the customers' natural mix; these figures are on the 50/50 test split only." }),
      metricCards([["accuracy", fmt(t.accuracy)], ["precision", fmt(t.precision)], ["recall", fmt(t.recall)], ["F1", fmt(t.f1)],
        ["ROC AUC", fmt(t.rocAuc)], ["log loss", fmt(t.logLoss)]]),
      m.leftOut ? el("p", { class: "note", text: `Left-out non-buyers: ${m.leftOut.rows} rows, ${pct(m.leftOut.calledNonBuyers)} called non-buyers, ROC AUC with the test rows ${fmt(m.leftOut.rocAucWithTest)}.` }) : "",
      p ? "" : el("div", { class: "charts" }, chart(`${base}/gains.svg`, "cumulative gains on the balanced test split", "gains-chart"))));
    parts.push(explanationsSection(m, base));
    if (run.status === "succeeded" && run.mode !== "prepare") {
      parts.push(el("section", { id: "scoring" }, el("h3", { text: "Whom to contact" }),
        el("p", {}, el("a", { href: `#/campaign?run=${encodeURIComponent(run.id)}`, id: "plan-campaign", text: "Plan a campaign with this model" }),
          ": drop a customer file, set the cost of a contact and the value of a buyer, and get the list of customers to contact."),
        el("p", {}, el("a", { href: `#/customer/${encodeURIComponent(run.id)}`, id: "explain-link", text: "Explain a customer" }),
          ": why this model gives a customer their probability, and what changing a behaviour would do.")));
      parts.push(registerSection(run));
    }
  }
  parts.push(artifactsSection(run));
  parts.push(el("section", {}, el("h3", { text: "Configuration" }), configTable([run], false)));
  container.replaceChildren(...parts);
}

function configTable(runs, highlight) {
  const flat = runs.map(r => flatten(r.config || {}, "", {}));
  const keys = [...new Set(flat.flatMap(f => Object.keys(f)))].sort();
  return table(highlight ? "compare-config" : "config", ["setting", ...runs.map(r => r.id)],
    el("tbody", {}, keys.map(key => {
      const values = flat.map(f => f[key] === undefined || f[key] === null ? "" : String(f[key]));
      const differs = highlight && new Set(values).size > 1;
      return el("tr", { class: differs ? "diff" : null, "data-differs": differs ? "true" : null },
        el("th", { scope: "row", text: key + (differs ? " (differs)" : "") }), values.map(v => td(v)));
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

// The run's actor logs: a stream of its lines (GET /runs/{id}/logs/events) with the level and actor filters,
// opened again when a filter changes, closed while "follow live" is off; the last 500 lines are kept.
function logsSection(id, generation) {
  const level = el("select", { id: "log-level" }, ["debug", "info", "warning", "error"].map(l => el("option", { value: l, text: l, selected: l === "info" })));
  const actor = el("input", { id: "log-actor", type: "text", placeholder: "*trainer*" });
  const followBox = el("input", { id: "log-follow", type: "checkbox", checked: true });
  const state = el("span", { id: "log-state", class: "note", role: "status" });
  const output = el("div", { class: "logs", id: "logs", role: "log", "aria-live": "off", tabindex: "0" });
  let stream = null;
  function open() {
    if (stream) stream.abort();
    stream = new AbortController();
    const mine = stream;
    output.replaceChildren();
    state.textContent = "following";
    const query = new URLSearchParams({ level: level.value });
    // A plain word matches any actor whose path holds it ("trainer" is "*trainer*"); a glob is taken as written.
    const pattern = actor.value.trim();
    if (pattern) query.set("actor", /[*?[]/.test(pattern) ? pattern : `*${pattern}*`);
    follow(`/runs/${encodeURIComponent(id)}/logs/events?${query}`, (name, line) => {
      if (name === "end") { state.textContent = output.childElementCount ? "the run has ended: every line is shown" : "the run has ended"; return; }
      const atEnd = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
      output.append(el("div", { class: `lvl-${(line.level || "").toLowerCase()}` },
        `${when(line.timestamp)} ${(line.level || "").padEnd(11)} ${line.stage || "-"} ${line.source || ""}: ${line.message}`));
      while (output.childElementCount > 500) output.firstElementChild.remove();
      if (atEnd) output.scrollTop = output.scrollHeight;
    }, generation, mine.signal).then(() => {
      if (mine === stream && !output.childElementCount) output.textContent = "No log lines match.";
    }).catch(error => {
      if (!(error instanceof DOMException)) state.textContent = error.message;
    });
  }
  level.addEventListener("change", open);
  actor.addEventListener("change", open);
  followBox.addEventListener("change", () => {
    if (followBox.checked) open();
    else if (stream) { stream.abort(); state.textContent = "paused"; }
  });
  open();
  return el("section", {}, el("h3", { text: "Actor logs" }),
    el("div", { class: "toolbar" },
      el("div", { class: "field" }, el("label", { for: "log-level", text: "Level and above" }), level),
      el("div", { class: "field" }, el("label", { for: "log-actor", text: "Actor (a word of its path, or a glob)" }), actor),
      el("div", { class: "field" }, el("label", { for: "log-follow", text: "Follow live" }), followBox), state),
    output);
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
  } else if (options.file) {
    input = el("input", { id, name, type: "file", accept: ".csv,text/csv" });
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

// Shows a 400's messages beside the fields they name ("model.maxEpochs", "space.dropout[1]", ...), every one of them
// when the host lists several (`errors`), the rest at the form's end; the first bad field gets the focus.
function showFieldError(form, problem, fallback) {
  const errors = Array.isArray(problem.errors) && problem.errors.length
    ? problem.errors.map(e => ({ field: e.field, detail: `${e.field}: ${e.reason}` }))
    : [{ field: problem.field || "", detail: problem.detail }];
  let first = null;
  const unplaced = [];
  for (const { field: name, detail } of errors) {
    const candidates = [name, name.replace(/\[\d+\]$/, ""), name.split(".").slice(0, 2).join("."), name.split(".")[0]];
    const target = candidates.map(n => n && form.querySelector(`[data-field="${CSS.escape(n)}"]`)).find(Boolean);
    if (!target) { unplaced.push(detail); continue; }
    const message = target.querySelector(".error");
    message.textContent = message.textContent ? `${message.textContent} ${detail}` : detail;
    const input = target.querySelector("input, select, textarea");
    input.setAttribute("aria-invalid", "true");
    // The first bad field on the form, whatever order the host named them in.
    if (!first || first.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_PRECEDING) first = input;
  }
  if (unplaced.length || !first) fallback.textContent = unplaced.filter(Boolean).join(" ") || problem.detail || "The host refused the request.";
  if (first) first.focus();
}

function readValue(input, kind) {
  if (input.type === "checkbox") return input.checked;
  const text = input.value.trim();
  if (text === "") return undefined;
  if (kind === "number") { const n = Number(text); return Number.isNaN(n) ? text : n; }
  return text;
}

// A page with one form: `body(form)` reads the fields into the request (or returns undefined after showing why not),
// the host checks it; a 400 is shown beside the field it names, and the accepted id leads to its page.
function formPage({ title, note, id, fields, submit, path, body, page }) {
  const general = el("p", { class: "error", id: "form-error", role: "alert" });
  const form = el("form", { id, novalidate: true }, el("div", { class: "grid" }, fields), general,
    el("button", { type: "submit", id: `submit-${id.replace(/-form$/, "")}`, text: submit }));
  form.addEventListener("submit", async event => {
    event.preventDefault();
    clearErrors(form);
    const json = body(form, general);
    if (json === undefined) return;
    try {
      const accepted = await api(path, { method: "POST", json });
      location.hash = `#/${page}/${accepted.id}`;
    } catch (error) {
      if (error.status === 400) showFieldError(form, error.problem, general); else general.textContent = error.message;
    }
  });
  main.replaceChildren(el("h2", { text: title }), el("p", { class: "note", text: note }), form);
}

// The fields of a form as a request body: dotted names ("model.width") become nested objects.
function readFields(form, kindOf) {
  const body = {};
  for (const wrapper of form.querySelectorAll("[data-field]")) {
    const name = wrapper.dataset.field;
    const value = readValue(wrapper.querySelector("input, select, textarea"), kindOf(name));
    if (value === undefined) continue;
    const [head, tail] = name.split(".");
    if (tail) { body[head] = body[head] || {}; body[head][tail] = value; } else body[head] = value;
  }
  return body;
}

// The run form comes from the host's field table (GET /settings): one input per field a request may set.
async function newRunPage() {
  const settings = (await api("/settings")).run;
  const kinds = new Map(settings.map(s => [s.name, s.form]));
  const input = s => field(s.name, s.label, s.form === "checkbox" ? s.default === true : s.default, {
    choices: s.form === "choice" ? s.choices : undefined,
    checkbox: s.form === "checkbox",
    numeric: s.form === "number",
    placeholder: s.placeholder ?? undefined,
    hint: s.hint ?? undefined,
  });
  formPage({
    title: "Start a run",
    note: "Every field shows the host's default; the host checks them all.",
    id: "run-form",
    submit: "Start run",
    path: "/runs",
    page: "runs",
    body: form => readFields(form, name => (kinds.get(name) === "number" ? "number" : "text")),
    fields: [field("mode", "Mode", "run", { choices: ["run", "prepare"] }), ...settings.map(input)],
  });
}

async function newSearchPage() {
  const defaults = (await api("/defaults")).search;
  const asha = defaults.asha || {};
  const numbers = new Set(["trials", "seeds", "maxEpochs", "minDelta", "seed", "parallel", "threads", "asha.reductionFactor"]);
  formPage({
    title: "Start a search",
    note: "Fields start at the host's search defaults (config/search.json).",
    id: "search-form",
    submit: "Start search",
    path: "/searches",
    page: "searches",
    body: (form, general) => {
      const space = form.querySelector("#f-space");
      try {
        const body = readFields(form, name => (numbers.has(name) ? "number" : "text"));
        if (body.asha && typeof body.asha.rungs === "string") body.asha.rungs = body.asha.rungs.split(",").map(r => (r.trim() === "" || isNaN(Number(r)) ? r.trim() : Number(r)));
        body.space = JSON.parse(space.value);
        return body;
      } catch (e) {
        showFieldError(form, { field: "space", detail: `space: not valid JSON: ${e.message}` }, general);
        return undefined;
      }
    },
    fields: [
      field("trials", "Configurations", defaults.trials, { numeric: true }),
      field("seeds", "Seeds per configuration", defaults.seeds, { numeric: true }),
      field("maxEpochs", "Max epochs", defaults.maxEpochs, { numeric: true }),
      field("minDelta", "Min delta", defaults.minDelta, { numeric: true }),
      field("sampling", "Sampling", defaults.sampling, { choices: ["random", "grid"] }),
      field("scheduler", "Stop weak configurations early (scheduler)", defaults.scheduler, { choices: ["none", "asha"], hint: "asha: stop the weaker ones at each checkpoint" }),
      field("asha.rungs", "Early-stopping checkpoints, in epochs (ASHA rungs)", (asha.rungs || []).join(","), { hint: "with the asha scheduler" }),
      field("asha.reductionFactor", "Keep 1 in this many at each checkpoint (ASHA reduction factor)", asha.reductionFactor, { numeric: true }),
      field("balance", "Balancing", defaults.balance || "", { choices: ["", "random", "first", "none", "weighted"], hint: "empty: the host's run default" }),
      field("logFeatures", "Log features", (Array.isArray(defaults.logFeatures) ? defaults.logFeatures.join(",") : defaults.logFeatures) || "none", { hint: "none, skewed, auto or names" }),
      field("seed", "Search seed", 0, { numeric: true }),
      field("parallel", "Trials at once", "", { numeric: true, placeholder: "processor count" }),
      field("threads", "Threads per trial", "", { numeric: true, placeholder: "1" }),
      field("data", "Data (CSV on the host)", ""),
      field("out", "Output folder", "", { placeholder: "<out>/searches/<id>" }),
      field("space", "Space (JSON: lists or ranges per hyperparameter)", JSON.stringify(defaults.space, null, 2), { textarea: true }),
    ],
  });
}

// ---------- One customer, explained ----------

// The customer file's ten behaviours, in file order (the host refuses any other name).
const BEHAVIOURS = ["book_length_avg_min", "book_length_total_min", "price_avg", "price_total", "review", "review_score",
  "completion", "minutes_listened", "support_requests", "last_visit_days"];

// #/customer/RUN: a customer picked from a customer file or typed in, explained by the run's model through
// POST /runs/{id}/explain: the probability, a waterfall from the base log-odds to the customer's, and a what-if form
// whose every change asks the host again. The browser holds no model: it only sends values and draws the answer.
async function customerPage(generation, id) {
  if (!id) {
    main.replaceChildren(el("h2", { text: "Explain a customer" }), el("p", { text: "Open a finished run and follow its link “Explain a customer”." }));
    return;
  }
  const run = await api(`/runs/${encodeURIComponent(id)}`);
  if (generation !== pageGeneration) return;
  const fields = BEHAVIOURS.map(name => field(name, name, "", { numeric: true }));
  const general = el("p", { class: "error", id: "customer-error", role: "alert" });
  const form = el("form", { id: "customer-form", novalidate: true }, el("div", { class: "grid" }, fields), general,
    el("button", { type: "submit", id: "explain", text: "Explain" }));
  const file = el("input", { id: "customer-file", type: "file", accept: ".csv,text/csv" });
  const pick = el("select", { id: "customer-pick", disabled: true }, el("option", { value: "", text: "choose a file first" }));
  const result = el("div", { id: "customer-result", "aria-live": "polite" });
  let rows = [];
  let pending = 0;

  file.addEventListener("change", async () => {
    rows = (await file.files[0].text()).split(/\r?\n/).map(line => line.split(",")).filter(f => f.length >= 11 && !Number.isNaN(Number(f[1])));
    pick.replaceChildren(...rows.slice(0, 5000).map((f, i) => el("option", { value: String(i), text: `customer ${f[0]}` })));
    pick.disabled = rows.length === 0;
    if (rows.length) choose(0);
  });
  pick.addEventListener("change", () => choose(Number(pick.value)));
  function choose(index) {
    BEHAVIOURS.forEach((name, j) => { form.querySelector(`#f-${name.replace(/_/g, "-")}`).value = rows[index][j + 1].trim(); });
    explain(Number(rows[index][0]));
  }

  async function explain(customerId) {
    clearErrors(form);
    const customer = { customerId: Number.isInteger(customerId) && customerId >= 0 ? customerId : 0 };
    for (const name of BEHAVIOURS) customer[name] = readValue(form.querySelector(`#f-${name.replace(/_/g, "-")}`), "number");
    const missing = BEHAVIOURS.find(name => customer[name] === undefined);
    if (missing) { showFieldError(form, { field: missing, detail: `${missing}: give a value` }, general); return; }
    const ticket = ++pending;
    try {
      const answer = await api(`/runs/${encodeURIComponent(id)}/explain`, { method: "POST", json: { customers: [customer] } });
      if (ticket === pending && generation === pageGeneration) result.replaceChildren(explanation(answer, answer.customers[0]));
    } catch (error) {
      if (error.status === 400) showFieldError(form, { field: (error.problem.field || "").replace(/^customers\[\d+\]\.?/, ""), detail: error.message }, general);
      else general.textContent = error.message;
    }
  }
  form.addEventListener("submit", event => { event.preventDefault(); explain(Number(pick.value === "" ? NaN : rows[Number(pick.value)]?.[0])); });
  let timer = null;
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => form.requestSubmit(), 350); });

  main.replaceChildren(el("h2", {}, "Explain a customer with run ", el("a", { href: `#/runs/${run.id}`, text: run.id })),
    el("p", { class: "note" }, "Each behaviour's contribution is its fair share of the customer's score (its exact Shapley value, in log-odds) against the customers saved with the model as a background; the contributions add up from the base to the customer's score. Change any value to see what it does.", glossary("shapley"), glossary("logOdds")),
    el("div", { class: "toolbar" }, el("div", {}, el("label", { for: "customer-file", text: "Pick from a customer file" }), file),
      el("div", {}, el("label", { for: "customer-pick", text: "Customer" }), pick)),
    el("section", {}, el("h3", { text: "The customer's behaviours (what if…)" }), form), result);
}

// The probability, the base and a waterfall of the contributions, largest first, in log-odds with probability points.
function explanation(answer, c) {
  const steps = [...c.contributions].sort((a, b) => Math.abs(b.logOdds) - Math.abs(a.logOdds));
  let at = answer.baseLogOdds;
  const spans = steps.map(s => { const from = at; at += s.logOdds; return { s, from, to: at }; });
  const ends = spans.flatMap(x => [x.from, x.to]).concat([answer.baseLogOdds, c.logOdds]);
  const lo = Math.min(...ends), hi = Math.max(...ends);
  const width = 420, row = 26, left = 300, height = row * (spans.length + 2) + 10;
  const x = v => left + (hi === lo ? 0 : (v - lo) / (hi - lo) * width);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${left + width + 110} ${height}`);
  svg.setAttribute("width", left + width + 110);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `waterfall of contributions from the base log-odds ${answer.baseLogOdds.toFixed(2)} to the customer's ${c.logOdds.toFixed(2)}`);
  svg.id = "waterfall";
  const add = (tag, attrs, text) => {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
  };
  const line = (label, value, y) => {
    add("text", { x: left - 8, y: y + 17, "text-anchor": "end", "font-size": 13 }, label);
    add("line", { x1: x(value), x2: x(value), y1: y + 2, y2: y + row - 2, stroke: "#1d2430", "stroke-width": 2 });
    add("text", { x: left + width + 8, y: y + 17, "font-size": 12 }, value.toFixed(2));
  };
  line(`base (probability ${pct(answer.baseProbability)})`, answer.baseLogOdds, 4);
  spans.forEach(({ s, from, to }, i) => {
    const y = 4 + row * (i + 1);
    add("text", { x: left - 8, y: y + 17, "text-anchor": "end", "font-size": 13, class: "step" }, `${s.feature} = ${s.value}`);
    add("rect", { x: Math.min(x(from), x(to)), y: y + 4, width: Math.max(1, Math.abs(x(to) - x(from))), height: row - 8, fill: s.logOdds >= 0 ? "#1e7a34" : "#b3261e" });
    add("text", { x: left + width + 8, y: y + 17, "font-size": 12 }, `${s.logOdds >= 0 ? "+" : ""}${s.logOdds.toFixed(2)} (${s.points >= 0 ? "+" : ""}${s.points.toFixed(1)} pts)`);
  });
  line(`this customer (probability ${pct(c.probability)})`, c.logOdds, 4 + row * (spans.length + 1));
  return el("section", { id: "customer-explanation" }, el("h3", { text: "Why this score" }),
    metricCards([["probability of buying again", pct(c.probability)], ["base probability", pct(answer.baseProbability)],
      ["log-odds", fmt(c.logOdds, 3)], ["base log-odds", fmt(answer.baseLogOdds, 3)]], "customer-cards"),
    el("figure", { class: "chart" }, svg),
    el("ol", { id: "customer-reasons" }, c.reasons.map(r => el("li", { text: r }))),
    el("p", { class: "note", text: `Green raises the odds of buying again, red lowers them; against ${answer.backgroundRows} background customers. Points: percentage points of probability, the change from the base split in proportion to the log-odds.` }));
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
    else if (section === "campaign") await campaignPage(generation, params);
    else if (section === "customer") await customerPage(generation, parts[1]);
    else if (section === "models") await modelsPage(generation, parts[1]);
    else await runsPage(generation, params);
    document.title = `ChurnActors · ${section}${parts[1] ? " " + parts[1] : ""}`;
  } catch (error) {
    if (generation === pageGeneration && !(error instanceof DOMException)) showError(error);
  }
}

window.addEventListener("hashchange", route);
// The pages live in files of their own, loaded after this one (all deferred): route once they are all there.
document.addEventListener("DOMContentLoaded", route);
