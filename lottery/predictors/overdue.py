"""Overdue/recency likelihoods: how late each digit is against its average gap,
blended with how often it appeared recently. A heuristic, scored like every
other predictor; fair draws give it no edge.
"""
from __future__ import annotations

from collections import deque

from lottery.predictors.base import Prediction, from_probs


class OverduePredictor:
    """Per-digit likelihood from overdueness (gap / mean gap) and recent frequency."""

    probabilistic = True

    def __init__(self, recent_window: int = 50, name: str = "overdue"):
        self.name = name
        self.recent_window = recent_window
        self.t = 0  # draws seen
        self.last_seen = [-1] * 10
        self.appearances = [0] * 10
        self.gap_sum = [0] * 10  # sum of gaps between consecutive appearances
        self.gap_n = [0] * 10
        self.recent: deque[int] = deque(maxlen=recent_window)
        self.recent_counts = [0] * 10
        self._cached: list[float] | None = None  # likelihoods since the last update

    def update(self, digit: int) -> None:
        self._cached = None
        if self.last_seen[digit] >= 0:
            self.gap_sum[digit] += self.t - self.last_seen[digit]
            self.gap_n[digit] += 1
        self.last_seen[digit] = self.t
        self.appearances[digit] += 1
        if len(self.recent) == self.recent.maxlen:
            self.recent_counts[self.recent[0]] -= 1
        self.recent.append(digit)
        self.recent_counts[digit] += 1
        self.t += 1

    def likelihoods(self) -> list[float]:
        """Return the normalised per-digit likelihoods for the next draw (do not mutate)."""
        if self._cached is not None:
            return self._cached  # the ensemble asks for the same state again
        t = self.t
        n_recent = max(len(self.recent), 1)
        # One pass per digit: overdueness (current gap / mean gap, 10 before any gap;
        # gaps are >= 1 so the mean is positive) blended equally with recent
        # frequency, floored so no digit has zero mass. Runs once per draw.
        scores = [max(0.5 * min((t - seen if seen >= 0 else t + 1)
                                / (g_sum / g_n if g_n else 10.0), 3.0) / 3.0
                      + 0.5 * (count / n_recent), 1e-6)
                  for seen, g_sum, g_n, count in zip(self.last_seen, self.gap_sum, self.gap_n,
                                                     self.recent_counts)]
        total = sum(scores)
        self._cached = [s / total for s in scores]
        return self._cached

    def predict(self) -> Prediction:
        if self.t == 0:
            return from_probs(self.name, [0.1] * 10)
        return from_probs(self.name, self.likelihoods())
