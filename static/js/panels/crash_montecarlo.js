// Monte Carlo of a crash cash-out strategy: probability of ruin, profit quantiles and the
// measured return per unit staked with its 99% interval next to 0.99 - which no strategy changes.

import { field, fmtNumber, game, interval, pct, replace, sayer } from "../core.js";
import { runFromForm, stat } from "../sim_common.js";
import { ratio, readStrategy, strategyPicker } from "./crash_strategy.js";

export default {
  name: "crash-montecarlo",
  title: "The Monte Carlo study",
  needs: ["strategies"],
  mount(root) {
    const form = field(root, "form");
    const say = sayer(field(root, "form-msg"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const v = (name) => Number(form.elements[name].value);
      const body = { ...readStrategy(field(root, "strategy")), initial_wallet: v("initial_wallet"), sessions: Math.floor(v("sessions")), rounds: Math.floor(v("rounds")) };
      if (form.elements.seed.value.trim() !== "") body.seed = Math.floor(v("seed"));
      if (!(body.sessions >= 1) || !(body.rounds >= 1) || !(body.initial_wallet > 0)) {
        say("Fill in positive numbers for the wallet, sessions and rounds.", "bad");
        return;
      }
      const res = await runFromForm(root, form, say, { url: `/api/simulator/montecarlo?game=${encodeURIComponent(game)}`, body,
        running: "Running…", what: "The Monte Carlo study" });
      if (!res) return;
      const ruin = res.probability_of_ruin || {};
      const rpu = res.return_per_unit || {};
      const honest = res.honesty || {};
      const pq = (res.profit || {}).quantiles || {};
      replace(field(root, "summary"),
        stat("Probability of ruin", `${pct(ruin.p)} (95% CI ${interval(ruin.ci95)}, n = ${ruin.n})`, "ruin"),
        stat("Returned per unit staked", `${ratio(rpu.realised)} (99% CI ${rpu.ci99 ? rpu.ci99.map(ratio).join(" – ") : "—"})`, "return"),
        stat("Exact value, any strategy", ratio(honest.expected_return_per_unit), "expected"),
        stat("Agrees within the 99% CI", honest.agrees_within_ci99 === true ? "yes" : honest.agrees_within_ci99 === false ? "no" : "—", "agrees"),
        stat("Profit, median", fmtNumber(pq.p50), "profit-median"),
        stat("Profit, 5% – 95%", `${fmtNumber(pq.p5)} – ${fmtNumber(pq.p95)}`),
        stat("Profit, 1% – 99%", `${fmtNumber(pq.p1)} – ${fmtNumber(pq.p99)}`),
        stat("Rounds / bets", `${(res.rounds_simulated ?? 0).toLocaleString()} / ${(res.bets_settled ?? 0).toLocaleString()}`, "bets"));
      field(root, "statement").textContent = honest.statement || "";
      field(root, "result").hidden = false;
      say(`Done: ${body.sessions.toLocaleString()} sessions of ${body.rounds.toLocaleString()} rounds.`, "good");
    });
    return strategyPicker(root);
  },
};
