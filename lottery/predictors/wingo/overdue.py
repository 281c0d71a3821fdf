"""Overdue/recency likelihoods: how late each digit is against its average gap,
blended with how often it appeared recently. A heuristic, scored like every
other predictor; fair draws give it no edge.
"""
from __future__ import annotations

from collections import deque

from lottery.predictors.wingo.base import Prediction, from_float_probs, from_probs


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
        # Per-digit terms of the score that change only when that digit is drawn:
        # the mean gap (10 before any gap; gaps are >= 1 so it is positive) and
        # the recent-frequency half, 0.5 * count / max(len(recent), 1).
        self._mean_gap = [10.0] * 10
        self._recent_term = [0.0] * 10
        self._cached: list[float] | None = None  # likelihoods since the last update

    def update(self, digit: int) -> None:
        """Count the drawn digit's gap and its place in the recent window."""
        self._cached = None
        t, seen = self.t, self.last_seen[digit]
        if seen >= 0:
            g_sum = self.gap_sum[digit] = self.gap_sum[digit] + (t - seen)
            g_n = self.gap_n[digit] = self.gap_n[digit] + 1
            self._mean_gap[digit] = g_sum / g_n
        self.last_seen[digit] = t
        self.appearances[digit] += 1
        recent, counts = self.recent, self.recent_counts
        if len(recent) == recent.maxlen:
            old = recent[0]
            recent.append(digit)
            counts[old] -= 1
            counts[digit] += 1
            term, n = self._recent_term, len(recent)
            term[old] = 0.5 * (counts[old] / n)
            term[digit] = 0.5 * (counts[digit] / n)
        else:  # the window grows: every digit's share changes
            recent.append(digit)
            counts[digit] += 1
            n = len(recent)
            self._recent_term = [0.5 * (c / n) for c in counts]
        self.t = t + 1

    def likelihoods(self) -> list[float]:
        """Return the normalised per-digit likelihoods for the next draw (do not mutate)."""
        if self._cached is not None:
            return self._cached  # the ensemble asks for the same state again
        t = self.t
        # Per digit: overdueness (current gap / mean gap, capped at 3; an unseen
        # digit's last_seen is -1, so its gap is t + 1) blended equally with the
        # recent frequency, floored so no digit has zero mass. The inline
        # conditionals are min(r, 3.0) and max(s, 1e-6) without two calls per digit.
        scores = [1e-6 if (s := 0.5 * (3.0 if (r := (t - seen) / mean) > 3.0 else r) / 3.0
                           + recent) < 1e-6 else s
                  for seen, mean, recent in zip(self.last_seen, self._mean_gap,
                                                self._recent_term)]
        total = sum(scores)
        self._cached = [s / total for s in scores]
        return self._cached

    def predict(self) -> Prediction:
        if self.t == 0:
            return from_probs(self.name, [0.1] * 10)
        return from_float_probs(self.name, self.likelihoods())
