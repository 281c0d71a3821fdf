"""Frequency/recency: how often each target was reached lately (exponentially weighted),
shrunk towards the null by a prior worth `prior` rounds."""
from __future__ import annotations

from lottery.predictors.crash.base import (NULL_REACH, STREAK_CENTS, TARGET_CENTS, CrashCall,
                                           RunTracker, cents_of, clip, geometric_streak)

MARKETS = tuple(NULL_REACH)


class FrequencyPredictor:
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
