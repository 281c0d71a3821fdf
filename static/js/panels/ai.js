// The AI panel: the newest AI prediction, its Big/Small record with interval, and
// the on/off switch for an admin who entered the token (kept in sessionStorage).

import { adminToken, ball, bindTokenForm, describeError, field, fmtTime, h, interval, pct, replace, sendJSON, setAdminToken, tag, sayer } from "../core.js";
import { intervalBar } from "../charts.js";

export default {
  name: "ai",
  title: "The AI panel",
  optional: ["ai", "aiStatus", "aiAccuracy"],
  mount(root, board) {
    const msg = field(root, "admin-msg");
    const say = sayer(msg);
    const showToken = bindTokenForm(root);
    const toggle = async (action) => {
      const token = adminToken();
      if (!token) {
        say("Enter the admin token first: switching the AI needs it.", "bad");
        return;
      }
      say(action === "start" ? "Enabling…" : "Disabling…");
      try {
        const status = await sendJSON("POST", `/api/ai/${action}`, undefined, { token });
        say(`Done: AI is ${status.state || (status.enabled ? "enabled" : "disabled")}.`, "good");
        board.refresh("aiStatus", 0);
      } catch (err) {
        if (err.status === 401) {
          setAdminToken("");
          showToken();
        }
        say(describeError(err, "Switching the AI"), "bad");
      }
    };
    root.querySelector('[data-action="ai-start"]').addEventListener("click", () => toggle("start"));
    root.querySelector('[data-action="ai-stop"]').addEventListener("click", () => toggle("stop"));
    return {
      render({ ai, aiError, aiStatus, aiAccuracy, aiAccuracyError }) {
        const state = field(root, "ai-state");
        if (aiStatus) {
          const recent = aiStatus.recent;
          const failing = aiStatus.enabled && recent && recent.n && recent.failures / recent.n >= 0.5;
          const base = aiStatus.state || (aiStatus.enabled ? "enabled" : "disabled");
          // A switched-on AI that keeps failing must not look healthy: show the recent rate.
          state.textContent = aiStatus.enabled && recent && recent.n
            ? `${base} · ${recent.failures} of the last ${recent.n} failed` : base;
          state.className = `tag ${failing ? "bad" : aiStatus.enabled ? "good" : "neutral"}`;
        } else {
          state.textContent = "status unknown";
          state.className = "tag neutral";
        }
        const latest = field(root, "latest");
        if (ai && ai.status !== "no_data") {
          replace(latest, h("p", {}, h("span", { class: "muted", text: "issue " }), h("span", { class: "mono", text: ai.issue })),
            ai.status === "ok"
              ? h("div", { class: "pred-row" }, ball(ai.number), tag(ai.size), tag(ai.color),
                h("span", { class: "small", text: typeof ai.confidence === "number" ? `the model says ${pct(ai.confidence)} sure (its own claim, not a measured rate)` : "" }))
              : h("p", { class: "small", text: `No prediction this time: ${ai.reason || "the provider failed"}` }),
            ai.result ? h("p", { class: "small" }, "Result: ", ball(ai.result.number, { small: true }), ai.correct ? " Big/Small hit" : " Big/Small miss") : null,
            h("p", { class: "small muted", text: `${ai.model || ""} · ${fmtTime(ai.timestamp)}` }));
        } else {
          replace(latest, h("p", { class: "muted", text: aiError && aiError.status !== 404 ? describeError(aiError, "The AI prediction") : "No AI prediction yet." }));
        }
        const acc = field(root, "accuracy");
        const m = aiAccuracy && aiAccuracy.markets && aiAccuracy.markets.big_small;
        if (m && m.n) {
          replace(acc, intervalBar({ rate: m.rate, lo: m.ci95[0], hi: m.ci95[1], chance: m.chance, breakEven: m.break_even, max: 1 }),
            h("p", { class: "small", dataset: { field: "ai-ci" }, text: `${m.hits}/${m.n} = ${pct(m.rate)}, 95% CI ${interval(m.ci95)}, chance ${pct(m.chance)}: ${m.verdict}` }));
        } else {
          replace(acc, h("p", { class: "muted", text: aiAccuracyError ? describeError(aiAccuracyError, "The AI record") : "No resolved AI predictions yet." }));
        }
      },
    };
  },
};
