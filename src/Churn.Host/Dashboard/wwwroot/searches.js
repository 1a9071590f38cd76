// The searches pages of the ChurnActors dashboard: the list and one search.
"use strict";

// ---------- Searches ----------

// The trial statuses that count as ended, as GET /searches/{id} counts them (cancelled trials run again on resume).
const ENDED_TRIALS = ["completed", "pruned", "failed"];

// This process's own node ("akka://churn") and a trial that names none are both this host.
const nodeName = node => (!node || /^akka:\/\/[^@]*$/.test(node) ? "local" : node.replace(/^akka(\.tcp)?:\/\//, ""));

async function searchesPage(generation) {
  const body = el("tbody");
  main.replaceChildren(el("h2", { text: "Searches" }), el("p", {}, el("a", { href: "#/new-search", text: "Start a search" })),
    el("div", { class: "scroll" }, table("searches", ["search", "status", "scheduler", "configurations × seeds", "trials ended",
      el("span", {}, "winner's calibrated loss", glossary("calibratedLoss")), "epochs trained", "created (UTC)", ""], body,
      "A trial has ended when it completed, was pruned or failed; cancelled ones run again on resume. The winner is chosen on the mean calibrated loss over its seeds.")));
  async function load() {
    const result = await api("/searches");
    if (generation !== pageGeneration) return;
    body.replaceChildren(...result.searches.map(s => {
      const ended = ENDED_TRIALS.reduce((n, k) => n + (s.trialsByStatus[k] || 0), 0);
      return el("tr", { "data-search": s.id },
        el("td", {}, el("a", { href: `#/searches/${s.id}`, text: s.id })), statusTd(s.status), td(s.scheduler),
        num(`${s.configurations} × ${s.seeds}`), num(`${ended} / ${s.trials}`), num(typeof s.winnerCalibratedLoss === "number" ? fmt(s.winnerCalibratedLoss) : s.status === "running" ? "running" : "no winner"), num(s.epochsSpent),
        td(when(s.createdAt), { class: "time" }), el("td", {}, searchActions(s.id, s.status)));
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

// A running or waiting trial has no calibrated loss yet: it is the kept epoch's, known once the trial ends.
const ACTIVE_TRIALS = new Set(["running", "pending"]);

const configText = c => c ? `${c.kind === "plr" ? `PLR ${c.members}x${c.distilEpochs ? ` distilled over ${c.distilEpochs} epochs` : ""} (${c.frequencies} frequencies, size ${c.embeddingSize}, ${c.cycleEpochs} epochs to ${c.peakLearningRate}), ` : ""}depth ${c.depth}, width ${c.width}, ${c.activation}, learning rate ${c.learningRate}, batch ${c.batchSize}, patience ${c.patience}, dropout ${c.dropout}, weight decay ${c.weightDecay}${c.shuffleEachEpoch ? ", shuffled" : ""}` : "";

// A configuration's data preparation, when the search chose it; otherwise the search's own.
const dataText = d => d ? d.description || `balance ${d.balance}` : "as set for the whole search";

async function searchPage(generation, id) {
  const head = el("div", { id: "search-head" });
  const trials = el("tbody");
  const board = el("tbody");
  const decisions = el("tbody");
  const curves = el("div", { class: "charts", id: "search-curves" });
  const effects = el("div", { class: "charts", id: "effects" });
  const summary = el("div", { id: "search-summary" });
  // The leaderboard and rungs rank on the search's criterion: the calibrated loss, or for searches stored before it
  // the validation loss; the headers say which, once the search is known.
  const boardTitle = el("h3", { text: "Leaderboard" });
  const effectsTitle = el("h3", { text: "Slice plots: each hyperparameter against the score" });
  const effectsHead = el("div", { class: "titled" }, effectsTitle, glossary("slice"), glossary("hyperparameter"));
  const analysis = el("div", { id: "search-analysis" });
  const winnerRun = el("p", { id: "winner-run" });
  const curvesTitle = el("h3", { text: "The top configurations, epoch by epoch" });
  const boardNote = el("p", { class: "note", id: "leaderboard-note" });
  const boardTable = table("leaderboard", [], board);
  const decisionsTable = table("decisions", [], decisions);
  function heads(criterion) {
    const calibrated = criterion === "calibratedLoss";
    const ranks = calibrated ? "calibrated loss" : "validation loss";
    boardTitle.textContent = `Leaderboard (ranked by the mean ${ranks} over seeds; the test split plays no part)`;
    boardNote.textContent = calibrated
      ? "Calibrated loss: the log loss on the validation split after calibrating to the customers' natural mix, at the epoch early stopping keeps, the same yardstick whatever the balancing. Validation loss: the training loss function on the validation split, in the mix the configuration trained on."
      : "This search was stored before searches ranked on the calibrated loss: it ranks on the validation loss.";
    const headRow = names => el("tr", {}, names.map(h => el("th", { scope: "col" }, h)));
    boardTable.tHead.replaceChildren(headRow(["rank", "configuration", "outcome", "seeds done",
      calibrated ? "calibrated loss (ranks): mean ± sd" : "calibrated loss: mean ± sd", `validation loss${calibrated ? "" : " (ranks)"}: mean ± sd`,
      "validation loss: min – max", "validation accuracy", "epochs", "data", "hyperparameters"]));
    curvesTitle.textContent = `${calibrated ? "Calibrated" : "Validation"} loss of the top configurations, epoch by epoch`;
    effectsTitle.textContent = `Slice plots: the ${ranks} of each configuration (mean over seeds) against each hyperparameter; pruned ones open and grey`;
    decisionsTable.tHead.replaceChildren(headRow(["rung", "epoch", "configuration", `mean ${ranks}`, "outcome", "rank", "kept of compared"]));
  }
  main.replaceChildren(el("h2", {}, "Search ", el("code", { text: id })), head, winnerRun, summary,
    el("section", {}, boardTitle, boardNote, boardTable),
    el("section", {}, curvesTitle, curves),
    el("section", {}, el("h3", {}, "Analysis: history and parallel coordinates", glossary("history"), glossary("parallel")), analysis),
    el("section", {}, effectsHead, effects),
    el("section", {}, el("h3", { text: "Trials" }),
      table("trials", ["trial", "configuration", "seed", "status", "node", "epoch", "calibrated loss", "best validation loss", "last validation loss", "reason"], trials,
        "The calibrated loss is the kept epoch's, known once the trial ends.")),
    el("section", {}, el("h3", {}, "Early stopping's decisions (ASHA): which configurations went on at each checkpoint", glossary("asha")),
      decisionsTable));

  // Trials by number (from 1): the rows are redrawn one at a time as the search's events tell of them.
  const trialRows = new Map();
  function drawTrial(t) {
    const row = el("tr", { "data-trial": t.index },
      num(t.index), num(t.configuration), num(t.replicate), statusTd(t.status), td(nodeName(t.node), { "data-col": "node" }), num(t.epochs),
      num(ACTIVE_TRIALS.has(t.status) ? "" : fmt(t.calibratedLoss), { "data-col": "calibrated" }), num(fmt(t.bestValidationLoss)), num(fmt(t.lastValidationLoss)), td(t.reason));
    const old = trialRows.get(t.index);
    if (old) old.replaceWith(row); else trials.append(row);
    trialRows.set(t.index, row);
  }
  const known = new Map();
  function trial(number) { return known.get(number) || { index: number, status: "pending", epochs: 0 }; }
  function update(number, change) {
    const t = Object.assign({}, trial(number), change);
    known.set(number, t);
    drawTrial(t);
  }
  function drawDecision(d) {
    return el("tr", {}, num(d.rung), num(d.epoch), num(d.configuration), num(fmt(d.value)), statusTd(d.outcome.toLowerCase()), num(d.rank),
      num(`${d.kept} of ${d.compared}`));
  }

  let lastEpochs = -1;
  let lastStatus = "";
  function draw(s) {
    head.replaceChildren(el("p", { id: "search-status" }, "Status ", statusCell(s.status), s.phase ? ` (${s.phase})` : "",
      ` · ${s.trials.ended} of ${s.trials.total} trials ended · ${s.epochsSpent} epochs · scheduler ${s.scheduler} · seed ${s.seed}`,
      s.reason ? el("span", { class: "error", text: ` · ${s.reason}` }) : "", " ", searchActions(id, s.status)));
    heads(s.criterion);
    board.replaceChildren(...s.leaderboard.map(r => el("tr", {},
      num(r.rank), num(r.configuration),
      el("td", {}, statusCell(r.outcome.toLowerCase()), r.reason ? el("div", { class: "note", text: r.reason }) : ""), num(`${r.seedsDone}/${r.seeds}`),
      num(isFinite(r.meanCalibratedLoss) ? `${fmt(r.meanCalibratedLoss)} ± ${fmt(r.stdCalibratedLoss)}` : ""),
      num(isFinite(r.meanValidationLoss) ? `${fmt(r.meanValidationLoss)} ± ${fmt(r.stdValidationLoss)}` : ""),
      num(isFinite(r.minValidationLoss) ? `${fmt(r.minValidationLoss)} – ${fmt(r.maxValidationLoss)}` : ""),
      num(fmt(r.meanValidationAccuracy)), num(fmt(r.meanEpochs, 0)), td(dataText(r.data)), td(configText(r.config)))));
    for (const t of s.trialList || []) { known.set(t.index, t); drawTrial(t); }
    decisions.replaceChildren(...(s.decisions.length ? s.decisions.map(drawDecision)
      : [el("tr", { "data-empty": "true" }, td(s.scheduler === "asha" ? "No checkpoint reached yet." : "No scheduler: every configuration trains to the end.", { colspan: 7 }))]));
    if (s.summary && s.summary.winnerTest) {
      const t = s.summary.winnerTest;
      const p = s.summary.winnerPopulation;
      summary.replaceChildren(el("section", {}, el("h3", { text: "Winner" }),
        p ? el("p", { class: "note", text: `On customers it never saw, in their natural mix: ${p.sample}.` }) : "",
        p ? metricCards([["ROC AUC (natural mix)", fmt(p.rocAuc), "rocAuc"], ["Brier (natural mix)", fmt(p.brier), "brier"], ["calibration error (natural mix)", fmt(p.calibrationError), "calibrationError"],
          ["profit per 1,000 (natural mix)", money(p.campaign && p.campaign.profitPer1000), "profitPer1000"]], "winner-population") : "",
        metricCards([["test accuracy (the winner's own test split)", fmt(t.accuracy), "testAccuracy"], ["test ROC AUC (the winner's own test split)", fmt(t.rocAuc), "rocAuc"],
          ["test log loss (the winner's own test split)", fmt(t.logLoss), "logLoss"]], "winner-recipe"),
        el("p", { class: "note", text: s.testUse })));
    }
    if (s.epochsSpent !== lastEpochs || s.status !== lastStatus) {
      lastEpochs = s.epochsSpent;
      lastStatus = s.status;
      const base = `/searches/${encodeURIComponent(id)}/charts`;
      curves.replaceChildren(chart(`${base}/curves.svg?t=${s.epochsSpent}`, `${s.criterion === "calibratedLoss" ? "calibrated" : "validation"} loss per epoch of the top configurations, one line per seed`, "curves-chart"));
      effects.replaceChildren(...(s.varied || []).map(p => chart(`${base}/effect/${p}.svg?t=${s.epochsSpent}`, `mean ${s.criterion === "calibratedLoss" ? "calibrated" : "validation"} loss of each configuration against ${p}`, `effect-${p}`, 420, 300)));
      if (!(s.varied || []).length) effects.replaceChildren(el("p", { class: "note", text: "No hyperparameter varies yet." }));
      drawAnalysis(analysis, id, s, generation);
      if (s.status === "completed" && !winnerRun.childElementCount) linkWinner(winnerRun, id);
    }
  }

  // The leaderboard, curves and effects change when a trial ends or a rung decides: fetched again then, at most once a second.
  let refresh = null;
  function refreshSoon() {
    if (refresh) return;
    refresh = setTimeout(async () => {
      refresh = null;
      try { const s = await api(`/searches/${encodeURIComponent(id)}`); if (generation === pageGeneration) draw(s); } catch (_) { /* the next event tries again */ }
    }, 1000);
  }

  const first = await api(`/searches/${encodeURIComponent(id)}`);
  if (generation !== pageGeneration) return;
  draw(first);
  if (first.status !== "running") return;
  let finished = false;
  // Live: the trial table from GET /searches/{id}/events, event by event.
  follow(`/searches/${encodeURIComponent(id)}/events`, (name, e) => {
    if (name === "trial-started") update(e.trial, { configuration: e.configuration, replicate: e.seed, status: "running", reason: null });
    if (name === "epoch") {
      const best = trial(e.trial).bestValidationLoss;
      update(e.trial, { status: "running", epochs: e.epoch, node: e.node || null, lastValidationLoss: e.validationLoss,
        bestValidationLoss: typeof best === "number" ? Math.min(best, e.validationLoss) : e.validationLoss });
    }
    if (name === "trial-ended") {
      const h = e.history || [];
      update(e.trial, { configuration: e.configuration, replicate: e.seed, status: e.status, reason: e.reason, node: e.node, epochs: h.length, calibratedLoss: e.calibratedLoss ?? null,
        bestValidationLoss: h.length ? Math.min(...h.map(x => x.validationLoss)) : null, lastValidationLoss: h.length ? h[h.length - 1].validationLoss : null });
      refreshSoon();
    }
    if (name === "rung") {
      decisions.querySelector("[data-empty]")?.remove();
      decisions.append(drawDecision(e.decision));
      refreshSoon();
    }
    if (name === "finished") {
      clearTimeout(refresh); refresh = null; finished = true; draw(e);
      // The finished event holds the summary; the trials' final figures come with the search itself.
      api(`/searches/${encodeURIComponent(id)}`).then(s => { if (generation === pageGeneration) draw(s); }).catch(() => { /* the page keeps what it has */ });
    }
  }, generation).catch(error => {
    if (error instanceof DOMException) return;
    // A host without the stream, or with all its streams taken: the page asks every two seconds instead.
    console.warn(`following the search by polling: ${error.message}`);
    every(2000, generation, async () => { if (lastStatus === "running") draw(await api(`/searches/${encodeURIComponent(id)}`)); });
  }).then(() => { if (!finished && generation === pageGeneration) refreshSoon(); });
}


// Optimization history, hyperparameter importance (and how it is computed) and parallel coordinates, as Optuna
// Dashboard shows a study; all on what the search ranks on.
function drawAnalysis(container, id, s, generation) {
  const base = `/searches/${encodeURIComponent(id)}/charts`;
  const loss = s.criterion === "calibratedLoss" ? "calibrated loss" : "validation loss";
  const importance = el("div", { id: "importance" });
  container.replaceChildren(
    el("div", { class: "charts" },
      chart(`${base}/history.svg?t=${s.epochsSpent}`, `optimization history: each ended trial's ${loss} by trial number, and the best so far`, "history-chart"),
      chart(`${base}/parallel.svg?t=${s.epochsSpent}`, `parallel coordinates: each configuration's hyperparameters and ${loss}`, "parallel-chart", 800, 400)),
    el("h4", {}, "Which hyperparameters matter", glossary("importance")), importance);
  api(`/searches/${encodeURIComponent(id)}/importance`).then(result => {
    if (generation !== pageGeneration) return;
    importance.replaceChildren(
      result.importance.length
        ? table("importance-table", ["hyperparameter", "share of the spread it explains", "groups"], el("tbody", {}, result.importance.map(i => el("tr", {},
          el("th", { scope: "row", text: i.parameter }),
          el("td", {}, el("span", { class: "bar", style: null, "data-share": i.share }), ` ${pct(i.share)}`), num(i.groups)))))
        : el("p", { class: "note", text: "Known once at least three configurations have finished." }),
      el("p", { class: "note", id: "importance-method", text: result.method }));
    // The bars' widths are set here, not in a style attribute: the page's content security policy allows no inline styles.
    importance.querySelectorAll(".bar").forEach(bar => { bar.style.width = `${Math.round(Number(bar.dataset.share) * 160)}px`; });
  }).catch(error => importance.replaceChildren(el("p", { class: "error", text: error.message })));
}

// The winner's own run, when the search made one: its figures, its model, a campaign with it.
function linkWinner(container, id) {
  const runId = `${id}-winner`;
  api(`/runs/${encodeURIComponent(runId)}`).then(run => {
    container.replaceChildren("The winner's run: ", el("a", { href: `#/runs/${encodeURIComponent(run.id)}`, id: "winner-link", text: run.name || run.id }),
      " (its figures, its model, ", el("a", { href: `#/campaign?run=${encodeURIComponent(run.id)}`, text: "a campaign with it" }), ").");
  }).catch(() => { /* no winner's run: nothing to link */ });
}
