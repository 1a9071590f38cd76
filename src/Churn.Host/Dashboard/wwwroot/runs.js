// The runs page of the ChurnActors dashboard (app.js holds the shared helpers and the routing).
"use strict";

// The test split a run's accuracy is measured on: 50/50 when it balanced its data, the customers' own mix otherwise.
const balanced = balance => balance === "random" || balance === "first";
const splitName = balance => (balance === undefined || balance === null ? "" : balanced(balance) ? "50/50 split" : "natural mix");

// The columns a user may show. `value` sorts, `text` shows; parameters come from the run's settings.
const RUN_COLUMNS = [
  { key: "rocAuc", label: "ROC AUC", term: "rocAuc", value: r => r.headline?.populationRocAuc, text: v => fmt(v), shown: true },
  { key: "brier", label: "Brier", term: "brier", value: r => r.headline?.populationBrier, text: v => fmt(v), shown: true, lowerIsBetter: true },
  { key: "calibrationError", label: "calibration error", term: "calibrationError", value: r => r.headline?.populationCalibrationError, text: v => fmt(v), lowerIsBetter: true },
  { key: "profit", label: "profit per 1,000", term: "profitPer1000", value: r => r.headline?.campaignProfitPer1000, text: v => money(v), shown: true },
  { key: "testAccuracy", label: "test accuracy", term: "testAccuracy", value: r => r.headline?.testAccuracy,
    text: (v, r) => (typeof v === "number" ? `${fmt(v)} (${splitName(r.parameters?.balance) || "test split"})` : ""), shown: true },
  { key: "testRocAuc", label: "test ROC AUC", term: "rocAuc", value: r => r.headline?.testRocAuc, text: (v, r) => (typeof v === "number" ? `${fmt(v)} (${splitName(r.parameters?.balance) || "test split"})` : "") },
  { key: "validationLoss", label: "best validation loss", term: "validationLoss", value: r => r.headline?.bestValidationLoss, text: v => fmt(v), lowerIsBetter: true },
  { key: "duration", label: "duration", value: r => r.durationSeconds, text: v => duration(v), shown: true },
  { key: "queuedAt", label: "queued (UTC)", value: r => Date.parse(r.queuedAt), text: (v, r) => when(r.queuedAt), shown: true, time: true },
  { key: "mode", label: "mode", value: r => r.mode, text: v => v ?? "" },
  ...["balance", "seed", "logFeatures", "model.depth", "model.width", "model.learningRate", "model.batchSize", "model.maxEpochs", "model.dropout", "model.weightDecay"]
    .map(p => ({ key: `p:${p}`, label: p.replace(/^model\./, ""), parameter: true, value: r => r.parameters?.[p], text: v => (v === undefined || v === null ? "" : String(v)) })),
];

function shownColumns() {
  let chosen = null;
  try { chosen = JSON.parse(localStorage.getItem("churn-run-columns") || "null"); } catch (_) { /* a broken value: the defaults */ }
  return new Set(Array.isArray(chosen) ? chosen : RUN_COLUMNS.filter(c => c.shown).map(c => c.key));
}

async function runsPage(generation, params) {
  let status = params.get("status") || "";
  const filter = el("select", { id: "status-filter", "aria-describedby": "runs-note" },
    el("option", { value: "", text: "all" }), STATUSES.map(s => el("option", { value: s, text: s, selected: s === status })));
  const archivedBox = el("input", { type: "checkbox", id: "show-archived" });
  const compare = el("button", { id: "compare", type: "button", disabled: true, text: "Compare selected" });
  const body = el("tbody");
  const more = el("button", { type: "button", class: "secondary", id: "more", hidden: true, text: "Older runs" });
  const headRow = el("tr");
  const runs = el("table", { id: "runs" },
    el("caption", { class: "note", text: "Figures are on customers the model never saw, in their natural mix, unless the column says otherwise. Click a column's name to sort by it." }),
    el("thead", {}, headRow), body);
  const empty = el("p", { id: "runs-empty", class: "note", hidden: true });
  const live = el("p", { id: "runs-live", class: "note", role: "status" });
  let columns = shownColumns();
  const chooser = el("details", { class: "chooser", id: "column-chooser" }, el("summary", { text: "Columns" }),
    el("fieldset", {}, el("legend", { text: "Show these columns" }), RUN_COLUMNS.map(c => {
      const box = el("input", { type: "checkbox", id: `column-${c.key.replace(/[^a-zA-Z0-9]/g, "-")}`, checked: columns.has(c.key) });
      box.addEventListener("change", () => {
        if (box.checked) columns.add(c.key); else columns.delete(c.key);
        localStorage.setItem("churn-run-columns", JSON.stringify([...columns]));
        drawHead();
        for (const run of known.values()) render(run);
      });
      return el("label", { class: "check", for: box.id }, box, ` ${c.parameter ? "setting " : ""}${c.label}`);
    })));
  main.replaceChildren(
    el("h2", { text: "Runs" }),
    el("div", { class: "toolbar" }, el("div", { class: "field" }, el("label", { for: "status-filter", text: "Status" }), filter),
      el("div", { class: "field" }, el("label", { for: "show-archived", text: "Show archived" }), archivedBox),
      compare, chooser, el("a", { href: "#/new-run", text: "Start a run" })),
    el("p", { id: "runs-note", class: "note", text: "Every run in the store: those sent to this host and those of churn run, prepare, train and search." }),
    el("div", { class: "scroll" }, runs), empty, live, more);

  const selected = new Set();
  const rows = new Map();
  const known = new Map();
  let sort = { key: "queuedAt", descending: true };
  compare.addEventListener("click", () => { location.hash = `#/compare/${[...selected].join(",")}`; });

  function drawHead() {
    const visible = RUN_COLUMNS.filter(c => columns.has(c.key));
    const sorter = (key, label, term) => {
      const th = el("th", { scope: "col", "aria-sort": sort.key === key ? (sort.descending ? "descending" : "ascending") : null },
        el("button", { type: "button", class: "sort", "data-sort": key, onclick: () => {
          sort = { key, descending: sort.key === key ? !sort.descending : true };
          drawHead();
          order();
          // The header is drawn anew: the focus goes back to this column's button, so Enter or Space again reverses it.
          headRow.querySelector(`[data-sort="${CSS.escape(key)}"]`).focus();
        } },
          label, sort.key === key ? (sort.descending ? " ▼" : " ▲") : ""));
      if (term) th.append(glossary(term));
      return th;
    };
    headRow.replaceChildren(el("th", { scope: "col" }, el("span", { class: "note", text: "select" })), sorter("name", "run"), sorter("status", "status"),
      el("th", { scope: "col", text: "stage" }), el("th", { scope: "col", text: "epoch" }),
      ...visible.map(c => sorter(c.key, c.label, c.term)), el("th", { scope: "col", text: "" }));
  }

  const sortValue = (run, key) => key === "name" ? (run.name || run.id).toLowerCase() : key === "status" ? run.status
    : RUN_COLUMNS.find(c => c.key === key)?.value(run);
  function order() {
    const direction = sort.descending ? -1 : 1;
    const sorted = [...known.values()].filter(r => rows.has(r.id)).sort((a, b) => {
      const [x, y] = [sortValue(a, sort.key), sortValue(b, sort.key)];
      if (x === y) return Date.parse(b.queuedAt) - Date.parse(a.queuedAt);
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      return (x < y ? -1 : 1) * direction;
    }).map(r => rows.get(r.id));
    if (sorted.some((row, i) => body.children[i] !== row)) body.append(...sorted);
  }

  function render(run) {
    known.set(run.id, run);
    if (run.archived && !archivedBox.checked) { rows.get(run.id)?.remove(); rows.delete(run.id); return; }
    const box = el("input", { type: "checkbox", id: `select-${run.id}`, "aria-label": `select run ${run.name || run.id} to compare`, checked: selected.has(run.id) });
    box.addEventListener("change", () => {
      if (box.checked) selected.add(run.id); else selected.delete(run.id);
      compare.disabled = selected.size < 1;
    });
    const actions = ACTIVE.has(run.status)
      ? el("button", { type: "button", class: "secondary", text: "Cancel", "aria-label": `cancel run ${run.id}`, onclick: () => cancelRun(run.id) })
      : "";
    const row = el("tr", { "data-run": run.id, "data-queued": Date.parse(run.queuedAt), class: run.archived ? "archived" : null },
      el("td", {}, box),
      el("td", { class: "run-name" }, el("a", { href: `#/runs/${run.id}` }, run.name ? run.name : el("code", { text: run.id })),
        run.name ? el("div", {}, el("code", { class: "note", text: run.id })) : "",
        (run.tags || []).length ? el("div", { class: "tags" }, run.tags.map(t => el("span", { class: "tag", text: t }))) : "",
        run.archived ? el("span", { class: "note", text: " archived" }) : ""),
      statusTd(run.status), td(run.stage, { "data-col": "stage" }), num(run.epoch, { "data-col": "epoch" }),
      RUN_COLUMNS.filter(c => columns.has(c.key)).map(c => {
        const value = c.value(run);
        const attrs = c.time ? { "data-col": c.key, class: "time" } : { "data-col": c.key };
        return (typeof value === "number" && !c.time ? num : td)(c.text(value, run), attrs);
      }),
      el("td", {}, actions));
    const old = rows.get(run.id);
    if (old) old.replaceWith(row); else body.append(row);
    rows.set(run.id, row);
    empty.hidden = true;
  }

  // A run the table has not shown joins it unless it is older than every row shown while older pages exist (those
  // wait for "Older runs"). With a status filter, only runs of that status join the table.
  function place(run) {
    if (rows.has(run.id)) {
      // The stream's first list repeats what the page shows: only a run that changed is drawn again.
      if (JSON.stringify(known.get(run.id)) !== JSON.stringify(run)) { render(run); order(); }
      return;
    }
    if (status && run.status !== status) return;
    const queued = Date.parse(run.queuedAt);
    const later = [...rows.values()].some(row => Number(row.dataset.queued) < queued);
    if (!later && next) return;
    render(run);
    order();
  }

  let next = null;
  more.addEventListener("click", async () => {
    const page = await api(next);
    if (generation !== pageGeneration) return;
    page.runs.forEach(render);
    order();
    next = page.next;
    more.hidden = !next;
  });

  // The table comes from one plain GET /runs; then one stream of every run (GET /runs/events) keeps it up to date.
  // The page asks for nothing periodically; when the stream breaks it is opened again and its fresh list merged.
  let current = null;
  async function load() {
    if (current) current.abort();
    const mine = current = new AbortController();
    const query = status ? `?status=${status}&limit=50` : "?limit=50";
    const page = (!status && embeddedRuns()) || await api(`/runs${query}`, { signal: AbortSignal.any([pageAbort.controller.signal, mine.signal]) });
    if (generation !== pageGeneration || mine !== current) return;
    rows.clear();
    known.clear();
    body.replaceChildren();
    page.runs.forEach(render);
    order();
    next = page.next;
    more.hidden = !next;
    empty.textContent = status ? `No ${status} runs.` : "No runs yet: start one here or with churn run.";
    empty.hidden = rows.size > 0;
    (async () => {
      for (let delay = 1000; generation === pageGeneration && mine === current;) {
        try {
          await follow(`/runs/events${query}`, (name, data) => {
            if (mine !== current) return;
            if (name === "runs") { data.runs.forEach(place); live.textContent = ""; delay = 1000; }
            if (name === "run") place(data);
          }, generation, mine.signal);
        } catch (error) {
          if (error instanceof DOMException || generation !== pageGeneration || mine !== current) return;
          if (error.status === 429) delay = Math.max(delay, 10000);
        }
        if (generation !== pageGeneration || mine !== current) return;
        live.textContent = "Reconnecting to the host…";
        await new Promise(resume => setTimeout(resume, delay));
        delay = Math.min(delay * 2, 30000);
      }
    })();
  }

  // The filter changes the table in place: the address follows (for a reload or a link) without a new page, so
  // focus stays on the filter and arrow keys step through the statuses.
  filter.addEventListener("change", () => {
    status = filter.value;
    history.replaceState(null, "", status ? `#/runs?status=${status}` : "#/runs");
    load().catch(error => { if (!(error instanceof DOMException)) live.textContent = error.message; });
  });
  archivedBox.addEventListener("change", () => { for (const run of [...known.values()]) render(run); order(); });
  drawHead();
  await load();
}

// The first page of runs the host put in the page itself (a host without a token does): used once, by the first
// runs page drawn, so that the table is there before any request.
function embeddedRuns() {
  const data = document.getElementById("runs-data");
  if (!data) return null;
  data.remove();
  try { return JSON.parse(data.textContent); } catch (_) { return null; }
}

async function cancelRun(id) {
  try {
    await api(`/runs/${encodeURIComponent(id)}`, { method: "DELETE" });
  } catch (error) {
    alert(`Could not cancel ${id}: ${error.message}`);
  }
}

// A run's name, tags and notes, edited in place (PATCH /runs/{id}); archiving keeps a run but hides it from the
// table; deleting forgets it, and removes its output folder only when asked (the host removes only folders inside
// its output root).
function runLabelsSection(run) {
  const id = run.id;
  const name = el("input", { id: "run-name", type: "text", value: run.name || "", maxlength: 100, placeholder: "e.g. baseline, width 32" });
  const tags = el("input", { id: "run-tags", type: "text", value: (run.tags || []).join(", "), placeholder: "e.g. baseline, q3" });
  const notes = el("textarea", { id: "run-notes", class: "short", rows: 3, maxlength: 4000 });
  notes.value = run.notes || "";
  const message = el("p", { id: "labels-message", class: "note", role: "status" });
  const fieldOf = (input, label) => el("div", { class: "field", "data-field": input.id.replace(/^run-/, "") }, el("label", { for: input.id, text: label }), input,
    el("p", { class: "error", id: `${input.id}-error`, role: "alert" }));
  const form = el("form", { id: "labels-form", novalidate: true },
    el("div", { class: "grid" }, fieldOf(name, "Name"), fieldOf(tags, "Tags (separated by commas)")), fieldOf(notes, "Notes"),
    el("div", { class: "toolbar" },
      el("button", { type: "submit", id: "save-labels", text: "Save name, tags and notes" }),
      el("button", { type: "button", class: "secondary", id: "archive-run", text: run.archived ? "Unarchive" : "Archive",
        onclick: () => patch({ archived: !run.archived }).then(r => { if (r) route(); }) }),
      ACTIVE.has(run.status) ? "" : el("button", { type: "button", class: "secondary", id: "delete-run", text: "Delete…", onclick: () => confirmDelete(run) })),
    message);
  async function patch(body) {
    clearErrors(form);
    message.textContent = "";
    try {
      const saved = await api(`/runs/${encodeURIComponent(id)}`, { method: "PATCH", json: body });
      message.textContent = "Saved.";
      return saved;
    } catch (error) {
      if (error.status === 400) showFieldError(form, error.problem, message); else message.textContent = error.message;
      return null;
    }
  }
  form.addEventListener("submit", event => {
    event.preventDefault();
    patch({ name: name.value.trim() || null, tags: tags.value.split(",").map(t => t.trim()).filter(Boolean), notes: notes.value.trim() || null });
  });
  return el("details", { class: "figures", id: "run-labels", open: !!(run.name || (run.tags || []).length || run.notes) || null },
    el("summary", { text: "Name, tags and notes" }), form);
}

// Asks before deleting; the output folder goes only when its box is ticked.
function confirmDelete(run) {
  const files = el("input", { type: "checkbox", id: "delete-files" });
  const error = el("p", { class: "error", role: "alert", id: "delete-error" });
  const dialog = el("dialog", { id: "delete-dialog", "aria-labelledby": "delete-title" },
    el("h2", { id: "delete-title", text: `Delete run ${run.name || run.id}?` }),
    el("p", { text: "The run leaves the store: its figures, stages and logs' link are gone from every list." }),
    el("label", { class: "check", for: "delete-files" }, files, ` also delete its output folder${run.config?.out ? ` (${run.config.out})` : ""}`),
    error,
    el("div", { class: "toolbar" },
      el("button", { type: "button", id: "delete-confirm", text: "Delete", onclick: async () => {
        try {
          await api(`/runs/${encodeURIComponent(run.id)}/record${files.checked ? "?files=true" : ""}`, { method: "DELETE" });
          dialog.close();
          dialog.remove();
          location.hash = "#/runs";
        } catch (e) { error.textContent = e.message; }
      } }),
      el("button", { type: "button", class: "secondary", id: "delete-cancel", text: "Keep it", onclick: () => { dialog.close(); dialog.remove(); } })));
  document.body.append(dialog);
  dialog.showModal();
}
