"""The predictor interface: fed settled digits one by one, predicts the next draw.

A predictor never sees the draw it predicts: `predict()` is called before
`update(digit)` with that draw's digit. Updates are incremental (O(1) or
O(window)) so a walk-forward backtest over 100,000 draws stays fast.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol, Sequence

from lottery.games.wingo import BIG, DIGITS, GREEN, RED, SMALL, primary_color, size

MARKETS = ("number", "top3", "big_small", "color")


@dataclass(frozen=True)
class Prediction:
    """One predictor's prediction for the next draw, for every market."""

    predictor: str
    numbers: tuple[int, ...]  # ranked digits, best first (at least 3)
    big_small: str  # Big or Small
    color: str  # Red or Green (scored on the primary colour)
    probs: tuple[float, ...] | None = None  # P(digit) for 0..9 when probabilistic
    big_small_p: float | None = None  # probability of the predicted size, when known
    color_p: float | None = None  # probability of the predicted colour, when known
    rule: str | None = None  # the rule that made it (rule learners)
    extra: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """Return a JSON-able dict of the prediction."""
        out = {"predictor": self.predictor, "numbers": list(self.numbers),
               "big_small": self.big_small, "color": self.color}
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


def from_probs(name: str, probs: Sequence[float], rule: str | None = None) -> Prediction:
    """Build a prediction for every market from a distribution over the ten digits."""
    total = float(sum(probs))
    if total <= 0:
        probs = [0.1] * 10
        total = 1.0
    p = tuple(float(x) / total for x in probs)
    # Ties break towards the smaller digit so the ranking is deterministic.
    ranked = tuple(sorted(DIGITS, key=lambda d: (-p[d], d)))
    p_big = sum(p[d] for d in DIGITS if size(d) == BIG)
    p_green = sum(p[d] for d in DIGITS if primary_color(d) == GREEN)
    big_small = BIG if p_big > 0.5 else SMALL if p_big < 0.5 else size(ranked[0])
    color = GREEN if p_green > 0.5 else RED if p_green < 0.5 else primary_color(ranked[0])
    return Prediction(
        predictor=name, numbers=ranked, big_small=big_small, color=color, probs=p,
        big_small_p=p_big if big_small == BIG else 1 - p_big,
        color_p=p_green if color == GREEN else 1 - p_green, rule=rule)


def hits(prediction: Prediction | dict, digit: int) -> dict[str, bool]:
    """Return, for each market, whether the prediction hit the drawn digit."""
    if isinstance(prediction, dict):
        numbers, bs, color = prediction["numbers"], prediction["big_small"], prediction["color"]
    else:
        numbers, bs, color = prediction.numbers, prediction.big_small, prediction.color
    return {"number": numbers[0] == digit, "top3": digit in numbers[:3],
            "big_small": size(digit) == bs, "color": primary_color(digit) == color}
