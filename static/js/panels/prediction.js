// The next issue: countdown from the server's period clock, the report's prediction
// (top numbers in the game's colours, Big/Small and colour with percentages), the
// per-digit likelihoods and the report predictor's own accuracy with intervals.

import { ball, field, h, interval, pct, pctValue, replace, setText, tag, fmtTime, toneClass } from "../core.js";

const MARKETS = [["number", "Top number"], ["top3", "Top 3"], ["big_small", "Big/Small"], ["color", "Colour"]];

function split(parts) {
  // parts: [[label, percent]]; a stacked bar with its labels as text.
  const bar = h("div", { class: "splitbar" }, parts.map(([label, value]) =>
    h("span", { class: `seg ${toneClass(label)}`, style: `flex-basis:${Math.max(0, Math.min(100, Number(value) || 0))}%`, title: `${label} ${pctValue(value)}` })));
  const legend = h("p", { class: "small" }, parts.map(([label, value], i) => [i ? " · " : "", `${label} ${pctValue(value)}`]));
  return [bar, legend];
}

export default {
  name: "prediction",
  title: "The prediction",
  needs: ["prediction"],
  mount(root, board) {
    let drawAt = null;
    const clock = field(root, "countdown");
    const tick = () => {
      if (drawAt === null) return;
      const left = Math.round((drawAt - board.feed.serverNow()) / 1000);
      if (left >= 0) {
        const m = Math.floor(left / 60), sec = left % 60;
        clock.textContent = `${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
        clock.dataset.state = left <= 5 ? "soon" : "counting";
      } else {
        clock.textContent = "drawing…";
        clock.dataset.state = "due";
      }
    };
    setInterval(tick, 250);
    return {
      render({ prediction: rep }) {
        const pred = rep.prediction || {};
        root.dataset.issue = rep.next_issue || "";
        setText(root, "next-issue", rep.next_issue);
        drawAt = rep.draw_at ? Date.parse(rep.draw_at) : null;
        tick();
        replace(field(root, "numbers"), (pred.numbers || []).map((d, i) => ball(d, { title: i === 0 ? "most likely by this predictor" : undefined })));
        replace(field(root, "big-small"), tag(pred.big_small));
        const bsp = pred.big_small_percentages || {};
        replace(field(root, "big-small-split"), split([["Big", bsp.Big], ["Small", bsp.Small]]));
        replace(field(root, "color"), tag(pred.color));
        const cp = pred.color_percentages || {};
        // Red and Green share the ten digits (they sum to 100%); Violet is a separate bet
        // that wins on 0 or 5 alongside Red or Green, so it gets its own line, not a slice.
        replace(field(root, "color-split"), split([["Red", cp.Red], ["Green", cp.Green]]));
        replace(field(root, "violet"), tag("Violet"),
          h("span", { class: "small", text: ` ${pctValue(cp.Violet)} chance (digits 0 and 5; a separate bet)` }));
        const lik = rep.likelihoods || {};
        const maxLik = Math.max(10, ...Object.values(lik).map(Number).filter(isFinite));
        replace(field(root, "likelihoods"), Object.keys(lik).sort().map((d) =>
          h("div", { class: "lik" },
            ball(Number(d), { small: true }),
            h("span", { class: "likbar" }, h("span", { style: `width:${(100 * Number(lik[d])) / maxLik}%` })),
            h("span", { class: "small mono", text: pctValue(Number(lik[d])) }))));
        const acc = rep.accuracy || {};
        replace(field(root, "accuracy").tBodies[0], MARKETS.filter(([m]) => acc[m]).map(([m, label]) => {
          const a = acc[m];
          return h("tr", { dataset: { market: m } },
            h("th", { scope: "row", text: label }),
            h("td", { text: `${a.hits ?? 0} / ${a.n ?? 0}` }),
            h("td", { text: a.n ? pct(a.rate) : "—" }),
            h("td", { text: a.n ? interval(a.ci95) : "no data yet" }),
            h("td", { text: pct(a.chance) }));
        }));
        setText(root, "predictor", rep.predictor);
        setText(root, "timestamp", fmtTime(rep.timestamp));
      },
    };
  },
};
