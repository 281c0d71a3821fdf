// The crash board: live multipliers (SSE /api/stream), streaks against their geometric
// odds, the next round's probabilities, the honest record, manual entry (admin), and
// the session's JSON export and reset.

import { adminToken, bindTokenForm, field, game, sayer, sendJSON } from "../core.js";
import { Board } from "../dashboard.js";
import { Session } from "../crash_session.js";
import { prediction, record, rounds, streaks } from "../panels/crash.js";

const q = `game=${encodeURIComponent(game)}`;
const panel = (name) => document.querySelector(`[data-panel="${name}"]`);

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const sessionRoot = panel("crash-session");
const sessionSay = sayer(field(sessionRoot, "message"));
const session = new Session(game, (ses) => {
  const c = ses.counts();
  const since = new Date(ses.state.started_at).toLocaleTimeString();
  field(sessionRoot, "summary").textContent = `Since ${since}${ses.state.from_round ? ` (from round ${ses.state.from_round})` : ""}: ` +
    `${plural(c.rounds, "round")}, ${plural(c.predictions, "prediction")}, ${c.entered} entered by hand.`;
});
session.onChange(session);

const board = new Board({
  sources: {
    report: { url: () => `/api/v2/report?${q}`, on: ["prediction"], poll: true, what: "The prediction" },
    history: { url: () => `/api/history?${q}&per_page=60`, on: ["draw"], what: "The rounds" },
    accuracy: { url: () => `/api/accuracy?${q}`, on: ["draw"], what: "The record" },
  },
  panels: [rounds, streaks, prediction, record],
});
board.session = session;
board.start();

sessionRoot.querySelector('[data-action="export"]').addEventListener("click", () => {
  const blob = new Blob([JSON.stringify(session.toJSON(), null, 2)], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `crash-session-${game}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  const c = session.counts();
  sessionSay(`Exported ${c.rounds} rounds and ${c.predictions} predictions.`, "good");
});

sessionRoot.querySelector('[data-action="reset"]').addEventListener("click", () => {
  session.reset();
  sessionSay(session.state.from_round ? `New session: it counts from round ${session.state.from_round}. Nothing on the server was reset.` : "New session started. Nothing on the server was reset.", "good");
});

// Manual entry (admin): the server validates and answers {error, message} on bad input.
const entry = panel("crash-entry");
bindTokenForm(entry);
const entrySay = sayer(field(entry, "result"));
field(entry, "form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const roundId = field(entry, "round-id").value.trim();
  const multiplier = field(entry, "multiplier").value.trim();
  if (!adminToken()) return entrySay("Enter the admin token first.", "bad");
  if (!roundId || !multiplier) return entrySay("Give a round id and its multiplier.", "bad");
  const button = ev.submitter || entry.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const out = await sendJSON("POST", `/api/crash/rounds?${q}`, { round_id: roundId, multiplier }, { token: adminToken() });
    session.addEntered({ round: out.stored[0], multiplier, entered_at: new Date().toISOString() });
    entrySay(`Stored round ${out.stored.join(", ")} (source: manual).`, "good");
    field(entry, "round-id").value = "";
    field(entry, "multiplier").value = "";
    board.refresh("history");
    board.refresh("report");
  } catch (err) {
    entrySay(err.message, "bad");
  } finally {
    button.disabled = false;
  }
});
