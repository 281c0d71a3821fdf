// Crash cash-out strategies in forms: the fields of each strategy come from the server's
// catalogue (/api/simulator/strategies), so the page never re-implements the rules.

import { field, h } from "../core.js";

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

export function ratio(x) {
  return typeof x === "number" ? x.toFixed(4) : "—";
}

// A panel's render that builds its strategy form once, from the first catalogue it gets.
export function strategyPicker(root) {
  let built = false;
  return {
    render({ strategies }) {
      if (built) return;
      strategyFields(field(root, "strategy"), strategies);
      built = true;
    },
  };
}
