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

    def update(self, digit: int) -> None:
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
        """Return the normalised per-digit likelihoods for the next draw."""
        scores = []
        n_recent = max(len(self.recent), 1)
        for d in range(10):
            mean_gap = self.gap_sum[d] / self.gap_n[d] if self.gap_n[d] else 10.0
            current_gap = self.t - self.last_seen[d] if self.last_seen[d] >= 0 else self.t + 1
            overdue = current_gap / mean_gap if mean_gap > 0 else 1.0
            recency = self.recent_counts[d] / n_recent
            # Equal blend of the two signals, floored so no digit has zero mass.
            scores.append(max(0.5 * min(overdue, 3.0) / 3.0 + 0.5 * recency, 1e-6))
        total = sum(scores)
        return [s / total for s in scores]

    def predict(self) -> Prediction:
        if self.t == 0:
            return from_probs(self.name, [0.1] * 10)
        return from_probs(self.name, self.likelihoods())
