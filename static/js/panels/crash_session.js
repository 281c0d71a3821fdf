// A live crash paper session: wallet, the honest statement, its rounds, and the admin form
// that starts or stops it (one cash-out strategy on the feed's rounds).

import { bindTokenForm, field, fmtNumber, h, interval, pct, replace, sayer } from "../core.js";
import { balanceChart, sessionControls, sessionHeader, stat } from "../sim_common.js";

function historyRows(entry) {
  if (entry.skipped) return h("tr", { class: "muted" }, h("td", { class: "mono", text: entry.issue }), h("td", { colspan: 4, text: `skipped: ${entry.reason || ""}` }));
  if (!entry.bets) return h("tr", { class: "muted" }, h("td", { class: "mono", text: entry.issue || "" }), h("td", { colspan: 4, text: entry.message || "" }));
  const bet = entry.bets[0] || {};
  return h("tr", { dataset: { issue: entry.issue } },
    h("td", { class: "mono", text: entry.issue }),
    h("td", { text: `${fmtNumber(bet.stake)} at ${bet.bet}x` }),
    h("td", {}, `${entry.outcome ? entry.outcome.display : ""} `, h("span", { class: bet.result === "Win" ? "hit" : "miss", text: bet.result })),
    h("td", { text: fmtNumber(bet.returned) }),
    h("td", { text: fmtNumber(entry.wallet_after) }));
}

export default {
  name: "crash-session",
  title: "The simulator",
  needs: ["status"],
  optional: ["history"],
  mount(root, board) {
    const form = field(root, "form");
    const say = sayer(field(root, "form-msg"));
    let current = null;
    bindTokenForm(root);
    const start = sessionControls(root, board, { form, say, current: () => current });
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const num = (name) => (form.elements[name].value.trim() === "" ? undefined : Number(form.elements[name].value));
      const body = { initial_wallet: num("initial_wallet"), cashout_strategy: {
        is_active: true, cashout_at: num("cashout_at"), base_bet: num("base_bet"), progression: form.elements.progression.value } };
      for (const name of ["stop_loss", "take_profit", "max_rounds"]) if (num(name) !== undefined) body[name] = num(name);
      start(body);
    });
    return {
      render({ status, history }) {
        const wallet = field(root, "wallet");
        const rows = history && history.status === "success" ? history.rounds || [] : [];
        const s = sessionHeader(root, status);
        current = s;
        if (!s) {
          replace(field(root, "rows").tBodies[0], h("tr", {}, h("td", { colspan: 5, class: "muted", text: "No rounds yet." })));
          return;
        }
        const stats = s.session_stats || {};
        const sum = status.summary || {};
        replace(wallet,
          stat("Wallet (with stakes in play)", fmtNumber(s.total_wallet + s.in_play), "total-wallet"),
          stat("Started with", fmtNumber(s.initial_wallet)),
          stat("Rounds settled", s.total_simulated_rounds, "rounds"),
          stat("Rounds skipped", s.skipped_rounds),
          stat("Wagered", fmtNumber(stats.total_wagered)),
          stat("Returned per unit", typeof sum.return_per_unit === "number" ? sum.return_per_unit.toFixed(4) : "—"));
        for (const st of Object.values(sum.strategies || {})) {
          if (st && st.n) wallet.append(stat("Cash-outs reached", `${pct(st.rate)} of ${st.n} (95% CI ${interval(st.ci95)}, chance ${pct(st.chance)})`));
        }
        field(root, "statement").textContent = (s.honesty || {}).statement || "";
        balanceChart(root, s, rows, "round");
        replace(field(root, "rows").tBodies[0], rows.length ? rows.slice(0, 30).map(historyRows)
          : h("tr", {}, h("td", { colspan: 5, class: "muted", text: "No rounds yet." })));
      },
    };
  },
};
