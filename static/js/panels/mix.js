// The upstream colour/size page (/mixpred/): next colour and size from the rule learners,
// the last 15 calls with hits, and the streak tables. Accuracy always with n and interval.

import { ball, field, h, pct, pctValue, replace, setText, tag } from "../core.js";

function accuracyLine(label, acc) {
  if (!acc || !acc.total_predictions) return h("p", { class: "small muted", text: `${label}: no resolved calls yet.` });
  const ci = Array.isArray(acc.ci95_pct) ? `${pctValue(acc.ci95_pct[0])} – ${pctValue(acc.ci95_pct[1])}` : "—";
  return h("p", { class: "small", dataset: { field: `${label.toLowerCase()}-accuracy` },
    text: `${label}: ${acc.correct_predictions}/${acc.total_predictions} = ${pctValue(acc.accuracy_percentage)} (95% CI ${ci}; chance ${pctValue(acc.chance_percentage)})` });
}

export const next = {
  name: "mix-next",
  title: "The colour/size call",
  needs: ["insights"],
  mount(root) {
    return {
      render({ insights }) {
        const c = insights.color_prediction || {};
        const z = insights.size_prediction || {};
        setText(root, "issue", c.issue || z.issue);
        replace(field(root, "color"), tag(c.next_color));
        replace(field(root, "size"), tag(z.next_size));
        const rule = (p) => (p.rule_name ? `rule ${p.rule_name}: ${pct(p.confidence)} of what followed it (a frequency, not a promise)` : "");
        setText(root, "color-rule", rule(c));
        setText(root, "size-rule", rule(z));
        replace(field(root, "accuracy"), accuracyLine("Colour", insights.color_accuracy), accuracyLine("Size", insights.size_accuracy));
      },
    };
  },
};

const hit = (result) => result ? h("span", { class: result === "win" ? "hit" : "miss", text: result === "win" ? "✓ hit" : "✗ miss" })
  : h("span", { class: "muted", text: "pending" });
const inARow = (n, one, many) => `${n} ${n === 1 ? one : many} in a row`;
const times = (n, one, many) => `${n} ${n === 1 ? one : many}`;

export const last = {
  name: "mix-last",
  title: "The last calls",
  needs: ["insights"],
  mount(root) {
    return {
      render({ insights }) {
        const sizes = new Map((insights.size_prediction_history || []).map((row) => [row.issue, row]));
        const colors = insights.color_prediction_history || [];
        const issues = [...new Set([...colors.map((row) => row.issue), ...sizes.keys()])].sort().reverse().slice(0, 15);
        const byColor = new Map(colors.map((row) => [row.issue, row]));
        replace(field(root, "rows").tBodies[0], issues.length ? issues.map((issue) => {
          const c = byColor.get(issue) || {};
          const z = sizes.get(issue) || {};
          const number = c.actual_number ?? z.actual_number;
          return h("tr", { dataset: { issue } },
            h("td", { class: "mono issue", text: issue, title: issue }),
            h("td", {}, typeof number === "number" ? ball(number, { small: true }) : "—"),
            h("td", {}, c.predicted_color ? tag(c.predicted_color) : "—"), h("td", {}, hit(c.result)),
            h("td", {}, z.predicted_size ? tag(z.predicted_size) : "—"), h("td", {}, hit(z.result)));
        }) : h("tr", {}, h("td", { colspan: 6, class: "muted", text: "No resolved calls yet." })));
      },
    };
  },
};

function streakTable(title, s) {
  s = s || {};
  const lengths = [...new Set([...Object.keys(s.win_streak_distribution || {}), ...Object.keys(s.lose_streak_distribution || {})])]
    .map(Number).sort((a, b) => a - b);
  return h("div", {},
    h("h3", { class: "label", text: title }),
    h("p", { class: "small", text: `Now: ${s.current_win_streak ? inARow(s.current_win_streak, "hit", "hits") : inARow(s.current_lose_streak ?? 0, "miss", "misses")} · longest: ${times(s.max_win_streak ?? 0, "hit", "hits")}, ${times(s.max_lose_streak ?? 0, "miss", "misses")}` }),
    h("table", { class: "table compact" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Streak length" }), h("th", { scope: "col", text: "Hit streaks" }), h("th", { scope: "col", text: "Miss streaks" }))),
      h("tbody", {}, lengths.length ? lengths.map((n) => h("tr", {},
        h("td", { text: n }), h("td", { text: (s.win_streak_distribution || {})[n] ?? 0 }), h("td", { text: (s.lose_streak_distribution || {})[n] ?? 0 })))
        : h("tr", {}, h("td", { colspan: 3, class: "muted", text: "No streaks yet." })))));
}

export const streaks = {
  name: "mix-streaks",
  title: "The streak tables",
  needs: ["insights"],
  mount(root) {
    return {
      render({ insights }) {
        replace(field(root, "tables"), streakTable("Colour calls", insights.color_streaks), streakTable("Size calls", insights.size_streaks));
      },
    };
  },
};
