"""Frequency/recency: how often each target was reached lately (exponentially weighted),
shrunk towards the null by a prior worth `prior` rounds."""
from __future__ import annotations

import numpy as np

from lottery.predictors.crash.base import (NULL_REACH, P_MAX, P_MIN, STREAK_CENTS, TARGET_CENTS,
                                           Batch, Batched, CrashCall, RunTracker, cents_of, clip,
                                           geometric_streak)

MARKETS = tuple(NULL_REACH)


class FrequencyPredictor(Batched):
    """Recent reach rates per target: what "hot" and "cold" predictors compute, as probabilities."""

    name, probabilistic = "frequency", True

    def __init__(self, half_life: float = 200.0, prior: float = 100.0):
        self.decay = 0.5 ** (1.0 / half_life)
        self.prior = prior
        self.weight = 0.0  # decayed count of rounds
        self.hits = [0.0] * len(TARGET_CENTS)  # decayed count of rounds reaching each target
        self.streak_hits = 0.0
        self.tracker = RunTracker()

    def update(self, outcome) -> None:
        x = cents_of(outcome)
        d = self.decay
        self.weight = self.weight * d + 1.0
        for i, c in enumerate(TARGET_CENTS):
            self.hits[i] = self.hits[i] * d + (1.0 if x >= c else 0.0)
        self.streak_hits = self.streak_hits * d + (1.0 if x >= STREAK_CENTS else 0.0)
        self.tracker.update(x)

    def _rate(self, hits: float, p0: float) -> float:
        return clip((hits + self.prior * p0) / (self.weight + self.prior))

    def predict(self) -> CrashCall:
        reach = {m: self._rate(self.hits[i], NULL_REACH[m]) for i, m in enumerate(MARKETS)}
        p10 = self._rate(self.streak_hits, 0.99 * 100 / STREAK_CENTS)
        return CrashCall(self.name, reach, self.tracker.run, geometric_streak(p10),
                         {"rounds_weighted": round(self.weight, 1)})

    def predict_batch(self, cents: np.ndarray) -> Batch:
        n = len(cents)
        if not n:
            return Batch.geometric(np.zeros((0, len(MARKETS))), np.zeros(0, np.int64), np.zeros(0))
        from scipy.signal import lfilter  # the backtest only: scipy is heavy for the worker

        d, a = self.decay, [1.0, -self.decay]

        def before(x: np.ndarray, state: float) -> tuple[np.ndarray, float]:
            # The decayed sum before each round (the same recurrence as update()).
            after, _ = lfilter([1.0], a, x, zi=[d * state])
            return np.concatenate(([state], after[:-1])), float(after[-1])

        w, self.weight = before(np.ones(n), self.weight)
        denom = w + self.prior
        reach = np.empty((n, len(MARKETS)))
        for i, (m, c) in enumerate(zip(MARKETS, TARGET_CENTS)):
            h, self.hits[i] = before((cents >= c).astype(float), self.hits[i])
            reach[:, i] = np.clip((h + self.prior * NULL_REACH[m]) / denom, P_MIN, P_MAX)
        s, self.streak_hits = before((cents >= STREAK_CENTS).astype(float), self.streak_hits)
        p10 = (s + self.prior * 0.99 * 100 / STREAK_CENTS) / denom
        return Batch.geometric(reach, self.tracker.runs(cents), p10)
