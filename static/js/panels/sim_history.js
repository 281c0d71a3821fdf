// A session's rounds, newest first: each bet with its stake, result and payout.

import { ball, field, fmtNumber, h, replace, tag } from "../core.js";

const NAMES = { color_bet_strategy: "colour", big_small_bet_strategy: "big/small", number_bet_strategy: "number" };

function rows(entry) {
  if (entry.skipped) return [h("tr", { class: "muted" }, h("td", { class: "mono", text: entry.issue }), h("td", { colspan: 5, text: `skipped: ${entry.reason || ""}` }))];
  if (!entry.bets) return [h("tr", { class: "muted" }, h("td", { class: "mono", text: entry.issue || "" }), h("td", { colspan: 5, text: entry.message || "" }))];
  return entry.bets.map((bet, i) => h("tr", { dataset: { issue: entry.issue } },
    h("td", { class: "mono", text: i ? "" : entry.issue }),
    h("td", {}, `${NAMES[bet.strategy] || bet.strategy}: `, tag(String(bet.bet))),
    h("td", { text: fmtNumber(bet.stake) }),
    h("td", {}, entry.outcome ? ball(entry.outcome.number, { small: true }) : null, " ", h("span", { class: bet.result === "Win" ? "hit" : "miss", text: bet.result })),
    h("td", { text: fmtNumber(bet.returned) }),
    h("td", { text: i === entry.bets.length - 1 ? fmtNumber(entry.wallet_after) : "" })));
}

export default {
  name: "sim-history",
  title: "The session history",
  needs: ["history"],
  mount(root) {
    return {
      render({ history }) {
        const entries = history.status === "success" ? history.rounds || [] : [];
        replace(field(root, "rows").tBodies[0], entries.length ? entries.flatMap(rows)
          : h("tr", {}, h("td", { colspan: 6, class: "muted", text: history.message || "No rounds yet." })));
      },
    };
  },
};
