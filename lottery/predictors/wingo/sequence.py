"""Sequence followers: which digits followed the last 3 (and the last 2) digits.

The 2-digit context gives a Laplace-smoothed distribution; the 3-digit context
refines it with a Dirichlet prior centred on that (strength `strength`), so a
rarely seen 3-digit context falls back to its 2-digit one.
"""
from __future__ import annotations

from lottery.predictors.wingo.base import Prediction, from_float_probs, from_probs

UNIFORM = (0.1,) * 10


class SequencePredictor:
    """Follower counts of every 2- and 3-digit context seen."""

    probabilistic = True

    def __init__(self, strength: float = 10.0, name: str = "sequence"):
        self.name = name
        self.strength = strength
        self.counts2 = [[0] * 10 for _ in range(100)]
        self.n2 = [0] * 100
        self.counts3 = [[0] * 10 for _ in range(1000)]
        self.n3 = [0] * 1000
        self.seen = 0
        self.ctx = 0  # the last three digits as a number 0..999 (newest in the units)
        self._cached: list[float] | None = None  # probs since the last update

    def update(self, digit: int) -> None:
        """Count `digit` as the follower of the current contexts."""
        self._cached = None
        if self.seen >= 2:
            c2 = self.ctx % 100
            self.counts2[c2][digit] += 1
            self.n2[c2] += 1
        if self.seen >= 3:
            self.counts3[self.ctx][digit] += 1
            self.n3[self.ctx] += 1
        self.ctx = (self.ctx * 10 + digit) % 1000
        self.seen += 1

    def probs(self) -> list[float]:
        """Return P(next digit) from the followers of the last 3 and 2 digits (cached)."""
        if self._cached is None:
            self._cached = self._probs()
        return self._cached

    def _probs(self) -> list[float]:
        if self.seen < 2:
            return list(UNIFORM)
        c2 = self.ctx % 100
        d2 = self.n2[c2] + 10
        if self.seen < 3:
            return [(c + 1) / d2 for c in self.counts2[c2]]
        k = self.strength
        d3 = self.n3[self.ctx] + k
        # The 2-digit prior (b + 1) / d2 inline: one pass instead of two lists.
        return [(c + k * ((b + 1) / d2)) / d3
                for c, b in zip(self.counts3[self.ctx], self.counts2[c2])]

    def prob_of(self, digit: int) -> float:
        """Return P(next = digit) (the same model as probs(), for one digit)."""
        if self.seen < 2:
            return 0.1
        c2 = self.ctx % 100
        q = (self.counts2[c2][digit] + 1) / (self.n2[c2] + 10)
        if self.seen < 3:
            return q
        return (self.counts3[self.ctx][digit] + self.strength * q) / (self.n3[self.ctx]
                                                                      + self.strength)

    def context(self) -> str:
        """Return the digits the prediction follows, oldest first ('' before 2 draws)."""
        if self.seen < 2:
            return ""
        return f"{self.ctx:03d}" if self.seen >= 3 else f"{self.ctx % 100:02d}"

    def predict(self) -> Prediction:
        """Predict the followers of the current context."""
        if self.seen < 2:
            return from_probs(self.name, UNIFORM)
        if self.seen >= 3:
            rule = f"after {self.ctx:03d} (seen {self.n3[self.ctx]}x)"
        else:
            rule = f"after {self.ctx % 100:02d} (seen {self.n2[self.ctx % 100]}x)"
        return from_float_probs(self.name, self.probs(), rule=rule)
