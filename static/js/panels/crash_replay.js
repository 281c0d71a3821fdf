// Replay of a hash chain: the rounds a round hash (or a chain's seed) gives, verified link by
// link, and a cash-out strategy's paper balance over them.

import { field, fmtNumber, game, h, replace, sayer } from "../core.js";
import { lineChart } from "../charts.js";
import { runFromForm, stat } from "../sim_common.js";
import { ratio, readStrategy, strategyPicker } from "./crash_strategy.js";

export default {
  name: "crash-replay",
  title: "The chain replay",
  needs: ["strategies"],
  mount(root) {
    const form = field(root, "form");
    const say = sayer(field(root, "form-msg"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = form.elements.chain.value.trim();
      const body = { ...readStrategy(field(root, "strategy")), count: Math.floor(Number(form.elements.count.value)),
        initial_wallet: Number(form.elements.initial_wallet.value), profile: form.elements.profile.value };
      if (!text) {
        say("Enter a round hash or a seed.", "bad");
        return;
      }
      // 64 hex digits are a round's hash; anything else is a chain's secret seed.
      if (/^[0-9a-fA-F]{64}$/.test(text)) body.hash = text; else body.seed = text;
      const salt = form.elements.salt.value.trim();
      if (salt) body.salt = salt;
      const res = await runFromForm(root, form, say, { url: `/api/simulator/replay?game=${encodeURIComponent(game)}`, body,
        running: "Replaying…", what: "The replay", busy: false });
      if (!res) return;
      const r = res.result || {};
      const reach = (res.rounds || {}).reach || {};
      replace(field(root, "summary"),
        stat("Rounds replayed", (res.chain || {}).rounds, "rounds"),
        stat("Bets / wins", `${r.bets} / ${r.wins}`, "bets"),
        stat("Net (paper)", fmtNumber(r.net), "net"),
        stat("Stopped by", r.stop_reason),
        stat("Returned per unit", `${ratio((res.return_per_unit || {}).realised)} (fair: ${ratio((res.return_per_unit || {}).expected)})`),
        ...Object.entries(reach).map(([m, x]) => stat(`Reached ${m}`, `${x.count} of ${res.rounds.n} (fair ${(x.fair_chance * 100).toFixed(1)}%)`)));
      replace(field(root, "chart"), lineChart(r.path || [], { baseline: body.initial_wallet, label: "Paper balance over the replayed rounds" }));
      replace(field(root, "chain-info"),
        h("p", { class: "small mono wrap", text: `newest ${res.chain.newest_hash}` }),
        h("p", { class: "small mono wrap", text: `links back to ${res.chain.link_before_oldest}` }),
        h("p", { class: "small", text: `Newest rounds: ${(res.newest_rounds || []).map((x) => x.display).join(", ")}` }));
      field(root, "statement").textContent = (res.honesty || {}).statement || "";
      field(root, "result").hidden = false;
      say("Done.", "good");
    });
    return strategyPicker(root);
  },
};
