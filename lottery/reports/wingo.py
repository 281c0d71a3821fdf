"""WinGo's prediction report served by `/api/prediction` (upstream field names).

Built once per period by the worker and stored as JSON bytes; every figure in
it is computed from stored data, and every accuracy figure carries n, the
chance rate, a 95% interval and a p-value.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Sequence

from lottery import keys
from lottery.evaluation.stats import rate_summary
from lottery.games.wingo import (BIG, COLORS, GREEN, MARKET_NAMES as MARKETS, MARKETS as _MARKETS,
                                 RED, SMALL, VIOLET, WinGo, colors, hits, primary_color, size)
from lottery.predictors.wingo.base import Prediction
from lottery.reports import encode
from lottery.store import as_str, draws, predictions

CHANCE = {m.name: m.chance for m in _MARKETS}

DISCLAIMER = ("Fair draws cannot be predicted. These predictions are measured against chance "
              "on every draw; see the accuracy figures (sample size, chance rate, 95% interval). "
              "No evidence of an edge over chance unless the scoreboard says otherwise. "
              "Nothing here is betting advice.")


def percent(p: float) -> float:
    """Return a probability as a percentage rounded to 0.1."""
    return round(100.0 * p, 1)


def describe_draw(game: WinGo, record: dict) -> dict:
    """Return the public view of a stored draw."""
    return {"issue": record["issue"], **game.describe(record["number"]),
            "drawn_at": record.get("drawn_at")}


def result_of(digit: int) -> dict:
    """Return the settled result attached to a prediction."""
    return {"number": digit, "size": size(digit), "color": primary_color(digit),
            "colors": list(colors(digit))}


def sequence_analysis(digits: Sequence[int], max_scan: int = 5000) -> dict:
    """Return which digits followed the last 2 and 3 digits in the recent history."""
    recent = list(digits[-max_scan:])
    out = {"window": len(recent)}
    for k in (2, 3):
        if len(recent) <= k:
            out[f"last_{k}"] = recent[-k:]
            out[f"followers_{k}"] = {}
            out[f"occurrences_{k}"] = 0
            continue
        tail = recent[-k:]
        followers: Counter[int] = Counter()
        for i in range(len(recent) - k):
            if recent[i:i + k] == tail:
                followers[recent[i + k]] += 1
        out[f"last_{k}"] = tail
        out[f"followers_{k}"] = {str(d): c for d, c in followers.most_common()}
        out[f"occurrences_{k}"] = sum(followers.values())
    return out


def color_percentages(probs: Sequence[float]) -> dict:
    """Return the probability of each colour appearing, from digit probabilities."""
    out = {c: 0.0 for c in COLORS}
    for d, p in enumerate(probs):
        for c in colors(d):
            out[c] += p
    return {c: percent(out[c]) for c in (RED, GREEN, VIOLET)}


def accuracy_block(counters: dict) -> dict:
    """Return per-market accuracy with n, chance rate and 95% interval (p-values: /api/accuracy)."""
    n = int(counters.get("n", 0))
    return {m: rate_summary(int(counters.get(f"hits:{m}", 0)), n, CHANCE[m], p_value=False)
            for m in MARKETS}


def streaks_block(counters: dict) -> dict:
    """Return the Big/Small win/loss streaks of the report predictor."""
    return {"market": "big_small", "current_type": counters.get("streak_type") or None,
            "current_length": int(counters.get("streak_len", 0)),
            "longest_win": int(counters.get("longest_win", 0)),
            "longest_loss": int(counters.get("longest_loss", 0))}


def build_report(*, game: WinGo, next_issue: str, now: datetime, prediction: Prediction,
                 digits: Sequence[int], recent: list[dict], history: list[dict],
                 counters: dict, ai_enabled: bool, commitment: str | None) -> dict:
    """Return the report dict for the next issue."""
    probs = prediction.probs or [0.1] * 10
    p_big = sum(p for d, p in enumerate(probs) if size(d) == BIG)
    draw_at = game.draw_time(next_issue)
    report = {
        "game": game.code,
        "next_issue": next_issue,
        "draw_at": draw_at.isoformat(),
        "period_seconds": game.period_seconds,
        "seconds_to_draw": round((draw_at - now).total_seconds(), 3),
        "predictor": prediction.predictor,
        "prediction": {
            "numbers": list(prediction.numbers[:3]),
            "big_small": prediction.big_small,
            "big_small_percentages": {BIG: percent(p_big), SMALL: percent(1 - p_big)},
            "color": prediction.color,
            "color_percentages": color_percentages(probs),
            "confidence": percent(prediction.big_small_p) if prediction.big_small_p else None,
        },
        "likelihoods": {str(d): percent(p) for d, p in enumerate(probs)},
        "accuracy": accuracy_block(counters),
        "streaks": streaks_block(counters),
        "recent_results": [describe_draw(game, rec) for rec in recent],
        "prediction_history": [_history_item(h) for h in history],
        "sequence_analysis": sequence_analysis(digits),
        "timestamp": now.isoformat(),
        "ai_enabled": ai_enabled,
        "fairness": {"commitment": commitment} if commitment else None,
        "disclaimer": DISCLAIMER,
    }
    return report


def _history_item(pred: dict) -> dict:
    item = {"issue": pred["issue"], "numbers": pred["numbers"][:3],
            "big_small": pred["big_small"], "color": pred["color"]}
    if "result" in pred:
        item["result"] = pred["result"]
        item["hits"] = pred.get("hits")
    return item


def update_counters(r, game_code: str, prediction: dict, digit: int) -> dict:
    """Count a resolved report prediction into the per-game accuracy counters."""
    h = hits(prediction, digit)
    key = keys.prediction_accuracy(game_code)
    pipe = r.pipeline(transaction=False)
    pipe.hincrby(key, "n", 1)
    for market, hit in h.items():
        if hit:
            pipe.hincrby(key, f"hits:{market}", 1)
    pipe.execute()
    # Streaks: the worker holds the game lock, so read-modify-write is single-writer.
    counters = _decode(r.hgetall(key))
    kind = "win" if h["big_small"] else "loss"
    length = int(counters.get("streak_len", 0)) + 1 if counters.get("streak_type") == kind else 1
    update = {"streak_type": kind, "streak_len": length}
    longest = f"longest_{kind}"
    if length > int(counters.get(longest, 0)):
        update[longest] = length
    r.hset(key, mapping=update)
    return h


def read_counters(r, game_code: str) -> dict:
    """Return the accuracy counters of a game's report predictor."""
    return _decode(r.hgetall(keys.prediction_accuracy(game_code)))


def _decode(raw: dict) -> dict:
    return {as_str(k): as_str(v) for k, v in raw.items()}


class WinGoReport:
    """The report builder WinGo names in `WinGo.report_path` (see `lottery.reports`)."""

    window = 5000  # recent digits the sequence analysis scans

    def result_of(self, game: WinGo, digit: int) -> dict:
        return result_of(digit)

    def on_resolved(self, r, game: WinGo, prediction: dict, digit: int) -> None:
        update_counters(r, game.code, prediction, digit)

    def build(self, r, game: WinGo, *, next_issue: str, now: datetime, prediction: Prediction,
              outcomes, ai_enabled: bool, commitment: str | None) -> dict:
        return build_report(
            game=game, next_issue=next_issue, now=now, prediction=prediction, digits=outcomes,
            recent=draws.recent_draws(r, game.code, 20),
            history=predictions.recent_predictions(r, game.code, 20),
            counters=read_counters(r, game.code), ai_enabled=ai_enabled, commitment=commitment)


REPORT = WinGoReport()

__all__ = ["REPORT", "accuracy_block", "build_report", "encode", "read_counters", "result_of",
           "update_counters"]
