// The honest scoreboard: each predictor's hit rate in one market as a bar with its
// 95% interval, the chance and break-even lines, the p-values and the verdict in words.
// The verdict follows the anytime-valid interval; rows with no evidence of an edge say
// how large an edge their n could have shown. The replayed record (walk-forward over
// back-filled history) is drawn apart from the live one, never merged into it.

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
    const rowsView = (rows, market, empty) => {
      const breakEvenOf = (row) => (typeof row.break_even === "number" ? row.break_even : config.break_even[BREAK_EVEN_BET[market]]);
      const max = Math.min(1, 1.15 * Math.max(0.2, ...rows.flatMap((row) => [row.ci95 ? row.ci95[1] : 0, row.chance || 0, breakEvenOf(row) || 0])));
      return rows.length ? rows.map((row) => h("div", { class: "score-row", dataset: { predictor: row.predictor, verdict: row.verdict || "" } },
        h("div", { class: "score-name" },
          h("strong", { class: "mono", text: row.predictor }),
          h("span", { class: "small", text: ` ${row.hits ?? 0}/${row.n ?? 0} = ${pct(row.hit_rate)}` })),
        intervalBar({ rate: row.hit_rate, lo: row.ci95 && row.ci95[0], hi: row.ci95 && row.ci95[1], chance: row.chance, breakEven: breakEvenOf(row), max }),
        h("div", { class: "score-stats small" },
          h("span", { dataset: { field: "ci" }, text: `95% CI ${interval(row.ci95)}` }), " · ",
          row.anytime_ci ? [h("span", { dataset: { field: "anytime" }, text: `anytime ${interval(row.anytime_ci)}` }), " · "] : null,
          h("span", { text: `chance ${pct(row.chance)}` }), " · ",
          h("span", { text: `break-even ${pct(breakEvenOf(row))}` }), " · ",
          h("span", { text: `p = ${pValue(row.p_value)} (Holm ${pValue(row.p_holm)})` }),
          typeof row.log_loss === "number" ? [" · ", h("span", { text: `log loss ${row.log_loss.toFixed(3)} vs ${Number(row.baseline_log_loss).toFixed(3)} uniform` })] : null),
        h("p", { class: "small" }, h("span", { class: `tag ${verdictClass(row.verdict)}`, text: row.verdict || "—" }), " ", row.verdict_text || ""),
        row.power ? h("p", { class: "small muted", dataset: { field: "power" }, text: row.power }) : null))
        : h("p", { class: "muted", text: empty });
    };
    const draw = () => {
      if (!last) return;
      const market = select.value;
      const rows = (last.rows || []).filter((row) => row.market === market);
      replace(field(root, "rows"), rowsView(rows, market, "No live predictions resolved in this market yet."));
      const replayed = last.replayed;
      const replayedRows = replayed ? (replayed.rows || []).filter((row) => row.market === market) : [];
      const box = field(root, "replayed");
      box.hidden = !replayedRows.length;
      replace(box, replayedRows.length ? [
        h("h3", { text: "Replayed record — not live" }),
        h("p", { class: "small muted", text: `The predictors walked forward over ${replayed.n_draws} back-filled draws (through ${replayed.through}), each prediction from earlier draws only. Kept apart from the live record above and never merged into it.` }),
        rowsView(replayedRows, market, "")] : []);
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
