// A live crash paper session: wallet, the honest statement, its rounds, and the admin form
// that starts or stops it (one cash-out strategy on the feed's rounds).

import { adminToken, bindTokenForm, describeError, field, fmtNumber, game, h, interval, pct, replace, sayer, sendJSON } from "../core.js";
import { lineChart } from "../charts.js";
import { stat } from "./crash_strategy.js";

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
    const send = async (action, body) => {
      const token = adminToken();
      if (!token) {
        say("Enter the admin token first: starting and stopping sessions needs it.", "bad");
        return;
      }
      say(action === "start" ? "Starting…" : "Stopping…");
      try {
        const reply = await sendJSON("POST", `/api/simulator/${action}?game=${encodeURIComponent(game)}`, body, { token });
        say(reply.message || "Done.", reply.status === "queued" ? "" : "good");
        board.refresh("status", 0);
        board.refresh("history", 0);
      } catch (err) {
        say(describeError(err, "The simulator"), "bad");
      }
    };
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const num = (name) => (form.elements[name].value.trim() === "" ? undefined : Number(form.elements[name].value));
      const body = { initial_wallet: num("initial_wallet"), cashout_strategy: {
        is_active: true, cashout_at: num("cashout_at"), base_bet: num("base_bet"), progression: form.elements.progression.value } };
      for (const name of ["stop_loss", "take_profit", "max_rounds"]) if (num(name) !== undefined) body[name] = num(name);
      send("start", body);
    });
    root.querySelector('[data-action="stop"]').addEventListener("click", () => {
      if (!current || !current.is_running) {
        say("No session is running.", "bad");
        return;
      }
      send("stop", { session_id: current.session_id });
    });
    return {
      render({ status, history }) {
        const stateTag = field(root, "sim-state");
        const wallet = field(root, "wallet");
        const rows = history && history.status === "success" ? history.rounds || [] : [];
        const worker = status.worker && status.worker.alive ? "" : " (the simulator worker is not running)";
        if (status.status !== "success" || !status.state) {
          current = null;
          stateTag.textContent = `no session${worker}`;
          stateTag.className = "tag neutral";
          replace(wallet, stat("Status", status.message || "No session yet."));
          replace(field(root, "balance-chart"));
          replace(field(root, "rows").tBodies[0], h("tr", {}, h("td", { colspan: 5, class: "muted", text: "No rounds yet." })));
          return;
        }
        const s = status.state;
        current = s;
        stateTag.textContent = (s.is_running ? "running" : `stopped${s.stop_reason ? `: ${s.stop_reason}` : ""}`) + worker;
        stateTag.className = `tag ${s.is_running ? "good" : "neutral"}`;
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
        const balances = rows.filter((row) => typeof row.wallet_after === "number").map((row) => row.wallet_after).reverse();
        replace(field(root, "balance-chart"), balances.length
          ? lineChart([s.initial_wallet, ...balances], { baseline: s.initial_wallet, label: "Paper balance after each settled round" })
          : h("p", { class: "small muted", text: "The balance chart starts with the first settled round." }));
        replace(field(root, "rows").tBodies[0], rows.length ? rows.slice(0, 30).map(historyRows)
          : h("tr", {}, h("td", { colspan: 5, class: "muted", text: "No rounds yet." })));
      },
    };
  },
};
