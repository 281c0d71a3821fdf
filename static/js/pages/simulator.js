// The simulator page: a live paper session (wallet, history) and Monte Carlo studies.

import { game } from "../core.js";
import { Board } from "../dashboard.js";
import session from "../panels/sim_session.js";
import history from "../panels/sim_history.js";
import montecarlo from "../panels/montecarlo.js";

const q = `game=${encodeURIComponent(game)}`;

new Board({
  sources: {
    status: { url: () => `/api/simulator/status?${q}`, on: ["simulator", "draw"], poll: true, what: "The simulator" },
    history: { url: () => `/api/simulator/history?${q}&per_page=100`, on: ["simulator", "draw"], what: "The session history" },
  },
  panels: [session, history, montecarlo],
}).start();
