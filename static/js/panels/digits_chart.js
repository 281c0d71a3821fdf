// A chart of recent digits (oldest to newest) and of how often each came up.

import { field, replace } from "../core.js";
import { digitColumns, frequencyBars } from "../charts.js";

export default {
  name: "digits-chart",
  title: "The chart",
  needs: ["history"],
  mount(root) {
    return {
      render({ history }) {
        const items = (history.items || []).filter((d) => typeof d.number === "number").slice().reverse();
        replace(field(root, "series"), digitColumns(items));
        const counts = Array(10).fill(0);
        for (const d of items) if (d.number >= 0 && d.number <= 9) counts[d.number] += 1;
        replace(field(root, "freq"), frequencyBars(counts));
        replace(field(root, "chart-n"), `n = ${items.length}`);
      },
    };
  },
};
