// The randomness audit of the draw stream: each test with n, statistic and p-value.

import { field, h, pValue, replace } from "../core.js";

const TESTS = [["uniformity", "Digits uniform (chi-square)"], ["runs_big_small", "Big/Small runs"], ["lag1_independence", "Next digit independent of last"]];

export default {
  name: "audit",
  title: "The randomness audit",
  needs: ["audit"],
  mount(root) {
    return {
      render({ audit }) {
        const tests = audit.tests || {};
        let flagged = 0;
        replace(field(root, "tests").tBodies[0], TESTS.filter(([key]) => tests[key]).map(([key, label]) => {
          const t = tests[key];
          const p = t.p_value;
          const reading = typeof p !== "number" ? "too few draws" : p < 0.01 ? "unusual" : "consistent with fair draws";
          if (typeof p === "number" && p < 0.01) flagged += 1;
          return h("tr", { dataset: { test: key }, title: t.text || "" },
            h("th", { scope: "row", text: label }),
            h("td", { text: t.n ?? "—" }),
            h("td", { text: typeof t.statistic === "number" ? t.statistic.toFixed(2) : "—" }),
            h("td", { text: pValue(p) }),
            h("td", { text: reading }));
        }));
        replace(field(root, "summary"), flagged
          ? `${flagged} test(s) look unusual at the 1% level on ${audit.n} draws. With several tests, an occasional small p-value happens by chance too.`
          : `No test finds the last ${audit.n ?? 0} draws unusual: they look uniform and independent.`);
      },
    };
  },
};
