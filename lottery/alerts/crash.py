"""What is alert-worthy in a crash game (the rule `lottery.alerts.RULES` names for the family).

Three kinds, all about ALERT_MULTIPLIER_THRESHOLD (T, default 10x, the streak API's
MULTIPLIER_THRESHOLD):

- drought: no round has reached T for a milestone of ALERT_DROUGHT_ROUNDS rounds.
  One alert per milestone per drought, and it says the plain fact that matters:
  rounds are independent, the next round reaches T with chance 0.99 / T, however
  long the drought.
- landed: a round reaches T after a drought that passed the first milestone
  (it closes the story the drought alerts told).
- signal: a predictor gives the next round at least ALERT_CONFIDENCE_THRESHOLD
  of reaching T (the streak API's PREDICTION_CONFIDENCE_THRESHOLD). It is sent
  only when the scoreboard labels that predictor "edge" on that market; without
  an edge no alert ever states a probability above the null's 0.99 / T. At most
  one signal per predictor per SIGNAL_COOLDOWN seconds.
"""
from __future__ import annotations

import json
import logging
import math

from lottery import keys
from lottery.alerts import Alert
from lottery.config import Settings
from lottery.games.crash import (REACH_MARKETS, Crash, fmt_multiplier, reach_market_name,
                                 streak_p, target_cents, to_cents)
from lottery.store import as_str, draws

log = logging.getLogger("lottery.alerts")

SIGNAL_COOLDOWN = 600  # seconds between two signals of one predictor
# The rounds scanned for the current drought: a fair drought this many times its mean
# length has a chance of about e^-50.
DROUGHT_SCAN = 50


def percent(p: float) -> str:
    """Return a probability as a short percentage: 9.9%, 0.99%, 49.5%."""
    return f"{100 * p:.3g}%"


def rule(r, settings: Settings, game: Crash) -> list[Alert]:
    """Return the crash alerts the stored rounds call for now (publishing dedupes them)."""
    t = settings.alert_multiplier_threshold
    t_cents = target_cents(t)
    p = streak_p(t)
    milestones = settings.alert_drought_rounds
    window = min(settings.max_draws,
                 max(milestones[-1] + 2 if milestones else 0, math.ceil(DROUGHT_SCAN / p)))
    rows = draws.recent_draws(r, game.code, window)  # newest first
    if not rows:
        return []
    hits = [i for i, row in enumerate(rows) if to_cents(row["multiplier"]) >= t_cents]
    label = f"{t:g}x"
    facts = {"threshold": t, "chance_next_round": round(p, 6)}
    still = (f"The chance of {label} in the next round is still {percent(p)}: rounds are "
             f"independent, so a drought never makes {label} more likely.")
    alerts = []
    run = hits[0] if hits else len(rows)
    passed = [m for m in milestones if run >= m]
    if passed:
        # A drought is named by the round before it (the last T or the oldest round kept).
        after = rows[run]["issue"] if hits else "start"
        first = rows[run - 1]["issue"]
        at_least = "" if hits or len(rows) < window else "at least "
        alerts.append(Alert(
            game.code, "drought", f"drought:{label}:{after}:{passed[-1]}",
            f"{game.label}: no {label} for {at_least}{run} rounds (since round {first}). "
            + still,
            {**facts, "rounds": run, "milestone": passed[-1], "since_round": first}))
    if hits and hits[0] == 0 and milestones:
        before = (hits[1] if len(hits) > 1 else len(rows)) - 1
        if before >= milestones[0]:
            landed = rows[0]
            x = to_cents(landed["multiplier"]) / 100
            alerts.append(Alert(
                game.code, "landed", f"landed:{label}:{landed['issue']}",
                f"{game.label}: {label} landed: round {landed['issue']} reached "
                f"{fmt_multiplier(x)} after {before} rounds without one. The chance of {label} "
                f"in the next round is {percent(p)}, the same as all through the drought.",
                {**facts, "round": landed["issue"], "multiplier": x, "drought": before}))
    alerts += signals(r, settings, game, game.next_issue(rows[0]["issue"]), t, p)
    return alerts


def signals(r, settings: Settings, game: Crash, issue: str, t: float, p: float) -> list[Alert]:
    """Return signal alerts for the open round: confident predictors with a proven edge only."""
    market = reach_market_name(target_cents(t) / 100)
    if market not in REACH_MARKETS:
        return []  # no market for this threshold, so no record that could show an edge
    confident = {}
    for name, body in r.hgetall(keys.eval_issue(game.code, issue)).items():
        name = as_str(name)
        if name.startswith("r:"):
            continue  # a resolved marker, not a prediction
        prob = (json.loads(body).get("reach_p") or {}).get(market)
        if prob is not None and prob >= settings.alert_confidence_threshold:
            confident[name] = prob
    if not confident:
        return []
    from lottery.evaluation.scoreboard import EDGE  # scipy: only when a predictor is confident
    from lottery.store.scores import scoreboard

    rows = {row["predictor"]: row for row in scoreboard(r, game.code)["rows"]
            if row["market"] == market}
    out = []
    label = f"{t:g}x"
    for name, prob in sorted(confident.items()):
        row = rows.get(name)
        if row is None or row.get("verdict") != EDGE:
            log.info("%s %s: %s's %s call withheld: no edge on the scoreboard", game.code,
                     issue, name, market)
            continue
        out.append(Alert(
            game.code, "signal", f"signal:{name}:{market}",
            f"{game.label} signal: {name} gives round {issue} a {percent(prob)} chance of "
            f"reaching {label} (fair chance {percent(p)}). The scoreboard shows an edge for it "
            f"on this market: {row['verdict_text']}. Paper figures; not betting advice.",
            {"threshold": t, "round": issue, "predictor": name, "market": market,
             "probability": prob, "chance": round(p, 6), "verdict": row["verdict"],
             "n": row["n"], "hit_rate": row["hit_rate"]},
            ttl=SIGNAL_COOLDOWN))
    return out
