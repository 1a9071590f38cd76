// The campaign page of the ChurnActors dashboard: whom to contact, from a model and a customer file.
"use strict";

// How many contacted customers the page lists; the download holds them all.
const CAMPAIGN_ROWS_SHOWN = 100;

// The strongest reasons the host gives each contacted customer, unless the user chose fewer (kept in the browser).
const CAMPAIGN_REASONS = 3;

// The contacted customers' columns, on the page and in their CSV: the user chooses which (kept in the browser).
// In the CSV's order (customer_id first, as `churn target` writes them); the page puts the rank first.
const CONTACT_COLUMNS = [
  { key: "probability", label: "chance of buying", csv: row => row.probability, cell: row => num(pct(row.probability)) },
  { key: "expected_value", label: "expected value", money: true, csv: row => row.expectedValue, cell: (row, currency) => num(withCurrency(currency, row.expectedValue, 2)) },
  { key: "rank", label: "rank", csv: row => row.rank, cell: row => num(row.rank) },
  { key: "reasons", label: "why (strongest reasons)", csv: row => csvText(reasonText(row.reasons)), cell: row => td(reasonText(row.reasons)) },
];
const chosenColumns = () => {
  try { const kept = JSON.parse(localStorage.getItem("churn-contact-columns")); if (Array.isArray(kept)) return new Set(kept); } catch (_) { /* none kept */ }
  return new Set(CONTACT_COLUMNS.map(c => c.key));
};

const withCurrency = (currency, value, digits) => {
  const amount = digits ? (Math.abs(value) < 0.5 * 10 ** -digits ? 0 : value).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : money(value);
  return `${currency ? currency + " " : ""}${amount}`;
};
const whole = value => wholeNumber.format(value);

// A model to score with is a succeeded run that trained one (prepare-only runs did not).
async function campaignModels() {
  const page = await api("/runs?status=succeeded&limit=100");
  return page.runs.filter(r => r.mode !== "prepare");
}

// The plan in plain words, the realized figures when the file holds outcomes, then the contacted customers.
async function campaignPage(generation, params) {
  const models = await campaignModels();
  const defaults = (await api("/defaults")).run.campaign || {};
  if (generation !== pageGeneration) return;
  if (!models.length) {
    main.replaceChildren(el("h2", { text: "Plan a campaign" }),
      el("p", { id: "campaign-form", text: "No model yet: a run that succeeds trains one. " }, el("a", { href: "#/new-run", text: "Start a run" })));
    return;
  }
  // Without a run asked for, the production model's run is the default.
  const wanted = params.get("run") || await productionRun();
  const model = el("select", { id: "campaign-model", name: "model" }, models.map(r => el("option", {
    value: r.id, selected: r.id === wanted,
    text: `${r.name ? r.name + " · " : ""}${r.id} · ${when(r.finishedAt || r.queuedAt)}${typeof r.headline?.campaignProfitPer1000 === "number" ? ` · profit per 1,000 ${money(r.headline.campaignProfitPer1000)}` : ""}`,
  })));
  const currency = el("input", { id: "campaign-currency", type: "text", value: localStorage.getItem("churn-currency") || "", placeholder: "e.g. EUR", size: 6, maxlength: 8 });
  currency.addEventListener("change", () => localStorage.setItem("churn-currency", currency.value.trim()));
  const file = field("customers", "Customer file (CSV: ID and the 10 behaviours; with the outcome column, the page also shows what really happened)", "", { file: true });
  const drop = el("div", { class: "drop", id: "campaign-drop" }, file, el("p", { class: "note", text: "Choose the file, or drop it here." }));
  drop.addEventListener("dragover", event => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", event => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) drop.querySelector("input").files = event.dataTransfer.files;
  });
  const general = el("p", { class: "error", id: "campaign-error", role: "alert" });
  const form = el("form", { id: "campaign-form", novalidate: true },
    el("div", { class: "field" }, el("label", { for: "campaign-model", text: "Model (a run that succeeded; the newest first)" }), model),
    drop,
    el("div", { class: "grid" },
      field("contactCost", "Cost of one contact", defaults.contactCost ?? "", { numeric: true }),
      field("conversionValue", "Value of a customer who buys", defaults.conversionValue ?? "", { numeric: true }),
      field("budget", "Budget: customers to contact (optional)", "", { numeric: true, hint: "empty: everyone worth more than a contact costs" }),
      field("top", "Or the top share, in % (optional)", "", { numeric: true, hint: "empty: as above" }),
      field("reasons", "Reasons per contacted customer", localStorage.getItem("churn-campaign-reasons") ?? String(CAMPAIGN_REASONS), { numeric: true, hint: "0: none; at most 10" }),
      el("div", { class: "field" }, el("label", { for: "campaign-currency", text: "Currency (a code or symbol, shown with every amount)" }), currency)),
    columnChooser(),
    general,
    el("button", { type: "submit", id: "campaign-plan-button", text: "Plan the campaign" }));
  const plan = el("p", { id: "campaign-plan", class: "plan", "aria-live": "polite" });
  const results = el("div", { id: "campaign-results" });
  main.replaceChildren(el("h2", { text: "Plan a campaign" }),
    el("p", { class: "note", text: "Scores every customer in the file with the chosen model, as churn target does, and picks whom to contact." }),
    form, plan, results);

  // The economics a run was trained with are its defaults; a choice made here stays until the model changes.
  model.addEventListener("change", async () => {
    try {
      const run = await api(`/runs/${encodeURIComponent(model.value)}`);
      const c = run.config?.campaign || {};
      if (c.contactCost !== undefined) form.querySelector("#f-contactCost").value = c.contactCost;
      if (c.conversionValue !== undefined) form.querySelector("#f-conversionValue").value = c.conversionValue;
    } catch (_) { /* the host's defaults stay */ }
  });

  let last = null;
  form.addEventListener("submit", async event => {
    event.preventDefault();
    clearErrors(form);
    plan.replaceChildren();
    plan.removeAttribute("data-contacted");
    results.replaceChildren();
    const input = form.querySelector("#f-customers");
    if (!input.files.length) { showFieldError(form, { field: "customers", detail: "customers: choose a customer CSV file first" }, general); return; }
    const body = { customers: await input.files[0].text() };
    for (const name of ["contactCost", "conversionValue", "budget", "top", "reasons"]) {
      const value = readValue(form.querySelector(`#f-${name}`), "number");
      if (value !== undefined) body[name] = value;
    }
    localStorage.setItem("churn-campaign-reasons", body.reasons ?? 0);
    if (!body.reasons) delete body.reasons;
    const id = model.value;
    const path = `/runs/${encodeURIComponent(id)}/target`;
    try {
      let answer, withoutReasons = null;
      try {
        answer = await api(path, { method: "POST", json: body });
      } catch (error) {
        // A model that cannot explain (409), or too many contacts to explain (400 on reasons): the plan without reasons, saying why.
        if (!body.reasons || error.problem?.field !== "reasons" || !(error.status === 409 || error.status === 400)) throw error;
        withoutReasons = error.message;
        delete body.reasons;
        answer = await api(path, { method: "POST", json: body });
      }
      if (generation !== pageGeneration) return;
      last = { id, path, body, answer, withoutReasons };
      drawPlan(plan, answer.summary, currency.value.trim());
      results.replaceChildren(...campaignResults(last, currency.value.trim()));
      plan.focus();
    } catch (error) {
      if (error.status === 400) showFieldError(form, error.problem, general); else general.textContent = error.message;
    }
  });
  // A change of columns or currency redraws the list in place, without scoring again.
  const redraw = () => { if (last) results.replaceChildren(...campaignResults(last, currency.value.trim())); };
  currency.addEventListener("change", redraw);
  form.querySelectorAll("[data-column]").forEach(box => box.addEventListener("change", () => {
    localStorage.setItem("churn-contact-columns", JSON.stringify([...form.querySelectorAll("[data-column]:checked")].map(b => b.dataset.column)));
    redraw();
  }));
}

// Which columns the contacted list and its CSV hold (the customer's id always).
function columnChooser() {
  const chosen = chosenColumns();
  return el("fieldset", { id: "contact-columns", class: "columns" }, el("legend", { text: "Columns of the contacted customers (page and CSV)" }),
    CONTACT_COLUMNS.map(c => el("label", { class: "check" },
      el("input", { type: "checkbox", id: `column-${c.key}`, "data-column": c.key, checked: chosen.has(c.key) }), ` ${c.label}`)));
}

// "Contact 655 of 2,816 customers; expect 348 buyers among them, 77 % of all expected buyers; expected profit 2,185
// against -1,115 for contacting everyone." The exact figures ride along as data attributes.
function drawPlan(plan, s, currency) {
  plan.setAttribute("tabindex", "-1");
  plan.dataset.contacted = s.contacted;
  plan.dataset.expectedBuyers = s.expectedBuyers;
  plan.dataset.expectedProfit = s.expectedProfit;
  plan.dataset.everyoneProfit = s.everyoneExpectedProfit;
  plan.replaceChildren(
    el("strong", { text: `Contact ${whole(s.contacted)} of ${whole(s.customers)} customers` }),
    `; expect ${whole(s.expectedBuyers)} buyers among them, ${whole(s.expectedBuyersReachedShare * 100)} % of all expected buyers; `,
    `expected profit ${withCurrency(currency, s.expectedProfit)} against ${withCurrency(currency, s.everyoneExpectedProfit)} for contacting everyone`,
    ` and ${withCurrency(currency, s.randomExpectedProfit)} for as many at random.`,
    el("span", { class: "note", text: ` (${s.policy}; a contact costs ${withCurrency(currency, s.contactCost)}, a buyer is worth ${withCurrency(currency, s.conversionValue)}.)` }));
}

function campaignResults(last, currency) {
  const { id, path, body, answer } = last;
  const s = answer.summary;
  const r = s.realized;
  const contacted = answer.rows.filter(row => row.contact).sort((a, b) => a.rank - b.rank);
  const hasReasons = contacted.some(row => row.reasons && row.reasons.length);
  const chosen = chosenColumns();
  const columns = CONTACT_COLUMNS.filter(c => chosen.has(c.key) && (c.key !== "reasons" || hasReasons));
  const parts = [];
  if (r) {
    parts.push(el("section", { id: "campaign-realized" }, el("h3", { text: "What really happened (the file holds the outcomes)" }),
      el("p", {}, `${whole(r.buyersContacted)} of the ${whole(r.buyers)} buyers were among the contacted (${pct(r.buyers ? r.buyersContacted / r.buyers : 0)}); `,
        `the plan would have earned ${withCurrency(currency, r.profit)}; the best cut-off in hindsight ${withCurrency(currency, r.bestCutoffProfit)}.`)));
  }
  const csvRow = row => [row.customerId, ...columns.map(c => c.csv(row))].join(",");
  const header = ["customer_id", ...columns.map(c => c.key)].join(",");
  const shown = [...columns.filter(c => c.key === "rank"), { key: "customer", label: "customer", cell: row => num(row.customerId) }, ...columns.filter(c => c.key !== "rank")];
  const headers = shown.map(c => c.money && currency ? `${c.label} (${currency})` : c.label);
  parts.push(el("section", { id: "campaign-list" },
    el("h3", { text: "Whom to contact, most likely buyer first" }),
    last.withoutReasons ? el("p", { class: "note", id: "campaign-no-reasons", text: `Without reasons: ${last.withoutReasons}` }) : null,
    el("div", { class: "toolbar" },
      el("button", { type: "button", id: "download-contacts", text: `Download the ${whole(contacted.length)} contacted customers (CSV)`,
        onclick: () => saveText([header, ...contacted.map(csvRow)].join("\n") + "\n", `contacted-${id}.csv`) }),
      el("button", { type: "button", class: "secondary", id: "download-scores", text: `Download all ${whole(s.customers)} customers, scored (CSV)`,
        onclick: () => download(path, `scored-${id}.csv`, { method: "POST", json: Object.assign({}, body, { reasons: undefined }), headers: { Accept: "text/csv" } }).catch(e => alert(e.message)) })),
    el("div", { class: "scroll" }, table("campaign-contacts", headers,
      el("tbody", {}, contacted.slice(0, CAMPAIGN_ROWS_SHOWN).map(row => el("tr", {}, shown.map(c => c.cell(row, currency))))),
      contacted.length > CAMPAIGN_ROWS_SHOWN ? `The first ${CAMPAIGN_ROWS_SHOWN} of ${whole(contacted.length)}; the download holds them all.` : null))));
  return parts;
}

// Reasons as the host gives them: text, or { feature, effect } pairs.
function reasonText(reasons) {
  if (!reasons) return "";
  if (typeof reasons === "string") return reasons;
  return (Array.isArray(reasons) ? reasons : [reasons]).map(x => typeof x === "string" ? x
    : [x.text || x.feature || x.name, typeof x.effect === "number" ? (x.effect > 0 ? "+" : "") + fmt(x.effect, 3) : ""].filter(Boolean).join(" ")).join("; ");
}

const csvText = text => (/[",\n]/.test(text) ? `"${text.replace(/"/g, "\"\"")}"` : text);

function saveText(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
