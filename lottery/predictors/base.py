"""The predictor interface: fed settled digits one by one, predicts the next draw.

A predictor never sees the draw it predicts: `predict()` is called before
`update(digit)` with that draw's digit. Updates are incremental (O(1) or
O(window)) so a walk-forward backtest over 100,000 draws stays fast.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Iterable, Protocol, Sequence

from lottery.games.wingo import BIG, DIGITS, GREEN, RED, SMALL, primary_color, size

MARKETS = ("number", "top3", "big_small", "color")
# Hit rate of a uniform guess in each market (colour is scored on Red/Green).
CHANCE = {"number": 0.1, "top3": 0.3, "big_small": 0.5, "color": 0.5}


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


class Predictor(Protocol):
    """History in (one digit at a time), a prediction for the next draw out."""

    name: str
    probabilistic: bool

    def update(self, digit: int) -> None:
        """Feed one settled digit (the oldest first)."""

    def predict(self) -> Prediction:
        """Predict the next, not yet drawn, digit."""


def warm(predictor: Predictor, digits: Iterable[int]) -> Predictor:
    """Feed a history of digits, oldest first, and return the predictor."""
    for d in digits:
        predictor.update(d)
    return predictor


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


def picks(prediction: Prediction | dict) -> tuple[tuple[int, ...], str | None, str | None]:
    """Return (numbers, big_small, color) of a prediction object or dict."""
    if isinstance(prediction, dict):
        return (tuple(prediction.get("numbers") or ()), prediction.get("big_small"),
                prediction.get("color"))
    return tuple(prediction.numbers or ()), prediction.big_small, prediction.color


def markets_of(prediction: Prediction | dict) -> tuple[str, ...]:
    """Return the markets a prediction takes part in (top3 needs at least 3 numbers)."""
    numbers, bs, color = picks(prediction)
    taken = {"number": len(numbers) >= 1, "top3": len(numbers) >= 3,
             "big_small": bs in (BIG, SMALL), "color": color in (RED, GREEN)}
    return tuple(m for m in MARKETS if taken[m])


def hits(prediction: Prediction | dict, digit: int) -> dict[str, bool]:
    """Return, for each market the prediction takes part in, whether it hit the digit."""
    numbers, bs, color = picks(prediction)
    outcome = {"number": bool(numbers) and numbers[0] == digit, "top3": digit in numbers[:3],
               "big_small": size(digit) == bs, "color": primary_color(digit) == color}
    return {m: outcome[m] for m in markets_of(prediction)}
