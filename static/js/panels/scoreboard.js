// The honest scoreboard: each predictor's hit rate in one market as a bar with its
// 95% interval, the chance and break-even lines, the p-values and the verdict in words.

import { config, field, h, interval, pct, pValue, replace } from "../core.js";
import { intervalBar } from "../charts.js";

const MARKETS = [["big_small", "Big/Small"], ["color", "Colour"], ["number", "Top number"], ["top3", "Top 3 numbers"]];
const BREAK_EVEN_BET = { big_small: "Big", color: "Red" };

function verdictClass(verdict) {
  if (verdict === "edge") return "good";
  if (verdict === "worse than chance") return "bad";
  return "neutral";
}

export default {
  name: "scoreboard",
  title: "The scoreboard",
  needs: ["accuracy"],
  mount(root) {
    const select = field(root, "market");
    let last = null;
    replace(select, MARKETS.map(([value, label]) => h("option", { value, text: label })));
    const draw = () => {
      if (!last) return;
      const market = select.value;
      const rows = (last.rows || []).filter((row) => row.market === market);
      const breakEvenOf = (row) => (typeof row.break_even === "number" ? row.break_even : config.break_even[BREAK_EVEN_BET[market]]);
      const max = Math.min(1, 1.15 * Math.max(0.2, ...rows.flatMap((row) => [row.ci95 ? row.ci95[1] : 0, row.chance || 0, breakEvenOf(row) || 0])));
      replace(field(root, "rows"), rows.length ? rows.map((row) => h("div", { class: "score-row", dataset: { predictor: row.predictor, verdict: row.verdict || "" } },
        h("div", { class: "score-name" },
          h("strong", { class: "mono", text: row.predictor }),
          h("span", { class: "small", text: ` ${row.hits ?? 0}/${row.n ?? 0} = ${pct(row.hit_rate)}` })),
        intervalBar({ rate: row.hit_rate, lo: row.ci95 && row.ci95[0], hi: row.ci95 && row.ci95[1], chance: row.chance, breakEven: breakEvenOf(row), max }),
        h("div", { class: "score-stats small" },
          h("span", { dataset: { field: "ci" }, text: `95% CI ${interval(row.ci95)}` }), " · ",
          h("span", { text: `chance ${pct(row.chance)}` }), " · ",
          h("span", { text: `break-even ${pct(breakEvenOf(row))}` }), " · ",
          h("span", { text: `p = ${pValue(row.p_value)} (Holm ${pValue(row.p_holm)})` }),
          typeof row.log_loss === "number" ? [" · ", h("span", { text: `log loss ${row.log_loss.toFixed(3)} vs ${Number(row.baseline_log_loss).toFixed(3)} uniform` })] : null),
        h("p", { class: "small" }, h("span", { class: `tag ${verdictClass(row.verdict)}`, text: row.verdict || "—" }), " ", row.verdict_text || "")))
        : h("p", { class: "muted", text: "No resolved predictions in this market yet." }));
      const edges = rows.filter((row) => row.verdict === "edge");
      const n = Math.max(0, ...rows.map((row) => row.n || 0));
      replace(field(root, "summary"), edges.length
        ? `${edges.map((row) => row.predictor).join(", ")}: the data show an edge in this market (n = ${n}); keep watching, evidence can change.`
        : `No predictor shows evidence of an edge over chance in this market (n = ${n} resolved draws). That is what fair draws produce.`);
    };
    select.addEventListener("change", draw);
    return {
      render({ accuracy }) {
        last = accuracy;
        draw();
      },
    };
  },
};
