// Small SVG charts drawn by the app itself (no library, no CDN). Sizes are in
// viewBox units; the SVG scales to its container, and colours come from CSS.

import { rule, s, toneClass, pct } from "./core.js";

function frame(width, height, label) {
  return s("svg", { viewBox: `0 0 ${width} ${height}`, class: "svg-chart", role: "img", "aria-label": label });
}

function title(text) {
  return s("title", { text });
}

// Recent digits, oldest left: one column per draw, its height the digit, its colour the digit's.
export function digitColumns(draws) {
  const W = 600, H = 150, pad = 14;
  const svg = frame(W, H, `Last ${draws.length} digits, oldest to newest`);
  const n = Math.max(draws.length, 1);
  const w = W / n;
  const y = (v) => H - pad - (v / 9.5) * (H - 2 * pad);
  svg.append(s("line", { x1: 0, x2: W, y1: y(4.5), y2: y(4.5), class: "guide" }, title("Big above, Small below")));
  draws.forEach((draw, i) => {
    const d = draw.number;
    const r = rule(d);
    const top = y(d + 0.5);
    const col = s("rect", {
      x: i * w + w * 0.15, y: top, width: Math.max(w * 0.7, 1), height: H - pad - top,
      class: `col ${r ? toneClass(r.colors[0]) : "neutral"}${r && r.colors.length > 1 ? " violet-edge" : ""}`,
    }, title(`${draw.issue}: ${d}`));
    svg.append(col);
  });
  return svg;
}

// How often each digit came up, with the 10% line a fair draw gives.
export function frequencyBars(counts) {
  const W = 600, H = 150, pad = 18;
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const max = Math.max(0.2, ...counts.map((c) => c / total));
  const svg = frame(W, H, "Share of each digit in recent draws; the line is the expected 10%");
  const w = W / 10;
  const y = (share) => H - pad - (share / max) * (H - 2 * pad);
  counts.forEach((c, d) => {
    const share = c / total;
    const r = rule(d);
    svg.append(s("rect", { x: d * w + w * 0.2, y: y(share), width: w * 0.6, height: H - pad - y(share), class: `col ${r ? toneClass(r.colors[0]) : "neutral"}` },
      title(`${d}: ${c} of ${total} (${pct(share)})`)));
    svg.append(s("text", { x: d * w + w / 2, y: H - 4, class: "axis-label mid", text: String(d) }));
  });
  svg.append(s("line", { x1: 0, x2: W, y1: y(0.1), y2: y(0.1), class: "chance-line" }, title("expected 10%")));
  return svg;
}

// A hit rate with its 95% interval against the chance and break-even lines.
export function intervalBar({ rate, lo, hi, chance, breakEven, max = 1 }) {
  const W = 400, H = 30;
  const x = (v) => Math.max(0, Math.min(W, (v / max) * W));
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "svg-chart interval", preserveAspectRatio: "none", role: "img",
    "aria-label": `rate ${pct(rate)}, 95% interval ${pct(lo)} to ${pct(hi)}, chance ${pct(chance)}${breakEven ? `, break-even ${pct(breakEven)}` : ""}` });
  svg.append(s("rect", { x: 0, y: 11, width: W, height: 8, class: "track" }));
  if (typeof lo === "number" && typeof hi === "number") {
    svg.append(s("rect", { x: x(lo), y: 8, width: Math.max(x(hi) - x(lo), 1.5), height: 14, class: "ci", "data-role": "ci" }, title(`95% interval ${pct(lo)} – ${pct(hi)}`)));
  }
  if (typeof rate === "number") svg.append(s("rect", { x: x(rate) - 1.5, y: 4, width: 3, height: 22, class: "rate", "data-role": "rate" }, title(`hit rate ${pct(rate)}`)));
  if (typeof chance === "number") svg.append(s("line", { x1: x(chance), x2: x(chance), y1: 0, y2: H, class: "chance-line", "data-role": "chance" }, title(`chance ${pct(chance)}`)));
  if (typeof breakEven === "number") svg.append(s("line", { x1: x(breakEven), x2: x(breakEven), y1: 0, y2: H, class: "be-line", "data-role": "break-even" }, title(`break-even ${pct(breakEven)}`)));
  return svg;
}

// A plain line of values (e.g. a paper balance), with an optional reference level.
export function lineChart(values, { baseline, label = "values" } = {}) {
  const W = 600, H = 140, pad = 8;
  const svg = frame(W, H, label);
  if (!values.length) return svg;
  const all = baseline === undefined ? values : values.concat([baseline]);
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi === lo) { hi += 1; lo -= 1; }
  const x = (i) => (values.length === 1 ? W / 2 : (i / (values.length - 1)) * W);
  const y = (v) => H - pad - ((v - lo) / (hi - lo)) * (H - 2 * pad);
  if (baseline !== undefined) svg.append(s("line", { x1: 0, x2: W, y1: y(baseline), y2: y(baseline), class: "chance-line" }, title(`start ${baseline}`)));
  svg.append(s("polyline", { points: values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" "), class: "line" }));
  return svg;
}

// Bankroll quantiles over a session: 5-95% and 25-75% bands and the median.
export function fanChart({ steps, q05, q25, q50, q75, q95, start }) {
  const W = 600, H = 220, pad = 10;
  const svg = frame(W, H, "Bankroll quantiles over the session");
  const all = [...q05, ...q95, start].filter((v) => typeof v === "number");
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi === lo) hi = lo + 1;
  const last = steps[steps.length - 1] || 1;
  const x = (t) => (t / last) * W;
  const y = (v) => H - pad - ((v - lo) / (hi - lo)) * (H - 2 * pad);
  const band = (low, high, cls) => {
    const top = steps.map((t, i) => `${x(t).toFixed(1)},${y(high[i]).toFixed(1)}`);
    const bottom = steps.map((t, i) => `${x(t).toFixed(1)},${y(low[i]).toFixed(1)}`).reverse();
    return s("polygon", { points: top.concat(bottom).join(" "), class: cls });
  };
  svg.append(band(q05, q95, "band outer"), band(q25, q75, "band inner"));
  svg.append(s("polyline", { points: steps.map((t, i) => `${x(t).toFixed(1)},${y(q50[i]).toFixed(1)}`).join(" "), class: "line" }, title("median")));
  if (typeof start === "number") svg.append(s("line", { x1: 0, x2: W, y1: y(start), y2: y(start), class: "chance-line" }, title(`starting bankroll ${start}`)));
  if (lo <= 0) svg.append(s("line", { x1: 0, x2: W, y1: y(0), y2: y(0), class: "be-line" }, title("ruin (0)")));
  return svg;
}
