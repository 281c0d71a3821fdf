// The live paper session: wallet figures and balance chart, and the admin form that
// starts or stops a session (the three upstream strategies: colour, Big/Small, number).

import { adminToken, bindTokenForm, describeError, field, fmtNumber, game, h, interval, pct, replace, sendJSON, sayer } from "../core.js";
import { lineChart } from "../charts.js";

const TARGET_FIELDS = { color_bet_strategy: "target_color", big_small_bet_strategy: "target_side", number_bet_strategy: "target_number" };

const STRATEGY_NAMES = { color_bet_strategy: "Colour", big_small_bet_strategy: "Big/Small", number_bet_strategy: "Number" };

function stat(label, value, key) {
  // One box per label and value, so the grid can never put a label over another value.
  return h("div", { class: "stat" }, h("dt", { text: label }), h("dd", { dataset: key ? { field: key } : {}, text: value }));
}

function readForm(form) {
  const body = {};
  const num = (name) => {
    const raw = form.elements[name].value.trim();
    return raw === "" ? undefined : Number(raw);
  };
  body.initial_wallet = num("initial_wallet");
  body.simulation_mode = form.elements.simulation_mode.value;
  for (const name of ["stop_loss", "take_profit", "max_rounds"]) if (num(name) !== undefined) body[name] = num(name);
  for (const set of form.querySelectorAll("fieldset[data-strategy]")) {
    const key = set.dataset.strategy;
    const get = (name) => set.querySelector(`[name="${name}"]`);
    body[key] = {
      is_active: get("is_active").checked,
      auto_target: get("auto_target").checked,
      base_bet: Number(get("base_bet").value),
      progression: get("progression").value,
      [TARGET_FIELDS[key]]: get(TARGET_FIELDS[key]).value,
    };
  }
  return body;
}

export default {
  name: "sim-session",
  title: "The simulator",
  needs: ["status"],
  optional: ["history"],
  mount(root, board) {
    const form = field(root, "form");
    const msg = field(root, "form-msg");
    const warning = field(root, "progression-warning");
    const say = sayer(msg);
    let current = null; // the session shown
    bindTokenForm(root);
    const checkProgressions = () => {
      warning.hidden = ![...form.querySelectorAll('fieldset[data-strategy]')].some((set) =>
        set.querySelector('[name="is_active"]').checked && set.querySelector('[name="progression"]').value !== "flat");
    };
    form.addEventListener("change", checkProgressions);
    checkProgressions();
    const send = async (action, body) => {
      const token = adminToken();
      if (!token) {
        say("Enter the admin token first: starting and stopping sessions needs it.", "bad");
        return;
      }
      const buttons = form.querySelectorAll("button");
      buttons.forEach((b) => { b.disabled = true; });
      say(action === "start" ? "Starting…" : "Stopping…");
      try {
        const reply = await sendJSON("POST", `/api/simulator/${action}?game=${encodeURIComponent(game)}`, body, { token });
        say(reply.message || "Done.", reply.status === "queued" ? "" : "good");
        board.refresh("status", 0);
        board.refresh("history", 0);
      } catch (err) {
        say(describeError(err, "The simulator"), "bad");
      } finally {
        buttons.forEach((b) => { b.disabled = false; });
      }
    };
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const body = readForm(form);
      if (!(body.initial_wallet > 0)) {
        say("The starting wallet must be a positive amount.", "bad");
        return;
      }
      if (!Object.keys(TARGET_FIELDS).some((key) => body[key].is_active)) {
        say("Tick at least one strategy.", "bad");
        return;
      }
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
        const worker = status.worker && status.worker.alive ? "" : " (the simulator worker is not running)";
        if (status.status !== "success" || !status.state) {
          current = null;
          stateTag.textContent = `no session${worker}`;
          stateTag.className = "tag neutral";
          replace(wallet, stat("Status", status.message || "No session yet."));
          replace(field(root, "balance-chart"));
          return;
        }
        const s = status.state;
        current = s;
        root.dataset.session = s.session_id;
        stateTag.textContent = (s.is_running ? "running" : `stopped${s.stop_reason ? `: ${s.stop_reason_text || s.stop_reason}` : ""}`) + worker;
        stateTag.className = `tag ${s.is_running ? "good" : "neutral"}`;
        const perf = s.performance_metrics || {};
        const stats = s.session_stats || {};
        replace(wallet,
          stat("Wallet (with stakes in play)", fmtNumber(s.total_wallet), "total-wallet"),
          stat("Available", fmtNumber(s.available_wallet ?? s.total_wallet)),
          stat("In play", fmtNumber(s.in_play)),
          stat("Started with", fmtNumber(s.initial_wallet)),
          stat("Profit / loss", `${fmtNumber(perf.profit_loss)} (${fmtNumber(perf.percentage_change, 1)}%)`),
          stat("Rounds settled", s.total_simulated_rounds, "rounds"),
          stat("Rounds skipped", s.skipped_rounds),
          stat("Wins / losses", `${stats.total_wins ?? 0} / ${stats.total_losses ?? 0}`),
          stat("Wagered", fmtNumber(stats.total_wagered)));
        // Each strategy's hit rate, with n, its 95% interval and the chance rate.
        for (const [key, st] of Object.entries((status.summary || {}).strategies || {})) {
          if (st && st.n) {
            wallet.append(stat(`${STRATEGY_NAMES[key] || key} hits`,
              `${pct(st.rate)} of ${st.n} (95% CI ${interval(st.ci95)}, chance ${pct(st.chance)})`));
          }
        }
        const rows = history && history.status === "success" ? history.rounds || [] : [];
        const balances = rows.filter((row) => typeof row.wallet_after === "number").map((row) => row.wallet_after).reverse();
        replace(field(root, "balance-chart"), balances.length
          ? lineChart([s.initial_wallet, ...balances], { baseline: s.initial_wallet, label: "Paper balance after each settled round" })
          : h("p", { class: "small muted", text: "The balance chart starts with the first settled draw." }));
      },
    };
  },
};
