"""WinGo predictions: one pick per market, built from a distribution over the ten digits.

A predictor never sees the draw it predicts: `predict()` is called before
`update(digit)` with that draw's digit. Updates are incremental (O(1) or
O(window)) so a walk-forward backtest over 100,000 draws stays fast.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Sequence

from lottery.games.wingo import (BIG, DIGITS, GREEN, MARKET_NAMES as MARKETS, RED, SMALL, hits,
                                 markets_of, picks, primary_color, size)
from lottery.predictors.base import Predictor, warm


# Not frozen: a frozen dataclass's __init__ costs ~5x more, and one Prediction is
# built per predictor per draw (100,000s in a backtest). Treat it as immutable.
@dataclass
class Prediction:
    """One predictor's prediction for the next draw, for every market."""

    predictor: str
    # A predictor may take part in some markets only: empty numbers / None
    # size or colour mean "no pick" there (see markets_of).
    numbers: tuple[int, ...]  # ranked digits, best first (at least 3 for the top-3 market)
    big_small: str | None  # Big or Small
    color: str | None  # Red or Green (scored on the primary colour)
    probs: tuple[float, ...] | None = None  # P(digit) for 0..9 when probabilistic
    big_small_p: float | None = None  # probability of the predicted size, when known
    color_p: float | None = None  # probability of the predicted colour, when known
    rule: str | None = None  # the rule that made it (rule learners)
    extra: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """Return a JSON-able dict of the prediction."""
        out = {"predictor": self.predictor, "numbers": list(self.numbers)}
        if self.big_small is not None:
            out["big_small"] = self.big_small
        if self.color is not None:
            out["color"] = self.color
        if self.probs is not None:
            out["probs"] = [round(p, 6) for p in self.probs]
        if self.big_small_p is not None:
            out["big_small_p"] = round(self.big_small_p, 6)
        if self.color_p is not None:
            out["color_p"] = round(self.color_p, 6)
        if self.rule is not None:
            out["rule"] = self.rule
        if self.extra:
            out["extra"] = self.extra
        return out


# Digit groups, computed once from the rules (this function runs per draw in backtests).
_BIG_DIGITS = tuple(d for d in DIGITS if size(d) == BIG)
_GREEN_DIGITS = tuple(d for d in DIGITS if primary_color(d) == GREEN)
# Pick a group's probabilities in one C call (the same order, so the same sums).
_big_of = itemgetter(*_BIG_DIGITS)
_green_of = itemgetter(*_GREEN_DIGITS)


def from_probs(name: str, probs: Sequence[float], rule: str | None = None,
               extra: dict | None = None) -> Prediction:
    """Build a prediction for every market from a distribution over the ten digits."""
    total = float(sum(probs))
    if total <= 0:
        probs = [0.1] * 10
        total = 1.0
    return _prediction(name, tuple([float(x) / total for x in probs]), rule, extra)


def from_float_probs(name: str, probs: list[float], rule: str | None = None,
                     extra: dict | None = None) -> Prediction:
    """Build the same prediction as from_probs, faster for a list of Python floats."""
    total = sum(probs)
    if type(total) is not float or total <= 0:  # ints, numpy scalars...: the general path
        return from_probs(name, probs, rule, extra)
    # x / total is float(x) / total for a float: the predictors skip 10 float() calls per draw.
    return _prediction(name, tuple([x / total for x in probs]), rule, extra)


def _prediction(name: str, p: tuple[float, ...], rule: str | None, extra: dict | None
                ) -> Prediction:
    # Ties break towards the smaller digit so the ranking is deterministic
    # (sorting is stable, also with reverse=True).
    ranked = tuple(sorted(DIGITS, key=p.__getitem__, reverse=True))
    p_big = sum(_big_of(p))
    p_green = sum(_green_of(p))
    big_small = BIG if p_big > 0.5 else SMALL if p_big < 0.5 else size(ranked[0])
    color = GREEN if p_green > 0.5 else RED if p_green < 0.5 else primary_color(ranked[0])
    return Prediction(name, ranked, big_small, color, p,
                      p_big if big_small == BIG else 1 - p_big,
                      p_green if color == GREEN else 1 - p_green, rule, extra or {})


__all__ = ["MARKETS", "Prediction", "Predictor", "from_float_probs", "from_probs", "hits",
           "markets_of", "picks", "warm"]
