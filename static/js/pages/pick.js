// Pick-lottery board: next draw with a countdown, last draws, each mode's ticket with its
// record against chance, insights next to their exact expectations, and a ticket checker.

import { field, game, getJSON, h, initChrome, panelState, pValue, pct, replace, sendJSON, setText } from "../core.js";

initChrome();
const q = `game=${encodeURIComponent(game)}`;
const panel = (name) => document.querySelector(`[data-panel="${name}"]`);
let drawAt = null;

function balls(list) {
  return (list || []).map((n) => String(n).padStart(2, "0")).join(" ");
}

function tick() {
  const root = panel("pick-next");
  if (!drawAt) return;
  const left = Math.max(0, Math.round((drawAt - Date.now()) / 1000));
  const d = Math.floor(left / 86400), hh = Math.floor((left % 86400) / 3600);
  const mm = Math.floor((left % 3600) / 60), ss = left % 60;
  setText(root, "countdown", left ? `draws in ${d ? d + "d " : ""}${hh}h ${mm}m ${ss}s` : "drawing now");
}

async function loadNext() {
  const root = panel("pick-next");
  try {
    const report = await getJSON(`/api/v2/report?${q}`);
    drawAt = Date.parse(report.draw_at);
    setText(root, "next-issue", report.next_issue);
    const o = report.odds;
    setText(root, "odds", `Every ticket: jackpot 1 in ${o.jackpot_one_in.toLocaleString()}, any prize 1 in ${o.any_prize_one_in.toFixed(2)}, ${o.currency} ${o.price} a ticket.`);
    tick();
    panelState(root, "ready");
    return report;
  } catch (err) {
    panelState(root, err.unavailable ? "unavailable" : "error", err.message);
    return null;
  }
}

async function loadDraws() {
  const root = panel("pick-draws");
  try {
    const body = await getJSON(`/api/history?${q}&per_page=10`);
    setText(root, "count", `${body.total} stored`);
    replace(field(root, "rows"), body.items.map((d) =>
      h("tr", {}, h("td", { text: d.issue }), h("td", { text: balls(d.whites) }), h("td", { text: balls(d.bonus) }))));
    panelState(root, "ready");
  } catch (err) {
    panelState(root, "error", err.message);
  }
}

async function loadTickets(report) {
  const root = panel("pick-tickets");
  try {
    const board = await getJSON(`/api/accuracy?${q}`);
    const rows = board.rows.filter((r) => r.market === "white_match");
    const tickets = (report && report.tickets) || {};
    const modes = [...new Set([...Object.keys(tickets), ...rows.map((r) => r.predictor)])];
    replace(field(root, "rows"), modes.map((mode) => {
      const t = tickets[mode];
      const r = rows.find((x) => x.predictor === mode);
      return h("tr", { dataset: { mode } },
        h("th", { scope: "row", text: mode }),
        h("td", { text: t ? `${balls(t.whites)} + ${balls(t.bonus)}` : "—" }),
        h("td", { text: r ? `${pct(r.hit_rate)} (n=${r.n}) vs ${pct(r.chance)}, p ${pValue(r.p_value)}` : "no draws scored yet" }),
        h("td", { text: r ? r.verdict : "too few draws to judge" }));
    }));
    setText(root, "chance", rows.length ? pct(rows[0].chance) : "—");
    panelState(root, "ready");
  } catch (err) {
    panelState(root, "error", err.message);
  }
}

async function loadInsights() {
  const root = panel("pick-insights");
  try {
    const b = await getJSON(`/api/pick/insights?${q}`);
    const line = (label, t, extra) => h("li", { text: `${label}: p ${t.p_value === null ? "—" : pValue(t.p_value)} (n=${t.n})${extra ? " · " + extra : ""}` });
    replace(field(root, "tests"),
      line("White-ball frequencies (chi-square)", b.white_frequency, `expected ${b.white_frequency.expected_each.toFixed(1)} each`),
      line("Bonus-ball frequencies", b.bonus_frequency),
      line("Sum of the whites", b.white_sum, `mean ${b.white_sum.mean === null ? "—" : b.white_sum.mean.toFixed(1)} vs ${b.white_sum.mean_expected.toFixed(1)}`),
      line("Odd/even split", b.odd_even),
      line("Draws per weekday (real calendar)", b.weekdays),
      h("li", { text: b.pairs.text + `; each pair is expected once in ${b.pairs.one_in.toFixed(1)} draws` }));
    setText(root, "hot", b.white_frequency.hot.join(", "));
    setText(root, "cold", b.white_frequency.cold.join(", "));
    setText(root, "caveat", b.caveat);
    panelState(root, "ready");
  } catch (err) {
    panelState(root, "error", err.message);
  }
}

function initChecker() {
  const root = panel("pick-checker");
  const message = field(root, "message");
  field(root, "form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    message.hidden = true;
    const numbers = field(root, "numbers").value.trim().split(/[\s,]+/).map(Number);
    try {
      const out = await sendJSON("POST", `/api/pick/check?${q}`, { ticket: numbers, draw_date: field(root, "date").value });
      const row = out.rows[0];
      const prize = row.prize !== null ? `${out.currency} ${row.prize}`
        : row.jackpot ? "the jackpot (its amount is not given here, and winners share it)"
          : out.pari_mutuel ? "a pari-mutuel prize: its amount is announced after the draw and varies" : "a prize whose amount is announced separately";
      setText(root, "result", `${row.white_matches} white + ${row.bonus_matches} bonus matched: ${row.tier ? "tier " + row.tier + ", " + prize : "no prize"}. Cost ${out.currency} ${out.cost}; net ${out.net === null ? "unknown" : out.currency + " " + out.net}.`);
    } catch (err) {
      message.hidden = false;
      message.dataset.state = "error";
      message.textContent = err.message;
      setText(root, "result", "");
    }
  });
}

async function refresh() {
  const report = await loadNext();
  await Promise.all([loadDraws(), loadTickets(report), loadInsights()]);
}

initChecker();
refresh();
// The admin section (panels/pick_admin.js) stored or removed draws: show them now.
document.addEventListener("pick:draws-changed", refresh);
setInterval(tick, 1000);
setInterval(refresh, 60000);
