// Monte Carlo study: ruin probability, return per unit against its expected value, and a
// fan chart of bankroll quantiles. Each fan point is a study of that many rounds (same
// sessions and seed), i.e. the distribution of the bankroll after that many rounds.

import { describeError, field, fmtNumber, interval, pct, replace, sayer } from "../core.js";
import { fanChart } from "../charts.js";
import { runJob, stat } from "../sim_common.js";

const POINTS = 8;
export default {
  name: "montecarlo",
  title: "The Monte Carlo study",
  mount(root) {
    const form = field(root, "form");
    const msg = field(root, "form-msg");
    const result = field(root, "result");
    const say = sayer(msg);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const v = (name) => form.elements[name].value.trim();
      const rounds = Math.floor(Number(v("rounds")));
      const body = {
        target: v("target"), progression: v("progression"), base_bet: Number(v("base_bet")),
        initial_wallet: Number(v("initial_wallet")), sessions: Math.floor(Number(v("sessions"))),
      };
      if (v("seed") !== "") body.seed = Math.floor(Number(v("seed")));
      if (!(rounds >= 1) || !(body.sessions >= 1) || !(body.base_bet > 0) || !(body.initial_wallet > 0)) {
        say("Fill in positive numbers for the stake, wallet, sessions and rounds.", "bad");
        return;
      }
      const horizons = [...new Set(Array.from({ length: POINTS }, (_, i) => Math.max(1, Math.round((rounds * (i + 1)) / POINTS))))];
      const button = form.querySelector("button");
      button.disabled = true;
      root.setAttribute("aria-busy", "true");
      const points = [];
      try {
        for (const [i, h_] of horizons.entries()) {
          say(`Running… ${i + 1} of ${horizons.length}`);
          points.push({ rounds: h_, study: await runJob("/api/simulator/montecarlo", { ...body, rounds: h_ }, "study") });
        }
      } catch (err) {
        say(describeError(err, "The Monte Carlo study"), "bad");
        return;
      } finally {
        button.disabled = false;
        root.setAttribute("aria-busy", "false");
      }
      const full = points[points.length - 1].study;
      const ruin = full.probability_of_ruin || {};
      const up = full.probability_of_ending_up || {};
      const rpu = full.return_per_unit || {};
      const fw = full.final_wallet || {};
      replace(field(root, "summary"),
        stat("Probability of going broke", `${pct(ruin.p)} (95% CI ${interval(ruin.ci95)}, n = ${ruin.n})`, "ruin"),
        stat("Ending above the start", `${pct(up.p)} (95% CI ${interval(up.ci95)})`),
        stat("Returned per unit staked", `${typeof rpu.realised === "number" ? rpu.realised.toFixed(4) : "—"} (95% CI ${rpu.ci95 ? rpu.ci95.map((x) => x.toFixed(4)).join(" – ") : "—"}; expected ${typeof rpu.expected === "number" ? rpu.expected.toFixed(4) : "—"})`),
        stat("Final wallet, median", fmtNumber(fw.quantiles && fw.quantiles.p50)),
        stat("Final wallet, mean", fmtNumber(fw.mean)),
        stat("Bets simulated", (full.bets_settled ?? 0).toLocaleString()));
      const q = (key) => [body.initial_wallet, ...points.map((p) => p.study.final_wallet.quantiles[key])];
      replace(field(root, "fan"), fanChart({ steps: [0, ...points.map((p) => p.rounds)], q05: q("p5"), q25: q("p25"), q50: q("p50"), q75: q("p75"), q95: q("p95"), start: body.initial_wallet }));
      field(root, "note").textContent = full.disclaimer || "";
      result.hidden = false;
      say(`Done: ${body.sessions.toLocaleString()} sessions of ${rounds.toLocaleString()} rounds.`, "good");
    });
    return {};
  },
};
