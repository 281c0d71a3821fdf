"""The ensemble: the average (linear pool) of its members' probabilities."""
from __future__ import annotations

import numpy as np

from lottery.predictors.crash.base import Batch, Batched, CrashCall


class EnsemblePredictor(Batched):
    """Averages the members' reach probabilities and streak distributions."""

    name, probabilistic = "ensemble", True

    def __init__(self, members, shared: bool = False):
        self.members = list(members)
        self.shared = shared  # members are fed by the caller (the backtest's shared instances)

    def update(self, outcome) -> None:
        if not self.shared:
            for m in self.members:
                m.update(outcome)

    def predict(self) -> CrashCall:
        calls = [m.predict() for m in self.members]
        k = len(calls)
        reach = {name: sum(c.reach_p[name] for c in calls) / k for name in calls[0].reach_p}
        probs = [sum(ps) / k for ps in zip(*(c.streak_probs for c in calls))]
        return CrashCall(self.name, reach, calls[0].run, probs,
                         {"members": [m.name for m in self.members]})

    def predict_batch(self, cents: np.ndarray) -> Batch:
        # Shared members answer from their cache when their own scorer already computed the
        # chunk; the rounds fed so far are the same for all of them.
        parts = [m.compute(cents, self.rounds) for m in self.members]
        reach = np.mean([b.reach for b in parts], axis=0)
        return Batch.of(reach, parts[0].run, np.mean([b.buckets for b in parts], axis=0))
