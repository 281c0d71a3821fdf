"""First-order Markov chain on digits with Laplace smoothing.

P(next = j | previous = i) = (count(i -> j) + alpha) / (count(i -> *) + 10 alpha).
A real distribution, so log loss and Brier apply. On fair draws every row
tends to 0.1 each and the model has no edge; on a biased stream it finds it.
"""
from __future__ import annotations

from lottery.predictors.wingo.base import Prediction, from_float_probs

UNIFORM = (0.1,) * 10
_RULES = tuple(f"after {d}" for d in range(10))  # built once, not per draw


class MarkovPredictor:
    """Digit transition counts since the start, add-alpha smoothed."""

    probabilistic = True

    def __init__(self, alpha: float = 1.0, name: str = "markov"):
        if alpha <= 0:
            raise ValueError("alpha must be positive (it keeps every probability above 0)")
        self.name = name
        self.alpha = alpha
        self.counts = [[0] * 10 for _ in range(10)]
        self.row_totals = [0] * 10
        self.prev: int | None = None
        self._cached: list[float] | None = None  # probs since the last update

    def update(self, digit: int) -> None:
        """Count the transition from the previous digit to this one."""
        self._cached = None
        if self.prev is not None:
            self.counts[self.prev][digit] += 1
            self.row_totals[self.prev] += 1
        self.prev = digit

    def probs(self) -> list[float]:
        """Return P(next digit) given the last digit (do not mutate: it is cached)."""
        if self._cached is None:
            if self.prev is None:
                self._cached = list(UNIFORM)
            else:
                a = self.alpha
                denom = self.row_totals[self.prev] + 10 * a
                self._cached = [(c + a) / denom for c in self.counts[self.prev]]
        return self._cached

    def prob_of(self, digit: int) -> float:
        """Return P(next = digit) given the last digit."""
        if self.prev is None:
            return 0.1
        return (self.counts[self.prev][digit] + self.alpha) / (self.row_totals[self.prev]
                                                               + 10 * self.alpha)

    def predict(self) -> Prediction:
        """Predict from the transition row of the last digit."""
        rule = None if self.prev is None else _RULES[self.prev]
        return from_float_probs(self.name, self.probs(), rule=rule)
