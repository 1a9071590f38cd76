// The models pages of the ChurnActors dashboard: the registry (named models, their versions, the one in production),
// the drift alarms of each model's scorings, promote and roll back, register a run's model, and champion against
// challenger on a labelled customer file, all through the host's /models endpoints.
"use strict";

const modelPath = name => `/models/${encodeURIComponent(name)}`;
const driftCell = level => el("td", {}, el("span", { class: `drift drift-${level || "none"}`, "data-drift": level || "none", text: level || "not measured" }));

// #/models (the list and the comparison) or #/models/NAME (one model).
async function modelsPage(generation, name) {
  if (name) return modelPage(generation, name);
  const { models } = await api("/models");
  if (generation !== pageGeneration) return;
  const parts = [el("h2", { text: "Models" }),
    el("p", { class: "note", text: "Registered models: named, versioned copies of a run's model kept in the run store; the production version is the one churn predict --model NAME and POST /models/NAME/score use." })];
  if (!models.length) {
    parts.push(el("p", { id: "models-empty", text: "No model registered yet: open a run that succeeded and register its model from its page. " },
      el("a", { href: "#/runs", text: "Runs" })));
  } else {
    parts.push(table("models", ["model", "production", "versions", "latest scoring", "drift"],
      el("tbody", {}, models.map(m => {
        const last = m.scorings[0];
        return el("tr", { "data-model": m.name },
          el("td", {}, el("a", { href: `#/models/${encodeURIComponent(m.name)}`, text: m.name })),
          td(m.production ? `@${m.production}` : "none"), num(m.versions.length),
          td(last ? `${when(last.at)} · @${last.version} · ${last.input}` : ""), last ? driftCell(last.drift) : td(""));
      }))));
    parts.push(compareSection(models));
  }
  main.replaceChildren(...parts);
}

async function modelPage(generation, name) {
  const model = await api(modelPath(name));
  if (generation !== pageGeneration) return;
  const status = el("p", { id: "model-status", role: "status", "aria-live": "polite" });
  const production = model.versions.find(v => v.production);
  const change = async (path, options, done) => {
    status.textContent = "";
    try {
      await api(path, options);
      await modelPage(generation, name);
      document.getElementById("model-status").textContent = done;
    } catch (error) {
      status.className = "error";
      status.textContent = error.message;
    }
  };
  const figures = v => {
    const h = v.headline || {};
    const t = v.testMetrics || {};
    return [num(fmt(h.populationRocAuc ?? t.rocAuc)), num(fmt(h.populationBrier)), num(money(h.campaignProfitPer1000))];
  };
  main.replaceChildren(
    el("h2", {}, el("a", { href: "#/models", text: "Models" }), ` · ${model.name}`),
    el("section", { id: "production" }, el("h3", { text: "In production" }),
      production
        ? el("p", { id: "production-version", "data-version": production.version },
          el("strong", { text: `${model.name}@${production.version}` }), ` registered ${when(production.registeredAt)}`,
          production.runId ? [" from run ", el("a", { href: `#/runs/${encodeURIComponent(production.runId)}`, text: production.runId })] : "")
        : el("p", { id: "production-version", text: "No version in production yet: promote one below." }),
      el("button", { type: "button", class: "secondary", id: "rollback", disabled: !production,
        onclick: () => change(`${modelPath(name)}/rollback`, { method: "POST" }, "Rolled back.") }, "Roll back to the version before"),
      status),
    el("section", { id: "versions" }, el("h3", { text: "Versions" }),
      table("model-versions", ["version", "registered", "run", "ROC AUC", "Brier", "profit per 1,000", ""],
        el("tbody", {}, model.versions.slice().reverse().map(v => el("tr", { "data-version": v.version, class: v.production ? "production" : null },
          td(`@${v.version}${v.production ? " (production)" : ""}`), td(when(v.registeredAt)),
          el("td", {}, v.runId ? el("a", { href: `#/runs/${encodeURIComponent(v.runId)}`, text: v.runName ? `${v.runName} · ${v.runId}` : v.runId }) : "a model folder"),
          figures(v),
          el("td", {}, v.production ? "" : el("button", { type: "button", "data-promote": v.version,
            onclick: () => change(`${modelPath(name)}/production`, { method: "PUT", json: { version: v.version } }, `${model.name}@${v.version} is in production.`) }, "Promote"))))),
        "ROC AUC and Brier on the run's customers in their natural mix when it measured them (else ROC AUC on the test split)")),
    el("section", { id: "scorings" }, el("h3", { text: "Latest scorings and their drift alarms" }),
      model.scorings.length
        ? table("model-scorings", ["when", "version", "command", "file", "customers", "drift", "what moved"],
          el("tbody", {}, model.scorings.map(s => el("tr", { "data-drift": s.drift || "none" },
            td(when(s.at)), td(`@${s.version}`), td(s.command), td(s.input, { title: `SHA-256 ${s.inputSha256}` }),
            num(s.summary?.customers ?? ""), driftCell(s.drift), td(s.moved.join("; "))))),
          "Drift: PSI of each behaviour and of the score against the model's training customers; a warning above 0.1, an alarm above 0.25.")
        : el("p", { class: "note", text: `Not used yet: churn predict --model ${model.name} (or target, explain) records each scoring here.` })));
}

// Champion against challenger: both score the same labelled customers (as churn models compare does).
function compareSection(models) {
  const references = models.flatMap(m => m.versions.map(v => `${m.name}@${v.version}`));
  const production = models.filter(m => m.production).map(m => `${m.name}@${m.production}`);
  const pick = (id, chosen) => el("select", { id, name: id }, references.map(r => el("option", { value: r, selected: r === chosen, text: r })));
  const a = pick("compare-a", production[0] || references[0]);
  const b = pick("compare-b", references.find(r => r !== a.value) || references[0]);
  const file = field("labelled", "Labelled customers (CSV: ID, the 10 behaviours and the outcome)", "", { file: true });
  const general = el("p", { class: "error", id: "compare-error", role: "alert" });
  const result = el("div", { id: "compare-result", "aria-live": "polite" });
  const form = el("form", { id: "compare-form", novalidate: true },
    el("div", { class: "grid" },
      el("div", { class: "field" }, el("label", { for: "compare-a", text: "A, the champion" }), a),
      el("div", { class: "field" }, el("label", { for: "compare-b", text: "B, the challenger" }), b)),
    file, general, el("button", { type: "submit", id: "compare-button", text: "Compare" }));
  form.addEventListener("submit", async event => {
    event.preventDefault();
    clearErrors(form);
    result.replaceChildren();
    const input = form.querySelector("#f-labelled");
    if (!input.files.length) { showFieldError(form, { field: "labelled", detail: "labelled: choose a labelled customer CSV file first" }, general); return; }
    try {
      const answer = await api("/models/compare", { method: "POST", json: { a: a.value, b: b.value, customers: await input.files[0].text() } });
      result.replaceChildren(...comparison(answer));
    } catch (error) {
      general.textContent = error.message;
    }
  });
  return el("section", { id: "compare-models" }, el("h3", { text: "Champion against challenger" }),
    el("p", { class: "note", text: "Both versions score the same labelled customers; the differences come with paired bootstrap intervals, and the verdict says which differences are more than noise." }),
    form, result);
}

function comparison(answer) {
  const c = answer.comparison;
  const rows = [["ROC AUC", c.a.rocAuc, c.b.rocAuc], ["Brier", c.a.brier, c.b.brier], ["calibration error", c.a.calibrationError, c.b.calibrationError],
    ["profit per 1,000", c.a.profitPer1000, c.b.profitPer1000]];
  return [
    el("p", { id: "compare-verdict", class: "plan" }, el("strong", { text: "Verdict: " }), c.verdict),
    table("compare-figures", ["", `A ${answer.champion}`, `B ${answer.challenger}`, "B − A", `${Math.round(c.confidence * 100)} % interval of B − A`],
      el("tbody", {}, rows.map(([name, x, y], i) => {
        const d = c.differences[i];
        const f = i === 3 ? v => fmt(v, 1) : v => fmt(v);
        return el("tr", { "data-metric": d.metric, "data-distinguishable": String(d.low > 0 || d.high < 0) },
          el("th", { scope: "row", text: name }), num(f(x)), num(f(y)), num(f(d.difference)), num(`${f(d.low)} to ${f(d.high)}`));
      })),
      `${wholeNumber.format(c.rows)} labelled customers, ${wholeNumber.format(c.resamples)} paired bootstrap resamples`)];
}

// On a run's page: register its model as the next version of a name, and promote it at once if asked.
function registerSection(run) {
  const name = el("input", { id: "register-name", type: "text", value: "churn", maxlength: 64, required: true });
  const promote = el("input", { id: "register-promote", type: "checkbox", checked: true });
  const status = el("p", { id: "register-status", role: "status", "aria-live": "polite" });
  const form = el("form", { id: "register-form", class: "inline", novalidate: true },
    el("label", { for: "register-name", text: "Model name " }), name, " ",
    el("label", {}, promote, " and put it in production "),
    el("button", { type: "submit", id: "register-button", text: "Register" }), status);
  form.addEventListener("submit", async event => {
    event.preventDefault();
    status.className = "";
    status.textContent = "";
    const model = name.value.trim();
    try {
      const version = await api(`${modelPath(model)}/versions`, { method: "POST", json: { runId: run.id } });
      if (promote.checked) await api(`${modelPath(model)}/production`, { method: "PUT", json: { version: version.version } });
      status.replaceChildren(`Registered as ${model}@${version.version}${promote.checked ? ", in production" : ""}. `,
        el("a", { href: `#/models/${encodeURIComponent(model)}`, id: "register-link", text: "Open the model" }));
    } catch (error) {
      status.className = "error";
      status.textContent = error.message;
    }
  });
  return el("section", { id: "register" }, el("h3", { text: "Register / promote" }),
    el("p", { class: "note", text: "Copies this run's model into the run store as the next version of a named model; scoring by that name uses the production version." }),
    form);
}

// The run whose model is in production (the first model's that has one), for pages that choose a run's model.
async function productionRun() {
  try {
    const { models } = await api("/models");
    for (const m of models) {
      const v = m.versions.find(x => x.production);
      if (v && v.runId) return v.runId;
    }
  } catch (_) { /* no registry to ask: no default */ }
  return null;
}
