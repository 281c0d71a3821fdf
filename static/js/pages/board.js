// The live board: prediction, draws, chart, scoreboard, audit and AI panels.

import { game } from "../core.js";
import { Board } from "../dashboard.js";
import prediction from "../panels/prediction.js";
import honesty from "../panels/honesty.js";
import draws from "../panels/draws.js";
import digitsChart from "../panels/digits_chart.js";
import scoreboard from "../panels/scoreboard.js";
import audit from "../panels/audit.js";
import ai from "../panels/ai.js";

const q = `game=${encodeURIComponent(game)}`;

new Board({
  sources: {
    prediction: { url: () => `/api/v2/report?${q}`, on: ["prediction"], poll: true, what: "The prediction" },
    history: { url: () => `/api/history?${q}&per_page=100`, on: ["draw"], what: "The draw history" },
    accuracy: { url: () => `/api/accuracy?${q}`, on: ["draw"], what: "The scoreboard" },
    audit: { url: () => `/api/audit?${q}`, on: ["draw"], what: "The randomness audit" },
    ai: { url: () => `/api/ai_prediction?${q}&limit=0`, on: ["ai_prediction"], what: "The AI prediction" },
    aiStatus: { url: () => "/api/ai/status", on: ["ai_prediction", "prediction"], what: "The AI status" },
    aiAccuracy: { url: () => `/api/ai_big_small_accuracy?${q}`, on: ["draw"], what: "The AI record" },
  },
  panels: [prediction, honesty, draws, digitsChart, scoreboard, audit, ai],
}).start();
