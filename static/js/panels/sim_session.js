// The live paper session: wallet figures and balance chart, and the admin form that
// starts or stops a session (the three upstream strategies: colour, Big/Small, number).

import { bindTokenForm, field, fmtNumber, interval, pct, replace, sayer } from "../core.js";
import { balanceChart, sessionControls, sessionHeader, stat } from "../sim_common.js";

const TARGET_FIELDS = { color_bet_strategy: "target_color", big_small_bet_strategy: "target_side", number_bet_strategy: "target_number" };

const STRATEGY_NAMES = { color_bet_strategy: "Colour", big_small_bet_strategy: "Big/Small", number_bet_strategy: "Number" };

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
    const start = sessionControls(root, board, { form, say, current: () => current, lock: true });
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
      start(body);
    });
    return {
      render({ status, history }) {
        const wallet = field(root, "wallet");
        const s = sessionHeader(root, status);
        current = s;
        if (!s) return;
        root.dataset.session = s.session_id;
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
        balanceChart(root, s, rows, "draw");
      },
    };
  },
};
