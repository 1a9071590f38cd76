// The compare page of the ChurnActors dashboard: figures side by side with the better one marked, comparable curves
// overlaid, and the settings that differ first.
"use strict";

// Settings that differ between any two runs by nature, not by choice.
const NOT_A_DIFFERENCE = new Set(["out"]);

// A figure of each run, and which way is better (null: neither).
const COMPARED_METRICS = [
  { label: "ROC AUC", term: "rocAuc", better: "higher", value: r => r.metrics?.population?.rocAuc },
  { label: "Brier", term: "brier", better: "lower", value: r => r.metrics?.population?.brier },
  { label: "calibration error", term: "calibrationError", better: "lower", value: r => r.metrics?.population?.calibrationError },
  { label: "log loss", term: "logLoss", better: "lower", value: r => r.metrics?.population?.logLoss },
  { label: "profit per 1,000", term: "profitPer1000", better: "higher", value: r => r.metrics?.population?.campaign?.profitPer1000, text: money },
  { label: "test accuracy", term: "testAccuracy", better: "higher", split: true, value: r => r.metrics?.test?.accuracy },
  { label: "test ROC AUC", term: "rocAuc", better: "higher", split: true, value: r => r.metrics?.test?.rocAuc },
  { label: "best validation loss", term: "validationLoss", better: "lower", split: true,
    value: r => ((r.epochs || []).length ? Math.min(...r.epochs.map(e => e.validationLoss)) : undefined) },
  { label: "epochs", better: null, value: r => (r.epochs || []).length || undefined, text: v => String(v) },
];

async function comparePage(generation, ids) {
  const runs = await Promise.all(ids.map(id => api(`/runs/${encodeURIComponent(id)}`)));
  if (generation !== pageGeneration) return;
  const balances = runs.map(r => r.config?.balance);
  const sameMix = new Set(balances).size === 1;
  const natural = runs.every(r => r.metrics?.population);
  const head = ["figure", ...runs.map(r => el("a", { href: `#/runs/${r.id}` }, r.name || r.id))];
  const rows = COMPARED_METRICS.map(m => {
    const values = runs.map(m.value);
    if (values.every(v => typeof v !== "number" || !isFinite(v))) return null;
    // Figures measured on differently balanced splits are not ranked against each other.
    const rankable = m.better && (!m.split || sameMix) && values.filter(v => typeof v === "number").length > 1 && new Set(values).size > 1;
    const best = rankable ? (m.better === "higher" ? Math.max : Math.min)(...values.filter(v => typeof v === "number")) : null;
    const label = el("th", { scope: "row" }, m.label, m.term ? glossary(m.term) : "",
      m.split ? el("div", { class: "note", text: sameMix ? `on the ${splitName(balances[0])} test split` : "on each run's own test split: not comparable" }) : "");
    return el("tr", {}, label, values.map((v, i) => {
      const shown = typeof v === "number" ? (m.text || fmt)(v) : "";
      const text = m.split && !sameMix && shown ? `${shown} (${splitName(balances[i])})` : shown;
      return num(text, { class: v === best ? "num better" : "num", "data-better": v === best ? "true" : null });
    }));
  }).filter(Boolean);

  const comparable = runs.filter(r => r.config?.balance === runs[0].config?.balance);
  const lossNote = comparable.length === runs.length ? "Validation and training loss per epoch."
    : `Validation losses of runs that balanced their data differently are not comparable (the loss depends on the mix trained on): showing only the ${comparable.length} run${comparable.length === 1 ? "" : "s"} balanced like the first (${runs[0].config?.balance}). Compare the other figures above instead.`;
  const idList = list => list.map(r => encodeURIComponent(r.id)).join(",");
  main.replaceChildren(
    el("h2", { text: `Comparing ${runs.length} run${runs.length === 1 ? "" : "s"}` }),
    el("section", {}, el("h3", { text: "Figures" }),
      el("p", { class: "note", text: natural ? "On customers each model never saw, in their natural mix, unless the row says otherwise. The better value is marked ✓." : "The better value is marked ✓ where the figures are comparable." }),
      el("div", { class: "scroll" }, table("compare-metrics", head, el("tbody", {}, rows)))),
    el("section", {}, el("h3", { text: "Gains and profit" }), el("div", { class: "charts" },
      chart(`/compare/gains.svg?ids=${idList(runs)}`, "cumulative gains of the compared runs on the customers' natural mix", "compare-gains-chart", 560, 315),
      chart(`/compare/profit.svg?ids=${idList(runs)}`, "campaign profit per 1,000 customers of the compared runs against the share contacted", "compare-profit-chart", 560, 315))),
    el("section", {}, el("h3", { text: "Loss curves" }), el("p", { class: "note", id: "compare-loss-note", text: lossNote }),
      chart(`/compare/loss.svg?ids=${idList(comparable)}`, "validation and training loss of the comparable runs", "compare-chart")),
    el("section", {}, el("h3", { text: "Settings (those that differ first)" }), el("div", { class: "scroll" }, compareConfig(runs))));
}

function compareConfig(runs) {
  const flat = runs.map(r => flatten(r.config || {}, "", {}));
  const keys = [...new Set(flat.flatMap(f => Object.keys(f)))].sort();
  const valuesOf = key => flat.map(f => (f[key] === undefined || f[key] === null ? "" : String(f[key])));
  const differs = key => !NOT_A_DIFFERENCE.has(key) && new Set(valuesOf(key)).size > 1;
  const ordered = keys.filter(differs).concat(keys.filter(k => !differs(k)));
  return table("compare-config", ["setting", ...runs.map(r => r.name || r.id)],
    el("tbody", {}, ordered.map(key => el("tr", { class: differs(key) ? "diff" : null, "data-differs": differs(key) ? "true" : null },
      el("th", { scope: "row", text: key + (differs(key) ? " (differs)" : "") }), valuesOf(key).map(v => td(v))))));
}
