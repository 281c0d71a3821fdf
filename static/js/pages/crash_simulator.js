// The simulator page for crash: a live paper session on the feed's rounds, Monte Carlo of the
// cash-out strategies and the replay of a hash chain - each result with the honest statement.

import { game } from "../core.js";
import { Board } from "../dashboard.js";
import session from "../panels/crash_session.js";
import montecarlo from "../panels/crash_montecarlo.js";
import replay from "../panels/crash_replay.js";

const q = `game=${encodeURIComponent(game)}`;

new Board({
  sources: {
    status: { url: () => `/api/simulator/status?${q}`, on: ["simulator", "draw"], poll: true, what: "The simulator" },
    history: { url: () => `/api/simulator/history?${q}&per_page=100`, on: ["simulator", "draw"], what: "The session history" },
    strategies: { url: () => `/api/simulator/strategies?${q}`, on: [], what: "The strategy list" },
  },
  panels: [session, montecarlo, replay],
}).start();
