// /mixpred/: the upstream colour/size page, fed by /api/v2/insights.

import { game } from "../core.js";
import { Board } from "../dashboard.js";
import { last, next, streaks } from "../panels/mix.js";

new Board({
  sources: {
    insights: { url: () => `/api/v2/insights?game=${encodeURIComponent(game)}`, on: ["draw", "prediction"], poll: true, what: "The colour/size calls" },
  },
  panels: [next, last, streaks],
}).start();
