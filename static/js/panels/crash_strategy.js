// Crash cash-out strategies in forms: the fields of each strategy come from the server's
// catalogue (/api/simulator/strategies), so the page never re-implements the rules. Also
// the queued-job client shared by the Monte Carlo and replay panels.

import { ApiError, h, sendJSON } from "../core.js";

const POLL_MS = 200;
const JOB_DEADLINE_MS = 120000;

// One select of strategies and, per strategy, its parameter inputs (only the chosen
// strategy's are shown and sent).
export function strategyFields(container, catalog) {
  const select = h("select", { name: "strategy" },
    catalog.strategies.map((st) => h("option", { value: st.name, text: st.label })));
  // A plain wrapper carries `hidden` (the grid's own display rule would override it).
  const sets = catalog.strategies.map((st) => h("div", { dataset: { strategy: st.name }, hidden: st.name !== "fixed" },
    h("div", { class: "form-grid" }, st.params.map((p) => h("label", {}, `${p.label} `, p.choices
      ? h("select", { name: p.name }, p.choices.map((c) => h("option", { value: c, text: c, selected: c === p.default })))
      : h("input", { type: "number", name: p.name, min: p.min, max: p.max, step: p.step || "any",
        value: p.default ?? "", placeholder: p.default === null ? "optional" : null }))))));
  const describe = h("p", { class: "small muted", dataset: { field: "strategy-help" } });
  const show = () => {
    for (const set of sets) set.hidden = set.dataset.strategy !== select.value;
    const chosen = catalog.strategies.find((st) => st.name === select.value);
    describe.textContent = chosen ? chosen.description : "";
  };
  select.addEventListener("change", show);
  container.replaceChildren(h("label", {}, "Strategy ", select), describe, ...sets);
  show();
}

// The chosen strategy's fields as an API body (empty optional numbers are left out).
export function readStrategy(container) {
  const strategy = container.querySelector('[name="strategy"]').value;
  const body = { strategy };
  const set = container.querySelector(`[data-strategy="${strategy}"]`);
  for (const input of set.querySelectorAll("input, select")) {
    const raw = input.value.trim();
    if (raw === "") continue;
    body[input.name] = input.tagName === "SELECT" ? raw : Number(raw);
  }
  return body;
}

// Queue a simulator job (202 + result_url) and poll until it is done.
export async function runJob(url, body) {
  const job = await sendJSON("POST", url, body);
  const deadline = Date.now() + JOB_DEADLINE_MS;
  while (Date.now() < deadline) {
    const state = await sendJSON("GET", job.result_url);
    if (state.status === "done") return state.result;
    if (state.status === "failed") {
      const err = state.error || {};
      throw new ApiError(400, err.error || "job_failed", err.message || "The job failed.");
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new ApiError(0, "timeout", "The simulator worker did not finish in time.");
}

export function stat(label, value, key) {
  // One box per label and value, so the grid can never put a label over another value.
  return h("div", { class: "stat" }, h("dt", { text: label }), h("dd", { dataset: key ? { field: key } : {}, text: value }));
}

export function ratio(x) {
  return typeof x === "number" ? x.toFixed(4) : "—";
}
