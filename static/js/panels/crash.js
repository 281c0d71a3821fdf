// Crash board panels: the live multiplier chart and history strip, the current streaks
// against their geometric odds, the next round's probabilities next to the fair 0.99 / m,
// and each predictor's record with n, chance, interval, p-value and verdict.
// Every chance shown comes from the server (page config or API), never from here.

import { config, field, fmtTime, h, interval, pct, pValue, replace, s, setText } from "../core.js";

const SHOWN = 60; // rounds on the chart
const STRIP = 24; // rounds in the strip
const LINES = [2, 10, 100];

export function fmtX(x) {
  return typeof x === "number" && isFinite(x) ? `${x.toFixed(2)}x` : "—";
}

// The tone of a multiplier: which of the 2x, 10x and 100x thresholds it reached.
export function tier(x) {
  if (x >= 100) return "x100";
  if (x >= 10) return "x10";
  if (x >= 2) return "x2";
  return "x1";
}

// Recent multipliers, oldest left, on a log scale with the 2x, 10x and 100x lines.
export function multiplierChart(rounds) {
  const W = 600, H = 170, left = 30, pad = 8;
  const top = Math.max(100, ...rounds.map((r) => r.multiplier)) * 1.15;
  const y = (x) => H - pad - (Math.log10(Math.max(x, 1)) / Math.log10(top)) * (H - 2 * pad);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "svg-chart crash-chart", role: "img",
    "aria-label": `Last ${rounds.length} multipliers, oldest to newest, log scale` });
  for (const line of LINES) {
    svg.append(s("line", { x1: left, x2: W, y1: y(line), y2: y(line), class: "guide", "data-line": line }));
    svg.append(s("text", { x: 2, y: y(line) + 4, class: "axis-label", text: `${line}x` }));
  }
  const w = (W - left) / SHOWN;
  const offset = left + (SHOWN - rounds.length) * w;
  rounds.forEach((r, i) => {
    const yTop = Math.min(y(r.multiplier), H - pad - 1.5);
    svg.append(s("rect", { x: offset + i * w + w * 0.15, y: yTop, width: Math.max(w * 0.7, 1), height: H - pad - yTop,
      class: `xbar ${tier(r.multiplier)}`, "data-round": r.issue }, s("title", { text: `round ${r.issue}: ${fmtX(r.multiplier)}` })));
  });
  return svg;
}

function roundOf(item) {
  return { issue: String(item.issue ?? item.round), multiplier: Number(item.multiplier),
    drawn_at: item.drawn_at || null, source: item.source || null };
}

export const rounds = {
  name: "crash-rounds",
  title: "The rounds",
  needs: ["history"],
  optional: ["report"],
  mount(root, board) {
    let shown = []; // oldest first
    let lastEnd = null;
    const draw = () => {
      replace(field(root, "chart"), multiplierChart(shown.slice(-SHOWN)));
      replace(field(root, "strip"), shown.length ? shown.slice(-STRIP).reverse().map((r) =>
        h("li", { class: `xchip ${tier(r.multiplier)}`, dataset: { round: r.issue } },
          h("a", { href: `/fairness?game=${encodeURIComponent(config.game)}&issue=${encodeURIComponent(r.issue)}`,
            title: `round ${r.issue}${r.drawn_at ? " at " + fmtTime(r.drawn_at) : ""}${r.source ? " (" + r.source + ")" : ""}: verify` },
          h("strong", { text: fmtX(r.multiplier) }), h("span", { class: "small muted mono", text: r.issue }))))
        : h("li", { class: "muted", text: "No rounds yet." }));
      const newest = shown[shown.length - 1];
      lastEnd = newest && newest.drawn_at ? Date.parse(newest.drawn_at) : null;
      tick();
      board.session.addRounds(shown);
    };
    const tick = () => {
      const newest = shown[shown.length - 1];
      if (!newest) return setText(root, "status", "waiting for the first round");
      const ago = lastEnd ? Math.max(0, Math.round((board.feed.serverNow() - lastEnd) / 1000)) : null;
      setText(root, "status", `last: round ${newest.issue} at ${fmtX(newest.multiplier)}${ago === null ? "" : `, ${ago} s ago`}`);
    };
    setInterval(tick, 1000);
    return {
      render({ history }) {
        const byIssue = new Map(shown.map((r) => [r.issue, r]));
        for (const item of history.items || []) byIssue.set(String(item.issue), roundOf(item));
        shown = [...byIssue.values()].sort((a, b) => Number(a.issue) - Number(b.issue)).slice(-SHOWN);
        draw();
      },
      onEvent(type, event) {
        const d = event.data || {};
        if (type !== "draw" || typeof d.multiplier !== "number" || shown.some((r) => r.issue === String(d.issue))) return;
        shown = [...shown, roundOf(d)].sort((a, b) => Number(a.issue) - Number(b.issue)).slice(-SHOWN);
        draw();
      },
    };
  },
};

export const streaks = {
  name: "crash-streaks",
  title: "The streaks",
  needs: ["report"],
  mount(root, board) {
    return {
      render({ report }) {
        const blocks = report.streaks || {};
        board.session.setStreaks(report.next_issue, blocks);
        replace(field(root, "rows"), config.streak_thresholds.map(({ label, p }) => {
          const b = blocks[label];
          if (!b) return h("tr", {}, h("th", { scope: "row", text: label }), h("td", { colspan: 3, text: "—" }));
          return h("tr", { dataset: { threshold: label } },
            h("th", { scope: "row", text: `≥ ${label}` }),
            h("td", { dataset: { field: "run" }, text: String(b.current_run) }),
            h("td", { text: `${pct(b.chance_run_this_long)} (geometric)` }),
            h("td", { text: pct(p) }));
        }));
        const ten = blocks["10x"];
        setText(root, "history", ten ? `10x streaks in the last ${ten.window} rounds: ${ten.completed} completed, mean length ${ten.mean_length ?? "—"} (fair: ${ten.expected_mean_length}), longest ${ten.longest ?? "—"}.` : "");
      },
    };
  },
};

export const prediction = {
  name: "crash-prediction",
  title: "The prediction",
  needs: ["report"],
  mount(root, board) {
    return {
      render({ report }) {
        board.session.addPrediction(report);
        setText(root, "round", `round ${report.next_issue}`);
        setText(root, "predictor", report.predictor);
        const reach = new Map(((report.prediction || {}).reach || []).map((row) => [row.market, row]));
        replace(field(root, "rows"), config.targets.map((t) => {
          const row = reach.get(t.market);
          return h("tr", { dataset: { market: t.market } },
            h("th", { scope: "row", text: fmtX(t.target) }),
            h("td", { text: row ? pct(row.probability, 2) : "—" }),
            h("td", { text: pct(t.chance, 2) }));
        }));
        const streak = (report.prediction || {}).streak_10x;
        const fair = config.streak_thresholds.find((t) => t.label === "10x");
        if (streak && Array.isArray(streak.probs) && fair) {
          // P(the streak ends within the next 10 rounds | it has lasted `run`), against the geometric.
          const alive = streak.probs.slice(streak.run).reduce((a, b) => a + b, 0);
          const soon = streak.probs.slice(streak.run, streak.run + 10).reduce((a, b) => a + b, 0);
          setText(root, "streak", `A 10x within the next 10 rounds: ${pct(alive ? soon / alive : null)} predicted, ${pct(1 - (1 - fair.p) ** 10)} fair (after ${streak.run} round${streak.run === 1 ? "" : "s"} without one).`);
        } else {
          setText(root, "streak", "");
        }
      },
    };
  },
};

function verdictTone(verdict) {
  if (verdict === "edge") return "good";
  if (verdict === "worse than chance") return "bad";
  return "neutral";
}

export const record = {
  name: "crash-record",
  title: "The record",
  needs: ["accuracy"],
  mount(root, board) {
    const select = field(root, "market");
    const markets = [...config.targets.map((t) => [t.market, `Reaches ${fmtX(t.target)}`]), ["streak_10x", "10x streak (log loss)"]];
    replace(select, markets.map(([value, label]) => h("option", { value, text: label })));
    select.value = "reach_2x";
    let last = null;
    const draw = () => {
      if (!last) return;
      const market = select.value;
      const rows = (last.rows || []).filter((row) => row.market === market);
      replace(field(root, "rows"), rows.length ? rows.map((row) => h("tr", { dataset: { predictor: row.predictor, verdict: row.verdict || "" } },
        h("th", { scope: "row", class: "mono", text: row.predictor }),
        h("td", {},
          h("span", { dataset: { field: "rate" }, text: `${pct(row.hit_rate)} (n=${row.n ?? 0}) vs ${pct(row.chance, 2)}` }), h("br"),
          h("span", { class: "small muted", dataset: { field: "ci" }, text: `95% ${interval(row.ci95)}` })),
        h("td", {},
          h("span", { class: `tag ${verdictTone(row.verdict)}`, title: row.verdict_text || "", text: row.verdict || "—" }), h("br"),
          h("span", { class: "small muted", dataset: { field: "p" }, text: `p ${pValue(row.p_value)} (Holm ${pValue(row.p_holm)})` }),
          typeof row.log_loss === "number" ? [h("br"), h("span", { class: "small muted", text: `log loss ${row.log_loss.toFixed(3)} vs ${Number(row.baseline_log_loss).toFixed(3)} fair` })] : null)))
        : h("tr", {}, h("td", { colspan: 3, class: "muted", text: "No rounds scored in this market yet." })));
      const edges = rows.filter((row) => row.verdict === "edge");
      const n = Math.max(0, ...rows.map((row) => row.n || 0));
      setText(root, "summary", edges.length
        ? `${edges.map((row) => row.predictor).join(", ")}: the data show an edge in this market (n = ${n}); evidence can change.`
        : `No predictor shows evidence of an edge over chance in this market (n = ${n} rounds). That is what fair rounds produce.`);
    };
    select.addEventListener("change", draw);
    return {
      render({ accuracy }) {
        last = accuracy;
        board.session.setRecord(accuracy);
        draw();
      },
    };
  },
};
