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

from lottery.predictors.base import Prediction, from_probs
from lottery.predictors.markov import MarkovPredictor
from lottery.predictors.overdue import OverduePredictor
from lottery.predictors.sequence import SequencePredictor


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
        self._cached: list[list[float]] | None = None  # members' probs since the last update

    def update(self, digit: int) -> None:
        """Score each member on the drawn digit (before it sees it), then feed it."""
        d = self.decay
        cached, self._cached = self._cached, None
        if cached is None and self.shared:
            # Shared members may already have seen this digit: their current
            # probabilities would leak it into the weights.
            raise RuntimeError("an ensemble with shared members must predict before each update")
        for i, m in enumerate(self.members):
            if cached is not None:
                p = cached[i][digit]
            elif self._prob_of[i] is not None:
                p = self._prob_of[i](digit)
            else:
                p = self._probs[i]()[digit]
            self.log_w[i] = d * self.log_w[i] + math.log(max(p, 1e-12))
            if not self.shared:
                m.update(digit)

    def weights(self) -> list[float]:
        """Return the members' normalised weights."""
        top = max(self.log_w)
        w = [math.exp(x - top) for x in self.log_w]
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
        weights = self.weights()
        return from_probs(self.name, self._mixture(weights), rule="mixture", extra={
            "weights": {m.name: round(w, 4) for m, w in zip(self.members, weights)}})
