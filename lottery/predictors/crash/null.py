"""The fair null model: P(X >= m) = 0.99 / m and a geometric 10x streak; the baseline to beat."""
from __future__ import annotations

import numpy as np

from lottery.predictors.crash.base import (NULL_REACH, STREAK_CENTS, Batch, Batched, CrashCall,
                                           RunTracker, cents_of, geometric_streak)

NULL_STREAK_P = NULL_REACH["reach_10x"] if "reach_10x" in NULL_REACH else 0.099


class NullPredictor(Batched):
    """Says what a fair game says, every round: no history changes it."""

    name, probabilistic = "null", True

    def __init__(self):
        self.tracker = RunTracker()
        self._streak = geometric_streak(0.99 * 100 / STREAK_CENTS)

    def update(self, outcome) -> None:
        self.tracker.update(cents_of(outcome))

    def predict(self) -> CrashCall:
        return CrashCall(self.name, dict(NULL_REACH), self.tracker.run, self._streak)

    def predict_batch(self, cents: np.ndarray) -> Batch:
        n = len(cents)
        reach = np.tile(np.array(list(NULL_REACH.values())), (n, 1))
        return Batch.geometric(reach, self.tracker.runs(cents), np.full(n, self._streak[0]))
