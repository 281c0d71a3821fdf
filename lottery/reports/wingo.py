"""WinGo's prediction report: our own shape (`/api/v2/report`) and the upstream shape
(`/api/prediction`) derived from it.

Built once per period by the worker and stored as JSON bytes; every figure in
it is computed from stored data, and every accuracy figure carries n, the
chance rate, a 95% interval and a p-value. `upstream_report` turns a stored
report into the shape the upstream service's clients read (field names, types
and nesting of workforakng/prediction_backend); it is a pure function, run
once per new report by each web process.
"""
from __future__ import annotations

import time
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

DISCLAIMER = ("These predictions are measured against chance on every draw; see the accuracy "
              "figures (sample size, chance rate, 95% interval). No evidence of an edge over "
              "chance unless the scoreboard says otherwise. Nothing here is betting advice.")
# Markets whose win/loss streaks are counted, and their upstream names (upstream's
# "number" is a hit of the top three numbers).
STREAK_MARKETS = {"top3": "number", "big_small": "big_small", "color": "color"}
UPSTREAM_HISTORY = 11  # upstream shows the last 11 predictions
UPSTREAM_RECENT = 10  # and the last 10 results


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


def digit_gaps(digits: Sequence[int]) -> dict:
    """Return, per digit, draws since it last came (current) and its mean gap in the window."""
    last_seen: dict[int, int] = {}
    gap_sum = Counter()
    gap_n = Counter()
    for i, d in enumerate(digits):
        if d in last_seen:
            gap_sum[d] += i - last_seen[d] - 1
            gap_n[d] += 1
        last_seen[d] = i
    n = len(digits)
    out = {}
    for d in range(10):
        current = n - 1 - last_seen[d] if d in last_seen else n
        average = gap_sum[d] / gap_n[d] if gap_n[d] else None
        out[str(d)] = {"current": current,
                       "average": round(average, 2) if average is not None else None}
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
    """Return the Big/Small win/loss streaks of the report predictor, and those of each market."""
    return {"market": "big_small", "current_type": counters.get("streak_type") or None,
            "current_length": int(counters.get("streak_len", 0)),
            "longest_win": int(counters.get("longest_win", 0)),
            "longest_loss": int(counters.get("longest_loss", 0)),
            "by_market": {m: {"current_win": int(counters.get(f"cw:{m}", 0)),
                              "max_win": int(counters.get(f"mw:{m}", 0)),
                              "current_loss": int(counters.get(f"cl:{m}", 0)),
                              "max_loss": int(counters.get(f"ml:{m}", 0))}
                          for m in STREAK_MARKETS}}


def build_report(*, game: WinGo, next_issue: str, now: datetime, prediction: Prediction,
                 digits: Sequence[int], recent: list[dict], history: list[dict],
                 counters: dict, ai_enabled: bool, commitment: str | None) -> dict:
    """Return the report dict for the next issue."""
    started = time.perf_counter()
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
        "gaps": digit_gaps(digits),
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
    report["generation_time_seconds"] = round(time.perf_counter() - started, 4)
    return report


def _history_item(pred: dict) -> dict:
    item = {"issue": pred["issue"], "numbers": pred["numbers"][:3],
            "big_small": pred["big_small"], "color": pred["color"]}
    probs = pred.get("probs")
    if probs:
        item["likelihoods"] = [{"number": d, "likelihood": percent(probs[d])}
                               for d in pred["numbers"][:3]]
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
    for market in STREAK_MARKETS:
        if market not in h:
            continue
        won = "w" if h[market] else "l"
        lost = "l" if won == "w" else "w"
        current = int(counters.get(f"c{won}:{market}", 0)) + 1
        update[f"c{won}:{market}"] = current
        update[f"c{lost}:{market}"] = 0
        if current > int(counters.get(f"m{won}:{market}", 0)):
            update[f"m{won}:{market}"] = current
    r.hset(key, mapping=update)
    return h


def read_counters(r, game_code: str) -> dict:
    """Return the accuracy counters of a game's report predictor."""
    return _decode(r.hgetall(keys.prediction_accuracy(game_code)))


def _decode(raw: dict) -> dict:
    return {as_str(k): as_str(v) for k, v in raw.items()}


# -- the upstream shape ---------------------------------------------------------------
def _accuracy_text(block: dict | None) -> str:
    hits, n = (int(block.get("hits") or 0), int(block.get("n") or 0)) if block else (0, 0)
    return f"{100.0 * hits / n if n else 0.0:.2f}% ({hits}/{n})"


def _period_times(game_code: str | None, issue: str) -> tuple[str | None, str | None]:
    """Return (published, settled) times of an issue: its period's start and its draw time."""
    from lottery.games import GAMES

    game = GAMES.get(game_code or "")  # the stored report names its variant
    if game is None:
        return None, None
    try:
        return game.period_start(issue).isoformat(), game.draw_time(issue).isoformat()
    except ValueError:
        return None, None


def _upstream_likelihoods(report: dict) -> list[dict]:
    lik = report.get("likelihoods") or {}
    gaps = report.get("gaps") or {}
    rows = []
    for d in range(10):
        gap = gaps.get(str(d)) or {}
        current = int(gap.get("current") or 0)
        average = gap.get("average")
        avg = float(average) if average is not None else 0.0
        # A description of the gap, not a forecast: gaps say nothing about the next draw.
        status = "Long gap" if average and current > 1.5 * avg else "Normal"
        rows.append({"number": d, "current_missing": current, "avg_missing": round(avg, 1),
                     "likelihood": float(lik.get(str(d), 0.0)), "status": status,
                     "deviation": round(current - avg, 1)})
    rows.sort(key=lambda row: -row["likelihood"])  # stable: ties keep digit order
    return rows


def _upstream_sequences(sa) -> list[dict]:
    if not isinstance(sa, dict):
        return []
    out = []
    for k in (3, 2):
        total = int(sa.get(f"occurrences_{k}") or 0)
        if not total:
            continue
        top = list((sa.get(f"followers_{k}") or {}).items())[:2]
        out.append({"message": f"Found {total} occurrences.",
                    "pattern": list(sa.get(f"last_{k}") or []),
                    "predictions": [{"number": int(d), "count": int(c),
                                     "chance": round(100.0 * int(c) / total, 1)}
                                    for d, c in top]})
    return out


def upstream_report(report: dict, environment: str = "local") -> dict:
    """Return a stored report in the upstream service's `/api/prediction` shape."""
    game_code = report.get("game")
    pred = report.get("prediction") or {}
    likelihoods = _upstream_likelihoods(report)
    by_number = {row["number"]: row["likelihood"] for row in likelihoods}
    numbers = list(pred.get("numbers") or [])[:3]
    bsp = pred.get("big_small_percentages") or {}
    accuracy = report.get("accuracy") or {}
    by_market = (report.get("streaks") or {}).get("by_market") or {}
    zero = {"current_win": 0, "max_win": 0, "current_loss": 0, "max_loss": 0}
    history = report.get("prediction_history") or []
    past, settled = {}, []
    for item in history:
        issue = item["issue"]
        recorded_at, drawn_at = _period_times(game_code, issue)
        likes = item.get("likelihoods") or []
        entry = {"predicted_numbers": list(item.get("numbers") or []),
                 "predicted_likelihoods": likes, "predicted_big_small": item.get("big_small"),
                 "predicted_color": item.get("color"), "recorded_at": recorded_at}
        result = item.get("result")
        if result is not None:
            hits = item.get("hits") or {}
            correct = {"number": bool(hits.get("top3")), "big_small": bool(hits.get("big_small")),
                       "color": bool(hits.get("color"))}
            entry["outcome"] = {"correct_number": correct["number"],
                                "correct_big_small": correct["big_small"],
                                "correct_color": correct["color"], "verified_at": drawn_at}
            if len(settled) < UPSTREAM_HISTORY:
                settled.append({
                    "issue": issue,
                    "prediction": {"number": entry["predicted_numbers"], "likelihoods": likes,
                                   "big_small": entry["predicted_big_small"],
                                   "color": entry["predicted_color"]},
                    "result": {"number": result.get("number"), "big_small": result.get("size"),
                               "colors": list(result.get("colors") or [])},
                    "correct": correct})
        if len(past) < UPSTREAM_HISTORY:
            past[issue] = entry
    sa = report.get("sequence_analysis")
    return {
        "next_issue": report.get("next_issue"),
        "prediction": {
            "numbers": numbers,
            "predicted_likelihoods": [{"number": d, "likelihood": by_number.get(d, 0.0)}
                                      for d in numbers],
            "big_small": pred.get("big_small") or "N/A",
            "big_small_percentages": {"small_percentage": float(bsp.get(SMALL) or 0.0),
                                      "big_percentage": float(bsp.get(BIG) or 0.0)},
            "color": pred.get("color") or "N/A",
            "color_percentages": dict(pred.get("color_percentages") or {}),
        },
        "likelihoods": likelihoods,
        "accuracy": {"number_accuracy": _accuracy_text(accuracy.get("top3")),
                     "big_small_accuracy": _accuracy_text(accuracy.get("big_small")),
                     "color_accuracy": _accuracy_text(accuracy.get("color"))},
        "streaks": {name: dict(by_market.get(market) or zero)
                    for market, name in STREAK_MARKETS.items()},
        "recent_results": {d["issue"]: d["number"]
                           for d in (report.get("recent_results") or [])[:UPSTREAM_RECENT]},
        "past_predictions": past,
        "prediction_history": settled,
        "sequence_analysis": _upstream_sequences(sa),
        "report_metadata": {
            "generated_at": report.get("timestamp"), "environment": environment,
            "history_entries": int(sa.get("window", 0)) if isinstance(sa, dict) else 0,
            "predictions_count": len(history), "service_name": "worker"},
        "status": "success",
        "timestamp": report.get("timestamp"),
        "worker_environment": environment,
        "generation_time_seconds": float(report.get("generation_time_seconds") or 0.0),
        "ai_enabled": bool(report.get("ai_enabled")),
        # Ours, in names upstream does not use: the honest context and the period clock.
        "game": game_code,
        "draw_at": report.get("draw_at"),
        "period_seconds": report.get("period_seconds"),
        "predictor": report.get("predictor"),
        "fairness": report.get("fairness"),
        "scoreboard": "/api/accuracy",
        "disclaimer": report.get("disclaimer"),
    }


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

    def public_view(self, report: dict, environment: str) -> dict:
        """Return the report as `/api/prediction` serves it: the upstream service's shape."""
        return upstream_report(report, environment)


REPORT = WinGoReport()

__all__ = ["REPORT", "accuracy_block", "build_report", "digit_gaps", "encode", "read_counters",
           "result_of", "sequence_analysis", "update_counters", "upstream_report"]
