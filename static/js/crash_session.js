// The crash board's session: what the page has shown since the session began (rounds,
// each prediction with its result once the round is played, the latest streaks and
// record, rounds entered by hand), kept in this tab's sessionStorage and exported as
// JSON. A new session clears only this record; nothing on the server is reset.

const MAX_ROUNDS = 10000;
const MAX_PREDICTIONS = 2000;

export class Session {
  constructor(game, onChange = () => {}) {
    this.key = `crashSession:${game}`;
    this.game = game;
    this.onChange = onChange;
    this.state = this.load() || this.fresh(null);
  }

  fresh(fromRound) {
    // fromRound: after a new session, only rounds from this id on belong to it.
    return { started_at: new Date().toISOString(), from_round: fromRound, rounds: {}, predictions: {},
      entered: [], streaks: null, record: null };
  }

  load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.key) || "null");
      return saved && saved.rounds && saved.predictions ? saved : null;
    } catch (err) {
      return null;
    }
  }

  save() {
    try { sessionStorage.setItem(this.key, JSON.stringify(this.state)); } catch (err) { /* kept in memory only */ }
    this.onChange(this);
  }

  belongs(issue) {
    return this.state.from_round === null || Number(issue) >= this.state.from_round;
  }

  addRounds(rounds) {
    let changed = false;
    for (const r of rounds) {
      if (!this.belongs(r.issue) || this.state.rounds[r.issue]) continue;
      this.state.rounds[r.issue] = { round: r.issue, multiplier: r.multiplier, drawn_at: r.drawn_at, source: r.source };
      const pred = this.state.predictions[r.issue];
      if (pred && pred.result === undefined) pred.result = r.multiplier;
      changed = true;
    }
    if (!changed) return;
    const ids = Object.keys(this.state.rounds);
    if (ids.length > MAX_ROUNDS) {
      for (const id of ids.sort((a, b) => a - b).slice(0, ids.length - MAX_ROUNDS)) delete this.state.rounds[id];
    }
    this.save();
  }

  addPrediction(report) {
    const round = String(report.next_issue);
    if (!this.belongs(round) || this.state.predictions[round]) return;
    const p = report.prediction || {};
    const played = this.state.rounds[round];
    this.state.predictions[round] = {
      round, predictor: report.predictor, shown_at: new Date().toISOString(),
      reach: (p.reach || []).map((row) => ({ market: row.market, target: row.target, probability: row.probability, chance: row.chance })),
      streak_10x: p.streak_10x || null,
      result: played ? played.multiplier : undefined,
    };
    const ids = Object.keys(this.state.predictions);
    if (ids.length > MAX_PREDICTIONS) delete this.state.predictions[ids.sort((a, b) => a - b)[0]];
    this.save();
  }

  setStreaks(round, streaks) {
    this.state.streaks = { before_round: String(round), ...streaks };
    this.save();
  }

  setRecord(accuracy) {
    this.state.record = accuracy;
    this.save();
  }

  addEntered(entry) {
    this.state.entered.push(entry);
    this.save();
  }

  // A new session: from the round after the newest one shown, with nothing in it yet.
  reset() {
    const ids = Object.keys(this.state.rounds).map(Number);
    const newest = ids.length ? Math.max(...ids) : null;
    this.state = this.fresh(newest === null ? null : newest + 1);
    this.save();
  }

  counts() {
    return { rounds: Object.keys(this.state.rounds).length, predictions: Object.keys(this.state.predictions).length,
      entered: this.state.entered.length };
  }

  toJSON() {
    const byRound = (obj) => Object.values(obj).sort((a, b) => Number(a.round) - Number(b.round));
    const st = this.state;
    return {
      game: this.game, started_at: st.started_at, from_round: st.from_round, exported_at: new Date().toISOString(),
      note: "What this page showed during the session. Fair rounds reach m with chance 0.99/m whatever came before; the record says whether any predictor beat that.",
      rounds: byRound(st.rounds),
      predictions: byRound(st.predictions).map((p) => (p.result === undefined ? { ...p, result: null } : p)),
      streaks: st.streaks, record: st.record, entered: st.entered,
    };
  }
}
