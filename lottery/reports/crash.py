"""Crash's prediction report (`/api/prediction?game=Crash`, `/api/v2/report?game=Crash`).

Built once per round by the worker: the next round's probabilities of reaching
each target next to the fair 0.99 / m, the current streaks for 2x, 10x and
100x against their geometric odds, recent rounds and the report predictor's
record, each figure with its n and chance rate.
"""
from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Sequence

import numpy as np

from lottery import keys
from lottery.evaluation import crash_eval
from lottery.evaluation.stats import rate_summary
from lottery.games.base import P_FLOOR
from lottery.games.crash import (MARKETS, REACH_MARKETS, STREAK_MARKET, Crash, fmt_multiplier,
                                 geometric_sf, null_prediction, streak_hazard,
                                 streak_p, target_cents, to_cents)
from lottery.store import as_str, draws, predictions

STREAK_THRESHOLDS = (2.0, 10.0, 100.0)
CHANCE = {m.name: m.chance for m in MARKETS}
CHANCE_TARGET = {m: cents / 100 for m, cents in REACH_MARKETS.items()}
DISCLAIMER = ("Crash rounds are provably fair: each round reaches m with chance 0.99/m whatever "
              "came before, and every cash-out target returns 0.99 per unit on average. These "
              "probabilities are measured against that on every round; no evidence of an edge "
              "over chance unless the scoreboard says otherwise. Nothing here is betting advice.")


def percent(p: float) -> float:
    """Return a probability as a percentage rounded to 0.01."""
    return round(100.0 * p, 2)


def streak_block(outcomes: Sequence[float], threshold: float,
                 cents: np.ndarray | None = None) -> dict:
    """Return the current run since the last X >= threshold, past streaks and the geometric odds."""
    # Vectorised over stored (validated, two-decimal) multipliers: this runs every round
    # over the report window, inside the settled -> published latency.
    if cents is None:
        cents = np.rint(np.asarray(outcomes, dtype=float) * 100).astype(np.int64)
    ends = np.flatnonzero(cents >= target_cents(threshold))
    lengths = np.diff(ends, prepend=-1).tolist() if ends.size else []
    run = int(len(cents) - 1 - ends[-1]) if ends.size else len(cents)
    p = streak_p(threshold)
    mean = sum(lengths) / len(lengths) if lengths else None
    return {"threshold": threshold, "current_run": run, "p_per_round": round(p, 6),
            "chance_next_round": percent(p),
            # Memoryless: a drought of `run` rounds is as likely as ever to go on.
            "chance_run_this_long": round(geometric_sf(run + 1, p), 6),
            "completed": len(lengths), "mean_length": round(mean, 2) if mean else None,
            "expected_mean_length": round(1 / p, 2), "longest": max(lengths) if lengths else None,
            "recent_lengths": lengths[-20:], "window": len(cents)}


def accuracy_block(counters: dict) -> dict:
    """Return per-market reach rates of the report predictor's rounds, with n and chance."""
    n = int(counters.get("n", 0))
    return {m: rate_summary(int(counters.get(f"hits:{m}", 0)), n, CHANCE[m], p_value=False)
            for m in CHANCE if m != STREAK_MARKET}


def probability_block(counters: dict) -> dict:
    """Return the report predictor's calibration per market and its streak log loss against
    the geometric (paired t-test), from the running counters."""
    out: dict = {}
    bins = range(len(crash_eval.RATIO_EDGES) - 1)

    def num(field: str) -> float:
        return float(counters.get(field, 0) or 0)

    out["calibration"] = {m: crash_eval.table(m, [num(f"cal:{m}:{b}:n") for b in bins],
                                              [num(f"cal:{m}:{b}:hits") for b in bins],
                                              [num(f"cal:{m}:{b}:psum") for b in bins])
                          for m in REACH_MARKETS}
    k = int(num("streak:n"))
    test = crash_eval.paired_from_sums(k, num("streak:dsum"), num("streak:dsq"))
    out[STREAK_MARKET] = {"log_loss": num("streak:ll") / k if k else None,
                          "geometric_log_loss": num("streak:ll0") / k if k else None,
                          "paired_vs_geometric": test, "verdict": crash_eval.verdict(test)}
    return out


_NULL_STREAK = null_prediction()[STREAK_MARKET]["probs"]
_STREAK_CENTS = target_cents(10)


def _loss(p: float, hit: bool) -> float:
    return -math.log(max(p if hit else 1 - p, P_FLOOR))


class CrashReport:
    """The report builder Crash names in `Crash.report_path`."""

    window = 5000  # recent rounds the streak figures scan

    def result_of(self, game: Crash, multiplier: float) -> dict:
        return game.describe(multiplier)

    def on_resolved(self, r, game: Crash, prediction: dict, multiplier: float) -> None:
        x = to_cents(multiplier)
        key = keys.prediction_accuracy(game.code)
        pipe = r.pipeline(transaction=False)
        pipe.hincrby(key, "n", 1)
        for m, cents in REACH_MARKETS.items():
            if x >= cents:
                pipe.hincrby(key, f"hits:{m}", 1)
        # Calibration: the forecast's bin, whether it hit, and the forecasts summed.
        for m, p in (prediction.get("reach_p") or {}).items():
            if m not in REACH_MARKETS:
                continue
            b = int(crash_eval.bin_of(p, CHANCE[m]))
            pipe.hincrby(key, f"cal:{m}:{b}:n", 1)
            pipe.hincrby(key, f"cal:{m}:{b}:hits", int(x >= REACH_MARKETS[m]))
            pipe.hincrbyfloat(key, f"cal:{m}:{b}:psum", float(p))
        streak = prediction.get(STREAK_MARKET)
        if streak:
            h = streak_hazard(streak["probs"], streak["run"])
            h0 = streak_hazard(_NULL_STREAK, streak["run"])
            if h0 is not None:
                hit = x >= _STREAK_CENTS
                ll, ll0 = _loss(h if h is not None else P_FLOOR, hit), _loss(h0, hit)
                d = ll - ll0
                pipe.hincrby(key, "streak:n", 1)
                for field, v in (("ll", ll), ("ll0", ll0), ("dsum", d), ("dsq", d * d)):
                    pipe.hincrbyfloat(key, f"streak:{field}", v)
        pipe.execute()

    def backtest_evaluation(self, game: Crash, outcomes, names=None, seed: int = 0) -> dict:
        """Return the backtest's calibration tables and streak-vs-geometric tests (--json)."""
        return crash_eval.evaluate(game, outcomes, names, seed)

    def build(self, r, game: Crash, *, next_issue: str, now: datetime, prediction,
              outcomes, ai_enabled: bool, commitment: str | None) -> dict:
        started = time.perf_counter()
        body = prediction.to_dict()
        cents = np.rint(np.asarray(outcomes, dtype=float) * 100).astype(np.int64)
        reach = body.get("reach_p") or {}
        counters = {as_str(k): as_str(v)
                    for k, v in r.hgetall(keys.prediction_accuracy(game.code)).items()}
        recent = draws.recent_draws(r, game.code, 20)
        history = predictions.recent_predictions(r, game.code, 20)
        report = {
            "game": game.code,
            "next_issue": next_issue,
            "next_round": int(next_issue),
            "predictor": prediction.predictor,
            "prediction": {
                "reach": [{"market": m, "target": fmt_multiplier(CHANCE_TARGET[m]),
                           "probability": round(p, 6), "percent": percent(p),
                           "chance": round(CHANCE[m], 6), "chance_percent": percent(CHANCE[m])}
                          for m, p in reach.items()],
                "streak_10x": body.get(STREAK_MARKET),
            },
            "streaks": {f"{t:g}x": streak_block(outcomes, t, cents) for t in STREAK_THRESHOLDS},
            "accuracy": accuracy_block(counters),
            "probability_checks": probability_block(counters),
            "recent_results": [{"round": d["issue"], **game.describe(game.decode_outcome(d)),
                                "drawn_at": d.get("drawn_at")} for d in recent],
            "prediction_history": [
                {"round": h["issue"], "reach_p": h.get("reach_p"),
                 **({"result": h["result"], "hits": h.get("hits")} if "result" in h else {})}
                for h in history],
            "timestamp": now.isoformat(),
            "ai_enabled": ai_enabled,
            "fairness": ({"commitment": commitment, "salt": game.salt,
                          "verify": f"/api/fairness/{next_issue}?game={game.code}"}
                         if commitment else None),
            "scoreboard": f"/api/accuracy?game={game.code}",
            "disclaimer": DISCLAIMER,
        }
        report["generation_time_seconds"] = round(time.perf_counter() - started, 4)
        return report


REPORT = CrashReport()
