"""How a prediction is scored: markets, chance rates, break-even, hits, log loss, Brier, streaks.

One definition used by the live recorder, the backtest and the scoreboard
(SPEC 5). Log-loss and Brier sums are kept as integers in micro-units so the
Redis counters add exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from lottery.games import wingo
from lottery.games.wingo import BIG, DIGITS, GREEN, RED, SIZES, primary_color, size
from lottery.predictors.base import Prediction, markets_of, picks

# Uniform-forecast baselines: (log loss, Brier). The number market is scored as
# a 10-way forecast, size and colour as a binary forecast of the predicted side.
BASELINE = {"number": (math.log(10), 0.9), "big_small": (math.log(2), 0.25),
            "color": (math.log(2), 0.25)}
PROB_MARKETS = tuple(BASELINE)
MICRO = 1_000_000  # log-loss and Brier sums are stored as integers of 1e-6
P_FLOOR = 1e-9  # a forecast of 0 for what happened costs ln(1e9), not infinity


def break_even(market: str) -> float:
    """Return the hit rate a market's usual payout needs to break even after the fee."""
    if market == "number":
        return wingo.break_even_rate("0")
    if market == "top3":
        # 1/3 of the stake on each of 3 numbers: a hit returns (1/3) x 0.98 x 9.
        return 3 * wingo.break_even_rate("0")
    if market == "big_small":
        return wingo.break_even_rate(BIG)
    if market == "color":
        return wingo.break_even_rate(GREEN)  # the usual 2x; 1.5x on 0/5 is worse
    raise ValueError(f"unknown market {market!r}")


def normalise(prediction: Prediction | dict) -> dict:
    """Return the compact stored form of a prediction, or raise ValueError if unusable."""
    raw = prediction.to_dict() if isinstance(prediction, Prediction) else dict(prediction)
    numbers, bs, color = picks(raw)
    try:
        numbers = [int(n) for n in numbers]
    except (TypeError, ValueError):
        raise ValueError(f"numbers must be digits, got {raw.get('numbers')!r}") from None
    if any(not 0 <= n <= 9 for n in numbers) or len(set(numbers)) != len(numbers):
        raise ValueError(f"numbers must be distinct digits 0-9, got {numbers}")
    if bs is not None and bs not in SIZES:
        raise ValueError(f"big_small must be Big or Small, got {bs!r}")
    if color is not None and color not in (RED, GREEN):
        raise ValueError(f"color must be Red or Green, got {color!r}")
    out: dict = {"numbers": numbers}
    if bs is not None:
        out["big_small"] = bs
    if color is not None:
        out["color"] = color
    if not markets_of(out):
        raise ValueError("the prediction takes part in no market")
    probs = raw.get("probs")
    if probs is not None:
        out["probs"] = _check_probs(probs)
    for key in ("big_small_p", "color_p"):
        value = raw.get(key)
        if value is not None:
            value = float(value)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} must be a probability, got {value}")
            out[key] = round(value, 6)
    for key in ("rule", "extra"):
        if raw.get(key) is not None:
            out[key] = raw[key]
    return out


def _check_probs(probs) -> list[float]:
    try:
        values = [float(p) for p in probs]
    except (TypeError, ValueError):
        raise ValueError("probs must be ten numbers") from None
    if len(values) != len(DIGITS) or any(not (p >= 0.0) or math.isinf(p) for p in values):
        raise ValueError("probs must be ten non-negative numbers")
    total = sum(values)
    if total <= 0:
        raise ValueError("probs must not all be zero")
    return [round(p / total, 6) for p in values]


def side_probability(pred: dict, market: str) -> float | None:
    """Return the forecast probability of the predicted size or colour, when known."""
    key, pick = ("big_small_p", pred.get("big_small")) if market == "big_small" \
        else ("color_p", pred.get("color"))
    if pred.get(key) is not None:
        return float(pred[key])
    probs = pred.get("probs")
    if probs is None or pick is None:
        return None
    side = size if market == "big_small" else primary_color
    return sum(p for d, p in enumerate(probs) if side(d) == pick)


def score(prediction: Prediction | dict, digit: int) -> dict[str, tuple[int, int | None, int | None]]:
    """Return {market: (hit 0/1, log loss in micro-units or None, Brier in micro-units or None)}."""
    pred = prediction.to_dict() if isinstance(prediction, Prediction) else prediction
    numbers, bs, color = picks(pred)
    out = {}
    for market in markets_of(pred):
        if market == "number":
            hit = numbers[0] == digit
        elif market == "top3":
            hit = digit in numbers[:3]
        elif market == "big_small":
            hit = size(digit) == bs
        else:
            hit = primary_color(digit) == color
        ll = br = None
        if market == "number" and pred.get("probs") is not None:
            probs = pred["probs"]
            ll = -math.log(max(probs[digit], P_FLOOR))
            br = sum(p * p for p in probs) - 2 * probs[digit] + 1
        elif market in ("big_small", "color"):
            q = side_probability(pred, market)
            if q is not None:
                p_actual = q if hit else 1 - q
                ll = -math.log(max(p_actual, P_FLOOR))
                br = (1 - p_actual) ** 2
        out[market] = (int(hit), None if ll is None else round(ll * MICRO),
                       None if br is None else round(br * MICRO))
    return out


@dataclass
class Streaks:
    """Win/loss streaks of a sequence of outcomes (win = hit)."""

    current_kind: str | None = None  # "win", "loss" or None before any outcome
    current: int = 0
    longest_win: int = 0
    longest_loss: int = 0
    win_distribution: dict[int, int] = field(default_factory=dict)  # completed streaks
    loss_distribution: dict[int, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Return the streaks as the scoreboard shows them."""
        return {"current_kind": self.current_kind, "current": self.current,
                "longest_win": self.longest_win, "longest_loss": self.longest_loss}


def streaks_of(outcomes: Sequence[bool] | np.ndarray) -> Streaks:
    """Return the streaks of a sequence of outcomes, oldest first (vectorised)."""
    x = np.asarray(outcomes, dtype=bool)
    if x.size == 0:
        return Streaks()
    change = np.flatnonzero(x[1:] != x[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [x.size])))
    kinds = x[starts]
    wins, losses = lengths[kinds], lengths[~kinds]
    # Every streak but the current (last) one is complete.
    done_w, done_l = lengths[:-1][kinds[:-1]], lengths[:-1][~kinds[:-1]]
    return Streaks(
        current_kind="win" if kinds[-1] else "loss", current=int(lengths[-1]),
        longest_win=int(wins.max()) if wins.size else 0,
        longest_loss=int(losses.max()) if losses.size else 0,
        win_distribution=_histogram(done_w), loss_distribution=_histogram(done_l))


def _histogram(lengths: np.ndarray) -> dict[int, int]:
    values, counts = np.unique(lengths, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts)}


@dataclass
class MarketTotals:
    """Counters of one (predictor, market): n, hits, probabilistic sums, streaks."""

    n: int = 0
    hits: int = 0
    prob_n: int = 0  # predictions that carried a probability
    ll: int = 0  # log-loss sum, micro-units
    brier: int = 0  # Brier sum, micro-units
    streaks: Streaks = field(default_factory=Streaks)

    def minus(self, base: "MarketTotals") -> "MarketTotals":
        """Return the counts accumulated since the `base` snapshot (streaks kept)."""
        return MarketTotals(self.n - base.n, self.hits - base.hits, self.prob_n - base.prob_n,
                            self.ll - base.ll, self.brier - base.brier, self.streaks)

