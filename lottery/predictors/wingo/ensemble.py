"""The ensemble the report uses: an online Bayesian mixture of the digit models.

Each member's weight is proportional to exp(sum of log P(drawn digit)),
with older draws forgotten geometrically (`decay`), i.e. the posterior of a
"which model is right lately" mixture. By default the ensemble owns private
members, so it can be fed and warmed like any other predictor. A backtest that
already runs the same members may share them (`shared=True`): the ensemble then
never feeds them and must predict before every update, so it scores the members
on the probabilities they gave before seeing the digit.
"""
from __future__ import annotations

import math

from lottery.predictors.wingo.base import Prediction, from_float_probs
from lottery.predictors.wingo.markov import MarkovPredictor
from lottery.predictors.wingo.overdue import OverduePredictor
from lottery.predictors.wingo.sequence import SequencePredictor


def _round4(x: float) -> float:
    """Return round(x, 4), faster for x in (0, 1] (the weights)."""
    # round() goes through a decimal string. Off a tie, the integer n nearest
    # to x * 10**4 is int(y + 0.5) (y's rounding error is below 1e-11), and
    # n / 10000.0 is correctly rounded like round()'s string-to-float: the same float.
    if 0.0 < x <= 1.0:
        y = x * 10000.0
        n = int(y + 0.5)
        if -0.4999 < y - n < 0.4999:
            return n / 10000.0
    return round(x, 4)


class EnsemblePredictor:
    """Mixture of probabilistic predictors weighted by recent predictive likelihood."""

    probabilistic = True

    def __init__(self, members: list | None = None, decay: float = 0.995, name: str = "ensemble",
                 shared: bool = False):
        if not 0 < decay <= 1:
            raise ValueError("decay must be in (0, 1]")
        if shared and members is None:
            raise ValueError("shared=True needs the members it shares")
        self.name = name
        self.shared = shared
        self.members = members if members is not None else [
            OverduePredictor(), SequencePredictor(), MarkovPredictor()]
        self.decay = decay
        self.log_w = [0.0] * len(self.members)
        # Bound once: these run for every member on every draw.
        self._probs = [m.probs if hasattr(m, "probs") else m.likelihoods for m in self.members]
        self._prob_of = [getattr(m, "prob_of", None) for m in self.members]
        self._names = [m.name for m in self.members]
        self._updates = [m.update for m in self.members]
        self._cached: list[list[float]] | None = None  # members' probs since the last update

    def update(self, digit: int) -> None:
        """Score each member on the drawn digit (before it sees it), then feed it."""
        d = self.decay
        cached, self._cached = self._cached, None
        if cached is None:
            if self.shared:
                # Shared members may already have seen this digit: their current
                # probabilities would leak it into the weights.
                raise RuntimeError("an ensemble with shared members must predict before each "
                                   "update")
            for i, m in enumerate(self.members):
                p = (self._prob_of[i](digit) if self._prob_of[i] is not None
                     else self._probs[i]()[digit])
                self.log_w[i] = d * self.log_w[i] + math.log(max(p, 1e-12))
                m.update(digit)
            return
        # After predict() (every backtest): the members' probabilities are at hand.
        log = math.log
        self.log_w = [d * lw + log(1e-12 if p[digit] < 1e-12 else p[digit])  # max(p, 1e-12)
                      for lw, p in zip(self.log_w, cached)]
        if not self.shared:
            for update in self._updates:
                update(digit)

    def weights(self) -> list[float]:
        """Return the members' normalised weights."""
        top = max(self.log_w)
        exp = math.exp
        w = [exp(x - top) for x in self.log_w]
        total = sum(w)
        return [x / total for x in w]

    def _mixture(self, weights: list[float]) -> list[float]:
        if self._cached is None:
            self._cached = [probs() for probs in self._probs]
        mix = [0.0] * 10
        for w, probs in zip(weights, self._cached):
            mix = [m + w * p for m, p in zip(mix, probs)]
        return mix

    def probs(self) -> list[float]:
        """Return the weighted mixture of the members' distributions."""
        return self._mixture(self.weights())

    def predict(self) -> Prediction:
        """Predict from the mixture; the weights go with it."""
        if len(self.members) == 3:
            return self._predict_three()
        weights = self.weights()
        mix = self._mixture(weights)
        extra = {"weights": {name: round(w, 4) for name, w in zip(self._names, weights)}}
        return from_float_probs(self.name, mix, rule="mixture", extra=extra)

    def _predict_three(self) -> Prediction:
        """Predict like predict() with the usual three members, unrolled."""
        # It runs on every draw of a backtest: the same operations in the same
        # order as weights() and _mixture() (max, exp, sum, divide, then the
        # weighted sum per digit, as 0.0 + x is x), but without their calls and
        # comprehensions (~10% of the ensemble's time).
        a, b, c = self.log_w
        top = max(a, b, c)
        exp = math.exp
        a, b, c = exp(a - top), exp(b - top), exp(c - top)
        total = a + b + c
        w0, w1, w2 = a / total, b / total, c / total
        if self._cached is None:
            f0, f1, f2 = self._probs
            self._cached = [f0(), f1(), f2()]
        p0, p1, p2 = self._cached
        mix = [w0 * x + w1 * y + w2 * z for x, y, z in zip(p0, p1, p2)]
        n0, n1, n2 = self._names
        extra = {"weights": {n0: _round4(w0), n1: _round4(w1), n2: _round4(w2)}}
        return from_float_probs(self.name, mix, rule="mixture", extra=extra)
